"""E3's figure: the NTK path against its linearisation in the (R_0, R_eps) plane, risks along the penalty,
lazy-training gaps with their fitted rates, and attacks on trained networks against width."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..ground_truth import resolve_theta_star
from . import figures as F
from ._common import NOISE, ground_truth_risk
from .e3_ntk import Config, gap_slopes, spectrum, theta_star_of
from .e3_text import _mean, _ms, _per_seed

__all__ = ["plot"]


def plot(tab, orc, cfg: Config, base: Path) -> list[Path]:
    """The E3 figure: NTK path vs its linearisation in the (R_0, R_eps) plane; risks along the penalty;
    lazy-training gaps (with their fitted rates) and attacks on trained networks against width."""
    plt = F.pyplot()
    from matplotlib.lines import Line2D

    emax = max(cfg.eps)
    e = list(cfg.eps).index(emax)
    s = spectrum(cfg)
    gt = float(ground_truth_risk(theta_star_of(cfg, s), [emax], 2.0, "clean")[0])
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 9.6))

    def curve(model, method):
        return _mean(tab, model=model, method=method, eps=emax).groupby("lam")[
            ["standard_risk", "adversarial_risk", "lam_linear"]].mean().sort_index()

    C = F.SERIES
    # (model, method, colour, theory?, label): sample-based curves as markers, the theory as a line
    series = [("ntk_infinite", "pgd", C[0], False, "NTK ridge (infinite width), PGD"),
              ("ntk_infinite", "first_order", C[2], False, "NTK ridge, first order"),
              ("linear_implicit", "closed_form", C[3], False, r"linear ridge at $\lambda_{imp}+\lambda/g_1$"),
              ("linear_implicit", "theory", C[3], True, "its deterministic equivalent")]
    ax = axes[0, 0]
    for model, method, c, is_th, _ in series:
        u = curve(model, method)
        if is_th:
            ax.plot(u["standard_risk"], u["adversarial_risk"], "-", color=c, lw=1.4)
        else:
            ax.plot(u["standard_risk"], u["adversarial_risk"], "o", color=c, ms=3.5, mfc="none")
        ax.plot(u["standard_risk"].iloc[0], u["adversarial_risk"].iloc[0], "o", color=c, ms=7, mec="k")
    ax.plot(orc.standard_risk, orc.adversarial_risk[:, e], "-", color="k", lw=2.2, alpha=0.35)
    for j, w in enumerate(cfg.widths):
        g = _mean(tab, model="gd_network", method="pgd", eps=emax, width=w)
        if len(g):
            ax.plot(g["test_standard_risk"].mean(), g["adversarial_risk"].mean(), F.MARKERS[(j + 1) % 7],
                    color=C[1], mec="k", ms=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"standard risk $E(f(x) - x^T\theta^*)^2$")
    ax.set_ylabel(r"adversarial risk $E\max_{\|\delta\|_2\leq\varepsilon}(f(x{+}\delta)-x^T\theta^*)^2$")
    ax.set_title(rf"trade-off along the penalty path, $\varepsilon$ = {emax:g} (big circles: $\lambda$ = 0)")
    lo = float(_mean(tab, eps=emax)["standard_risk"].min())
    ax.set_xlim(left=lo / 3)
    if gt > 0:
        ax.set_ylim(bottom=0.7 * gt)
    F.plain_log_ticks(ax)
    h = [Line2D([], [], color=c, marker=None if th else "o", mfc="none", ls="-" if th else "", label=lab)
         for _, _, c, th, lab in series]
    h += [Line2D([], [], color="k", lw=2.2, alpha=0.35, label="oracle frontier (linear target)"),
          Line2D([], [], color=C[1], marker="s", mec="k", ls="", label="GD-trained networks (one marker per "
                                                                        "width), PGD")]
    ax.legend(handles=h, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=6.5, frameon=False)
    ax = axes[0, 1]
    for model, method, c, is_th, _ in series:
        u = curve(model, method)
        u = u[u.index > 0]
        x = u.index / (0.25 * cfg.n)
        ax.plot(x, u["adversarial_risk"], "-" if is_th else "o", color=c, ms=3.5, mfc="none")
        if method in ("first_order", "closed_form"):
            ax.plot(x, u["standard_risk"], "^", color=c, ms=3.5, mfc="none")
    if gt > 0:
        ax.axhline(gt, color="0.4", ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    F.plain_log_ticks(ax)
    ax.set_xlabel(r"NTK penalty $\lambda / (g_1 n)$ of $(K + \lambda I)^{-1}$, $g_1 = 1/4$")
    ax.set_ylabel("risk (clean target)")
    ax.set_title(r"risks along the NTK ridge path and its linearisation")
    h = [Line2D([], [], color="0.3", marker="o", mfc="none", ls="",
                label=r"$R_\varepsilon$ (colours as left)"),
         Line2D([], [], color="0.3", marker="^", mfc="none", ls="", label=r"$R_0$"),
         Line2D([], [], color="0.4", ls=":",
                label=r"ground truth's own $R_\varepsilon(\theta^*)$ (computed)")]
    ax.legend(handles=h, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=6.5, frameon=False)
    ax = axes[1, 0]
    gd = _mean(tab, model="gd_network", method="pgd", eps=emax)
    h = []
    if len(gd):
        g = gd.groupby("width")[["gap_to_finite_kernel", "gap_to_infinite_kernel"]].agg(["mean", "std"])
        widths = np.array(g.index, dtype=float)
        sl = gap_slopes(tab)
        for col, c, lab in (("gap_to_finite_kernel", C[0], "to the kernel interpolator at the same init"),
                            ("gap_to_infinite_kernel", C[2], "to the infinite-width NTK interpolator")):
            ax.errorbar(widths, g[(col, "mean")], yerr=g[(col, "std")].fillna(0), fmt="o", color=c, capsize=2)
            v = sl[sl["gap"] == col]["slope"]
            h.append(Line2D([], [], color=c, marker="o", ls="", label=f"gap {lab} (mean +- sd)"))
            if len(v):
                a = float(v.mean())
                # the fitted rate, drawn through the geometric mean of the seed means
                lx, ly = np.log(widths).mean(), np.log(g[(col, "mean")]).mean()
                ax.plot(widths, np.exp(ly + a * (np.log(widths) - lx)), "--", color=c, lw=1.2)
                h.append(Line2D([], [], color=c, ls="--", label=f"least-squares fit: slope {_ms(v)}"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    F.plain_log_ticks(ax)
    if len(gd):
        ax.set_xticks(widths)  # ticks at the widths run (after plain_log_ticks: a fixed locator)
    ax.set_xlabel("width m (neurons)")
    ax.set_ylabel(r"relative gap $\|f_{GD} - f_{kernel}\|_2 / \|f_{kernel}\|_2$ on test points")
    ax.set_title("lazy training: the GD-trained network approaches the kernel predictor")
    ax.legend(handles=h, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=6.5, frameon=False)
    ax = axes[1, 1]
    h = []
    ws = np.zeros(0)
    kinds = (("gd_network", "pgd", C[0], "o", "GD-trained network, PGD"),
             ("gd_network", "first_order", C[2], "s", "GD-trained network, first order (a.e. gradient)"),
             ("ntk_finite", "pgd", C[3], "^", "finite-width kernel interpolator, PGD"))
    for k_dodge, (model, method, c, mk, lab) in enumerate(kinds):
        v = _mean(tab, model=model, method=method, eps=emax).groupby("width")["adversarial_risk"].agg(
            ["mean", "std"])
        if len(v):
            ws = np.array(v.index, dtype=float)
            dodge = 1.06 ** (k_dodge - 1)  # side by side at each width (their bars would overlap)
            ax.errorbar(ws * dodge, v["mean"], yerr=v["std"].fillna(0), fmt=mk, color=c, capsize=2,
                        mfc="none")
            h.append(Line2D([], [], color=c, marker=mk, mfc="none", ls="", label=lab + " (mean +- sd)"))
    inf = _per_seed(tab, "ntk_infinite", "pgd", emax, 0.0)
    k = int(gd["seed"].nunique()) if len(gd) else 0
    inf = float(inf[inf["seed"] < max(k, 1)]["adversarial_risk"].mean())
    ax.axhline(inf, color=C[1], lw=1.4)
    h.append(Line2D([], [], color=C[1], lw=1.4, label="infinite-width NTK interpolator, PGD (same seeds)"))
    if gt > 0:
        ax.axhline(gt, color="0.4", ls=":")
        h.append(Line2D([], [], color="0.4", ls=":", label=r"ground truth's own $R_\varepsilon(\theta^*)$"))
    ax.set_xscale("log")
    ax.set_yscale("log")
    F.plain_log_ticks(ax)
    if len(ws):
        ax.set_xticks(ws)
    ax.set_xlabel("width m (neurons; markers side by side at each width)")
    ax.set_ylabel(r"adversarial risk of the interpolator ($\ell_2$, $\varepsilon$" + f" = {emax:g})")
    ax.set_title("attacks on interpolating networks")
    ax.legend(handles=h, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, fontsize=6.5, frameon=False)
    fig.suptitle(f"E3: two-layer ReLU NTK (first layer), n = {cfg.n}, d = {cfg.d_factor * cfg.n} "
                 rf"(two_level), $\theta^*$ = {resolve_theta_star(cfg.theta_star).describe()}, "
                 rf"$\sigma$={NOISE:g}, "
                 f"{cfg.seeds} seeds (finite widths: {min(cfg.gd_seeds, cfg.seeds)})")
    return F.save(fig, base)
