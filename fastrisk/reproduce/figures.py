"""Shared figure style of ``fastrisk reproduce``: one look for every experiment, matplotlib imported lazily.

matplotlib is an optional dependency (the ``[plot]`` extra). :func:`pyplot` imports it on first use with
the non-interactive Agg backend and raises :class:`PlotDependencyError` (one line a user can act on) when
it is missing; the command line turns that into an exit code 2 without a traceback.

Conventions on every figure: axis labels name the quantity and its convention (clean-target adversarial
risk ``E max_{|delta|_p <= eps} ((x + delta)^T theta - x^T theta*)^2``, standard risk
``|theta - theta*|_Sigma^2``, normalised penalty ``lam / n``); log scales where the data span decades,
with plain tick labels (256, 1024, 0.1; :func:`plain_log_ticks`); a title with the setting; simulated
points as markers with their spread over seeds, theory as lines, and legends that say so
(:func:`kind_handles`), placed outside the axes (:func:`legend_outside`), never over data.

Colours: one colour per attack radius across every figure (:func:`radius_color`: eps = 0.2, the fixed
radius of the regime map, is the same colour in E1, E2 and the regime map); series that are not radii
(sample sizes, models) take shades of a sequential map or greys (:func:`n_colors`, :data:`SERIES`), so a
radius colour never means anything else.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from .._files import atomic_write

__all__ = ["PlotDependencyError", "pyplot", "save", "COLORS", "MARKERS", "R0_LABEL", "radv_label",
           "LAM_LABEL", "N_LABEL", "DPI", "RADIUS_COLORS", "radius_color", "radius_label", "n_colors",
           "SERIES", "plain_log_ticks", "tick_text", "kind_handles", "legend_outside"]

#: Resolution of the PNGs (small enough for a README, < 300 KB each).
DPI = 100
#: One colour per series index (colour-blind safe, Okabe-Ito).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")

#: The colour of each attack radius, in every figure: absolute radii of E1/E2 and the radius schedules of
#: the regime map (``"fixed"`` is eps = 0.2, the same radius as E1/E2's 0.2).
RADIUS_COLORS = {
    "0.05": "#56B4E9",  # sky blue
    "0.1": "#009E73",  # bluish green
    "0.2": "#0072B2",  # blue
    "fixed": "#0072B2",
    "gamma=-1/2": "#E69F00",  # orange
    "gamma=+1/4": "#CC79A7",  # reddish purple
    "gamma=+1/2": "#D55E00",  # vermillion
    "relative": "#000000",  # black
}
#: Colours of series that are not radii (models, methods): greys and one dark hue, distinct from the radii.
SERIES = ("#333333", "#7f7f7f", "#8c564b", "#b5a642", "#bdbdbd")


def radius_color(r, default: str | None = None) -> str:
    """The colour of an attack radius (a number such as 0.2) or a radius schedule name; ``default`` for
    a radius without one (KeyError when no default is given)."""
    key = r if isinstance(r, str) else f"{float(r):g}"
    if key not in RADIUS_COLORS:
        if default is not None:
            return default
        raise KeyError(f"no colour assigned to radius {r!r}; add it to RADIUS_COLORS")
    return RADIUS_COLORS[key]


def radius_label(schedule: str, eps0: float = 0.2, n0: int = 1000) -> str:
    """Legend text of a radius schedule of the regime map."""
    if schedule == "fixed":
        return rf"$\varepsilon$ = {eps0:g} fixed"
    if schedule == "relative":
        return r"$\varepsilon = \varepsilon_{rel}\sqrt{\mathrm{tr}\,\Sigma}$ (relative)"
    g = schedule.split("=")[1]
    return rf"$\varepsilon = {eps0:g}\,(n/{n0})^{{{g}}}$"


def n_colors(k: int):
    """k shades (light to dark) of a sequential map, for series indexed by the sample size."""
    plt = pyplot()
    cmap = plt.get_cmap("Greys")
    return [cmap(0.45 + 0.5 * i / max(k - 1, 1)) for i in range(k)]


def tick_text(v: float) -> str:
    """A log-axis tick as people write it: 256, 1024, 0.1, 100000; powers of ten beyond."""
    if v <= 0 or not math.isfinite(v):
        return ""
    if 1e-3 <= v <= 1e5:
        return f"{v:g}" if v < 1e5 else "100000"
    e = round(math.log10(v))
    return rf"$10^{{{e}}}$" if abs(v / 10.0**e - 1) < 1e-9 else f"{v:.1g}"


def plain_log_ticks(ax, axis: str = "both") -> None:
    """Plain tick labels on the log-scaled axes of ``ax`` (:func:`tick_text`), minor labels off; an
    axis spanning less than about a decade and a half gets ticks at 1, 2, 3 and 5 times the powers of ten,
    so it is never left with one label. Call it after the data are drawn (it reads the limits)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for name in ("x", "y") if axis == "both" else (axis,):
        a = ax.xaxis if name == "x" else ax.yaxis
        if a.get_scale() != "log":
            continue
        lo, hi = ax.get_xlim() if name == "x" else ax.get_ylim()
        if lo > 0 and hi > 0 and abs(math.log10(hi / lo)) < 1.5:
            a.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 3.0, 5.0)))
        a.set_major_formatter(FuncFormatter(lambda v, _pos: tick_text(v)))
        a.set_minor_formatter(NullFormatter())


def kind_handles(sim_label: str = "simulation (mean $\\pm$ sd over seeds)",
                 theory_label: str = "theory (deterministic equivalent)", *, sim_marker: str = "o"):
    """Two legend entries in grey that say what markers and lines mean: simulation vs theory."""
    from matplotlib.lines import Line2D

    return [Line2D([], [], color="0.35", marker=sim_marker, ls="", label=sim_label),
            Line2D([], [], color="0.35", ls="-", label=theory_label)]


def legend_outside(fig, handles, *, ncol: int = 3, where: str = "lower center", **kw):
    """A figure legend outside every axes (constrained layout makes room), never over data."""
    return fig.legend(handles=handles, loc=f"outside {where}", ncol=ncol, frameon=False, **kw)

R0_LABEL = r"standard risk $R_0 = \|\hat\theta - \theta^*\|_\Sigma^2$"
LAM_LABEL = r"normalised ridge penalty $\lambda / n$"
N_LABEL = "training size $n$"


def radv_label(norm: float | str = 2) -> str:
    """Axis label of the clean-target adversarial risk for an l_p attack (``norm`` 2 or inf)."""
    p = r"\infty" if str(norm) in ("inf", "infinity") or norm == float("inf") else f"{float(norm):g}"
    return (r"adversarial risk $R_\varepsilon = E\,\max_{\|\delta\|_{" + p
            + r"}\leq\varepsilon}((x{+}\delta)^T\hat\theta - x^T\theta^*)^2$")


class PlotDependencyError(ImportError):
    """matplotlib is not installed; the message says how to install it."""


_STYLE = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "legend.framealpha": 0.85,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "lines.linewidth": 1.4,
    "lines.markersize": 4.5,
    "figure.constrained_layout.use": True,
    "pdf.fonttype": 42,
}


def pyplot():
    """Return ``matplotlib.pyplot`` with the Agg backend and this module's style applied.

    Raises
    ------
    PlotDependencyError
        When matplotlib cannot be imported.
    """
    try:
        import matplotlib
    except ImportError:
        raise PlotDependencyError(
            "matplotlib is required for figures: pip install 'fastrisk[plot]' (or pip install matplotlib)"
        ) from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update(_STYLE)
    return plt


def save(fig, base: str | os.PathLike) -> list[Path]:
    """Write ``base.png`` and ``base.pdf`` atomically (temp file + rename) and close the figure.

    Returns the two paths.
    """
    plt = pyplot()
    base = Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for ext in (".png", ".pdf"):
        path = base.with_suffix(ext)
        out.append(atomic_write(path, lambda tmp, fmt=ext[1:]: fig.savefig(tmp, format=fmt), suffix=ext))
    plt.close(fig)
    return out
