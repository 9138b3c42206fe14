"""The regime map's figures: a heat map of the verdicts (one glance), and H(n) curves per cell.

Colours of radii are those of every figure (:func:`.figures.radius_color`); in the heat map colour is
the slope (a diverging map centred on 0), so radii are named in coloured row labels instead.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from . import figures as F

__all__ = ["plot", "heat_map", "curves"]

_SLOPE_LIM = 0.8


def _row_keys(ver):
    from .regime import ATTACKS, SCHEDULES

    return [(a, s) for a in ATTACKS for s in SCHEDULES
            if ((ver["attack"] == a) & (ver["schedule"] == s)).any()]


def _col_keys(ver):
    return list(dict.fromkeys(zip(ver["spectrum"], ver["theta_star"], strict=True)))


def heat_map(ver, base: Path) -> list[Path]:
    """Rows: attack x radius; columns: spectrum x ground truth; colour: slope; text: verdict and H."""
    plt = F.pyplot()
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    rows, cols = _row_keys(ver), _col_keys(ver)
    idx = ver.set_index(["attack", "schedule", "spectrum", "theta_star"])
    S = np.full((len(rows), len(cols)), np.nan)
    for i, (a, s) in enumerate(rows):
        for j, (k, t) in enumerate(cols):
            if (a, s, k, t) in idx.index:
                S[i, j] = idx.loc[(a, s, k, t), "slope"]
    fig, ax = plt.subplots(figsize=(1.55 * len(cols) + 3.2, 0.42 * len(rows) + 1.9))
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-_SLOPE_LIM, vmax=_SLOPE_LIM)
    im = ax.imshow(np.clip(S, -_SLOPE_LIM, _SLOPE_LIM), cmap="RdBu_r", norm=norm, aspect="auto")
    for i, (a, s) in enumerate(rows):
        for j, (k, t) in enumerate(cols):
            if (a, s, k, t) not in idx.index:
                continue
            r = idx.loc[(a, s, k, t)]
            null = bool(r["null_in_last_decade"])
            if null:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="////", ec="0.45", lw=0))
            txt = f"{r['verdict']}\n{r['harm_at_nmax']:.2g}" + (r" ($\theta$=0)" if null else "")
            if r["stopped"]:
                txt += f"\nn <= {int(r['n_max'])}"
            dark = math.isfinite(r["slope"]) and abs(r["slope"]) > 0.5
            ax.text(j, i, txt, ha="center", va="center", fontsize=6.8, color="w" if dark else "k",
                    bbox=dict(boxstyle="round,pad=0.15", fc="w", ec="none", alpha=0.7) if null else None)
            if r["bound_in_last_decade"]:
                ax.plot(j + 0.38, i - 0.32, "o", ms=3.5, color="k")
    ax.set_xticks(range(len(cols)), [f"{k}\n" + rf"$\theta^*$ = {t}" for k, t in cols], fontsize=8)
    ax.xaxis.tick_top()
    from .regime_text import RADIUS_TEXT

    ax.set_yticks(range(len(rows)), [f"{a}: {RADIUS_TEXT.get(s, s)}" for a, s in rows], fontsize=8)
    for lab, (_, s) in zip(ax.get_yticklabels(), rows, strict=True):
        lab.set_color(F.radius_color(s if s != "fixed" else "fixed"))
    for i in range(1, len(rows)):
        if rows[i][0] != rows[i - 1][0]:
            ax.axhline(i - 0.5, color="k", lw=1.2)
    ax.grid(False)
    cb = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    cb.set_label("slope of log H vs log n over the last decade\n(< -0.1 fades, > 0.1 grows)")
    nmax = int(ver["n_max"].max())
    ax.set_title(r"Regime map of the ridge trade-off: $H=\min_\lambda\max(R_0,\,R_\varepsilon-"
                 r"R_\varepsilon(\theta^*))$, theory up to " + f"n = {nmax}\ncell text: verdict and H at the "
                 r"largest n; hatched: the best ridge penalty is $\theta = 0$; dot: a bound (grid edge)",
                 fontsize=8.5)
    return F.save(fig, base)


def curves(th, sim, cfg, base: Path) -> list[Path]:
    """Small multiples: rows = attacks, columns = spectrum x ground truth; H / theta*^T Sigma theta*
    against n, one colour per radius schedule; theory lines, simulation markers."""
    from .regime import ATTACKS, SCHEDULES

    plt = F.pyplot()
    from matplotlib.lines import Line2D

    cols = list(dict.fromkeys(zip(th["spectrum"], th["theta_star"], strict=True)))
    atts = [a for a in ATTACKS if (th["attack"] == a).any()]
    fig, axes = plt.subplots(len(atts), len(cols), figsize=(2.45 * len(cols) + 0.6, 2.15 * len(atts) + 1.3),
                             squeeze=False, sharex=True, sharey="row")
    for i, a in enumerate(atts):
        for j, (k, t) in enumerate(cols):
            ax = axes[i, j]
            d = th[(th["attack"] == a) & (th["spectrum"] == k) & (th["theta_star"] == t)]
            for s in SCHEDULES:
                u = d[d["schedule"] == s].sort_values("n")
                ax.plot(u["n"], u["harm_rel"], "-", color=F.radius_color(s), lw=1.3)
                if sim is not None and len(sim):
                    w = sim[(sim["attack"] == a) & (sim["spectrum"] == k) & (sim["theta_star"] == t)
                            & (sim["schedule"] == s)]
                    if len(w):
                        g = w.groupby("n")["harm_rel"].agg(["mean", "std"]).reset_index()
                        ax.errorbar(g["n"], g["mean"], yerr=g["std"].fillna(0), fmt="o", ms=4,
                                    color=F.radius_color(s), mec="k", mew=0.4, capsize=2)
            ax.axhline(1.0, color="0.3", ls=":", lw=1.0)
            ax.set_xscale("log")
            ax.set_yscale("log")
            if i == 0:
                ax.set_title(f"{k}, " + rf"$\theta^*$ = {t}", fontsize=8.5)
            if j == 0:
                ax.set_ylabel(f"{a}\n" + r"$H\ /\ \theta^{*T}\Sigma\theta^*$")
            if i == len(atts) - 1:
                ax.set_xlabel(F.N_LABEL)
    for ax in axes.ravel():
        F.plain_log_ticks(ax)
    handles = [Line2D([], [], color=F.radius_color(s), lw=2, label=F.radius_label(s)) for s in SCHEDULES]
    handles += F.kind_handles()
    handles.append(Line2D([], [], color="0.3", ls=":",
                          label=r"$\theta = 0$ (null estimator): $H = \theta^{*T}\Sigma\theta^*$"))
    F.legend_outside(fig, handles, ncol=4)
    fig.suptitle(r"Harm of the best ridge penalty relative to $\theta^{*T}\Sigma\theta^*$, per cell of the "
                 rf"regime map ($\sigma$ = {cfg.noise:g}, $\|\theta^*\|_2$ = 1)")
    return F.save(fig, base)


def plot(th, sim, ver, cfg, base_map: Path, base_curves: Path) -> list[Path]:
    """Both figures; returns [map.png, map.pdf, curves.png, curves.pdf]."""
    return heat_map(ver, base_map) + curves(th, sim, cfg, base_curves)
