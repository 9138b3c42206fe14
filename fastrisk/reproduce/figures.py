"""Shared figure style of ``fastrisk reproduce``: one look for every experiment, matplotlib imported lazily.

matplotlib is an optional dependency (the ``[plot]`` extra). :func:`pyplot` imports it on first use with
the non-interactive Agg backend and raises :class:`PlotDependencyError` (one line a user can act on) when
it is missing; the command line turns that into an exit code 2 without a traceback.

Conventions on every figure: axis labels name the quantity and its convention (clean-target adversarial
risk ``E max_{|delta|_p <= eps} ((x + delta)^T theta - x^T theta*)^2``, standard risk
``|theta - theta*|_Sigma^2``, normalised penalty ``lam / n``); log scales where the data span decades;
a title with the setting; simulated points with their spread over seeds, theory as lines.
"""

from __future__ import annotations

import os
from pathlib import Path

from .._files import atomic_write

__all__ = ["PlotDependencyError", "pyplot", "save", "COLORS", "MARKERS", "R0_LABEL", "radv_label",
           "LAM_LABEL", "N_LABEL", "DPI"]

#: Resolution of the PNGs (small enough for a README, < 300 KB each).
DPI = 100
#: One colour per series index (colour-blind safe, Okabe-Ito).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")

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
