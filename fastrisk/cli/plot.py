"""The main job's trade-off figure (``fastrisk --plot FILE``).

Left: adversarial against standard risk along the sampled ridge path, one curve per radius, with the
min-norm interpolator, the best penalty per radius and the best trade-off marked, the ground truth's
adversarial risk, and the exact oracle (population) Pareto frontier. Right: both risks against the
normalised penalty ``lam / n``. matplotlib is an optional dependency (``pip install "fastrisk[plot]"``),
imported only here and only when a figure is asked for; the object-oriented API is used (no pyplot), so
no global backend state changes.
"""

from __future__ import annotations

import os

import numpy as np

from .._extras import install_command
from .._files import atomic_write

__all__ = ["check_target_file", "write_figure", "trade_off_figure"]


def check_target_file(path: str) -> str | None:
    """Why ``path`` cannot receive the figure (one phrase), or None when it can."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:
        return f"needs matplotlib, which is not installed: {install_command('plot')}"
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return f"{path!r} is a directory; give a file name such as tradeoff.png"
    if not os.path.isdir(folder):
        return f"the folder {folder!r} does not exist"
    if not os.access(folder, os.W_OK):
        return f"the folder {folder!r} is not writable"
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    kinds = FigureCanvasAgg.get_supported_filetypes()
    if ext not in kinds:
        return f"unknown figure format {ext or '(none)'!r}; use one of {', '.join(sorted(kinds))}"
    return None


def _log_if_spread(values: np.ndarray) -> str:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    pos = v[v > 0]
    return "log" if pos.size == v.size and pos.size and pos.max() / pos.min() > 10 else "linear"


def trade_off_figure(res: dict):
    """The figure (a ``matplotlib.figure.Figure``) of a :func:`fastrisk.cli.job.run` result."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    c, th, summ = res["config"], res["theory"], res["summary"]
    lam_n = res["lam"] / c["n"]
    R, adv, eps = res["standard_risk"], res["adversarial_risk"], res["eps"]
    gt = res["ground_truth_adversarial_risk"]
    orc = th["_oracle_frontier"]
    from ..reproduce.figures import radius_color  # the package's one colour per radius

    colors = [radius_color(ev, default=f"C{(k + 3) % 10}") for k, ev in enumerate(eps)]
    pname = c["norm_label"]

    fig = Figure(figsize=(12.5, 5.2), layout="constrained")
    ax, bx = fig.subplots(1, 2)
    # ---- left: the trade-off curve per radius
    for e in range(len(eps)):
        col = colors[e]
        ax.plot(R, adv[:, e], "-", color=col, lw=1.6)
        keep = orc.standard_risk > 0
        ax.plot(orc.standard_risk[keep], orc.adversarial_risk[keep, e], "--", color=col, lw=1.1, alpha=0.8)
        if gt[e] > 0:
            ax.axhline(gt[e], color=col, ls=":", lw=1.0)
        ib = summ["best_adversarial_index"][e]
        ax.plot(R[ib], adv[ib, e], "*", color=col, ms=13, mec="k", mew=0.6)
        ax.plot(R[0], adv[0, e], "o", color=col, ms=8, mec="k", mew=0.8)
    it = summ["tradeoff_index"]
    ax.plot(R[it], adv[it, -1], "s", mfc="none", mec="k", ms=12, mew=1.4)
    radii = [Line2D([], [], color=colors[e], lw=2, label=f"eps = {ev:g}") for e, ev in enumerate(eps)]
    styles = [
        Line2D([], [], color="0.3", ls="-", label="ridge path (sampled)"),
        Line2D([], [], color="0.3", ls="--", label=f"oracle Pareto frontier ({th['oracle']['path']})"),
        Line2D([], [], color="0.3", ls=":", label="ground truth theta* (its R_0 = 0)"),
        Line2D([], [], color="0.6", marker="o", ls="", mec="k", label="min-norm interpolator (lam = 0)"),
        Line2D([], [], color="0.6", marker="*", ms=11, ls="", mec="k", label="best adversarial penalty"),
        Line2D([], [], marker="s", ms=10, ls="", mfc="none", mec="k",
               label=f"best max(R_0, R_eps - R_eps(theta*)), eps={eps[-1]:g}"),
    ]
    ax.set_yscale(_log_if_spread(np.concatenate([adv.ravel(), gt[gt > 0]])))
    ax.set_xscale(_log_if_spread(R))
    if ax.get_xscale() == "log":  # the oracle runs down to R_0 -> 0: show its approach, not all decades
        ax.set_xlim(left=float(R.min()) / 30)
    second = ax.legend(handles=styles, fontsize=7.5, loc="lower right")
    ax.add_artist(second)
    ax.legend(handles=radii, fontsize=7.5, loc="best", title="radius", title_fontsize=7.5)
    ax.set_xlabel("standard risk R_0 = ||theta - theta*||_Sigma^2")
    ax.set_ylabel(f"adversarial risk R_eps (l_{pname} ball, target {c['target']})")
    ax.set_title("trade-off along the ridge path")
    ax.grid(True, which="both", alpha=0.25)
    # ---- right: both risks against the penalty
    pos = lam_n > 0
    bx.plot(lam_n[pos], R[pos], "k-", lw=1.8, label="standard risk R_0")
    for e, ev in enumerate(eps):
        bx.plot(lam_n[pos], adv[pos, e], "-", color=colors[e], lw=1.4, label=f"R_eps, eps={ev:g}")
        ib = summ["best_adversarial_index"][e]
        if ib > 0:
            bx.plot(lam_n[ib], adv[ib, e], "*", color=colors[e], ms=12, mec="k", mew=0.6)
    bx.axvline(lam_n[summ["best_standard_index"]], color="k", ls=":", lw=1.0,
               label=f"best standard risk (lam/n={lam_n[summ['best_standard_index']]:.3g})")
    x0 = lam_n[pos].min() if pos.any() else 1.0
    bx.plot([x0] * (1 + len(eps)), [R[0], *adv[0]], "o", color="0.4", ms=6,
            label="min-norm values (lam = 0), at the left edge")
    bx.set_xscale("log")
    bx.set_yscale(_log_if_spread(np.concatenate([R, adv.ravel()])))
    bx.set_xlabel("normalised ridge penalty lam / n   (objective ||y - X theta||^2 + lam ||theta||^2)")
    bx.set_ylabel("risk")
    bx.set_title("risks along the penalty")
    bx.grid(True, which="both", alpha=0.25)
    bx.legend(fontsize=7, loc="best")
    fig.suptitle(f"fastrisk: {c['spectrum']} spectrum, n={c['n']}, p={c['p']}, noise sigma={c['noise']:g}, "
                 f"theta*={c['theta_star']}, seed {c['seed']}, {c['dtype']}", fontsize=11)
    return fig


def write_figure(res: dict, path: str) -> None:
    """Draw :func:`trade_off_figure` to ``path`` atomically (a temporary file beside it, then a rename)."""
    fig = trade_off_figure(res)
    ext = os.path.splitext(path)[1]
    atomic_write(path, lambda tmp: fig.savefig(tmp, format=ext.lstrip(".").lower(), dpi=110), suffix=ext)
