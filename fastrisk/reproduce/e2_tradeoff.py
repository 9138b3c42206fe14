"""E2, claim (ii): along the ridge path the standard and the adversarial risk cannot both be small.

Setting: the ``two_level`` spectrum of :mod:`._common` (``p = n^1.5``, ``low p = n^0.5``), ``theta* = e_1``,
``sigma = 1``, a dense ridge path ``lam = n * ([0] + logspace(-4, 2, L))`` (``lam`` unnormalised, of
``|y - X theta|^2 + lam |theta|^2``), l2 attacks of several radii, several n. Per penalty: the standard
risk ``R_0`` and the clean-target adversarial risk ``R_eps`` (exact given theta_hat, Gaussian closed form),
mean over seeds, beside

- the deterministic equivalent of the whole path (``fastrisk.theory.ridge_equivalent``),
- the oracle frontier: the population ridge path ``(Sigma + mu I)^{-1} Sigma theta*`` which, for l2
  attacks, is the exact Pareto frontier of (R_0, R_eps) over all theta (``theory.oracle_frontier``),
- the harm ``H = min_lam max(R_0, R_eps - R_eps(theta*))`` (0 on the oracle frontier, reached at theta*)
  and the product ``R_0 (R_eps - R_0)`` per penalty, whose lower bound is the mechanism of the trade-off
  (bias grows and the noise part of ``|theta_hat|^2`` shrinks with the effective regularisation; their
  product does not depend on it).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import theory as T
from ..ground_truth import resolve_theta_star
from . import figures as F
from ._common import (
    NOISE,
    Summary,
    ground_truth_risk,
    spectrum_array,
    sweep_signal,
    sweep_specs,
    write_json,
    write_table,
)
from ._sim import simulate

__all__ = ["NAME", "Config", "config", "run", "theory_paths", "harm", "plot", "truth"]

NAME = "E2"
TITLE = "E2: the ridge trade-off between standard and adversarial risk"


@dataclass(frozen=True)
class Config:
    """The setting; ``theta_star`` is any ``e1`` ground truth (``"e1:scale=2"`` is ``2 e_1``: the
    simulations run through the sweep layer, which carries ``signal * e_1``), ``target`` is ``"clean"``
    or ``"consistent"``."""

    ns: tuple[int, ...]
    seeds: int
    n_lam: int
    spectrum: str = "two_level"
    eps: tuple[float, ...] = (0.05, 0.1, 0.2)
    lam_n: tuple[float, float] = (-4.0, 2.0)
    theta_star: str = "e1"
    target: str = "clean"


def config(quick: bool) -> Config:
    """Quick: n in {200, 500, 1000}, 3 seeds, 100 penalties; default: n in {300, 1000, 2000}, 10 seeds,
    300 penalties."""
    if quick:
        return Config(ns=(200, 500, 1000), seeds=3, n_lam=100)
    return Config(ns=(300, 1000, 2000), seeds=10, n_lam=300)


def lam_grid(cfg: Config, n: int) -> np.ndarray:
    """The unnormalised penalties of the path at n: ``n * ([0] + logspace(start, stop, n_lam))``."""
    return n * np.concatenate([[0.0], np.logspace(cfg.lam_n[0], cfg.lam_n[1], cfg.n_lam)])


def truth(cfg: Config, n: int):
    """``(spectrum, theta*, R_eps(theta*) per radius)`` at n: the ground truth's own adversarial risk
    computed for the target (never assumed)."""
    s = spectrum_array(cfg.spectrum, n)
    ts = resolve_theta_star(cfg.theta_star).build(s, n=n)
    return s, ts, ground_truth_risk(ts, list(cfg.eps), 2.0, cfg.target)


def specs(cfg: Config) -> dict[str, dict]:
    lam_n = {"start": cfg.lam_n[0], "stop": cfg.lam_n[1], "num": cfg.n_lam, "zero": True}
    return sweep_specs(cfg.spectrum, cfg.ns, cfg.seeds, lam_n=lam_n, eps=cfg.eps, norm=(2.0,),
                       target=(cfg.target,), signal=sweep_signal(cfg.theta_star, "E2"))


def harm(R0, Radv, gt):
    """``max(R_0, R_eps - R_eps(theta*))`` per penalty (arrays (L,), (L,), scalar)."""
    return np.maximum(R0, Radv - gt)


def theory_paths(cfg: Config, ns=None):
    """Deterministic-equivalent paths: one row per (n, lam, eps) with standard_risk, adversarial_risk."""
    import pandas as pd

    rows = []
    for n in ns or cfg.ns:
        s, ts, _ = truth(cfg, n)
        lam = lam_grid(cfg, n)
        eq = T.ridge_equivalent(s, ts, NOISE, n, lam, sequence_norms=False)
        adv = T.adversarial_equivalent(s, ts, NOISE, n, lam, list(cfg.eps), target=cfg.target, equivalent=eq)
        for e, eps in enumerate(cfg.eps):
            rows.append(pd.DataFrame(dict(spectrum=cfg.spectrum, n=n, p=s.size, lam=lam, eps=eps, norm=2.0,
                                          standard_risk=eq.risk, adversarial_risk=adv[:, e])))
    return pd.concat(rows, ignore_index=True)


def theory_harm(cfg: Config, n: int):
    """The theory's harm per radius with the penalty grid extended until its optimum is inside it
    (theta = 0 as an end point): a list of :class:`fastrisk.theory.GridOptimum`."""
    s, ts, gt = truth(cfg, n)
    null = float(np.dot(s, ts * ts))

    def ev(lam):
        eq = T.ridge_equivalent(s, ts, NOISE, n, lam, sequence_norms=False)
        adv = T.adversarial_equivalent(s, ts, NOISE, n, lam, list(cfg.eps), target=cfg.target, equivalent=eq)
        return np.maximum(eq.risk[:, None], adv - gt[None, :])

    _, _, opts = T.optimise_on_grid(ev, lam_grid(cfg, n), lower=n * 10.0 ** (cfg.lam_n[0] - 4),
                                    upper=n * 1e6, at_infinity=np.full(len(cfg.eps), null))
    return opts


def _sd(v) -> float:
    return float(np.std(v, ddof=1)) if len(v) > 1 else 0.0


def _summary_rows(sim, th, cfg: Config):
    """Per (n, eps): min-norm, best adversarial, harm (simulation: mean +- sd over seeds; theory), oracle.

    A best penalty of the simulated grid on its edge is marked (``harm_edge``): its value is a bound."""
    import pandas as pd

    rows = []
    for n in cfg.ns:
        s, ts, gts = truth(cfg, n)
        orc = T.oracle_frontier(s, ts, list(cfg.eps), norm=2, target=cfg.target)
        t_opt = theory_harm(cfg, n)
        for e, eps in enumerate(cfg.eps):
            gt = float(gts[e])
            d = sim[(sim["n"] == n) & (sim["eps"] == eps)]
            seeds = []
            for _, g in d.groupby("seed"):
                g = g.sort_values("lam")
                h = harm(g["standard_risk"].to_numpy(), g["adversarial_risk"].to_numpy(), gt)
                seeds.append((h.min(), g["adversarial_risk"].min(), g["adversarial_risk"].iloc[0],
                              g["standard_risk"].iloc[0]))
            per_seed = np.array(seeds)
            m = d.groupby("lam")[["standard_risk", "adversarial_risk"]].mean().sort_index()
            lam = m.index.to_numpy()
            R0m, Ram = m["standard_risk"].to_numpy(), m["adversarial_risk"].to_numpy()
            hm = harm(R0m, Ram, gt)
            opt = T.grid_optimum(hm, lam)
            t = th[(th["n"] == n) & (th["eps"] == eps)].sort_values("lam")
            R0t, Rat = t["standard_risk"].to_numpy(), t["adversarial_risk"].to_numpy()
            ht = harm(R0t, Rat, gt)
            gap = T.frontier_gap((R0m, Ram[:, None]),
                                 T.oracle_frontier(s, ts, [eps], norm=2, target=cfg.target)).gap[0]
            rows.append(dict(
                spectrum=cfg.spectrum, n=n, p=s.size, eps=eps, target=cfg.target,
                ground_truth_adversarial_risk=gt,
                minnorm_standard_risk=per_seed[:, 3].mean(), minnorm_adversarial_risk=per_seed[:, 2].mean(),
                best_adversarial_risk=per_seed[:, 1].mean(), best_adversarial_risk_sd=_sd(per_seed[:, 1]),
                harm=per_seed[:, 0].mean(), harm_sd=_sd(per_seed[:, 0]),
                harm_lam_n=opt.lam / n, harm_edge=opt.edge,
                theory_harm=t_opt[e].value, theory_harm_lam_n=t_opt[e].lam / n,
                theory_harm_edge=t_opt[e].edge,
                theory_best_adversarial_risk=float(t["adversarial_risk"].min()),
                oracle_best_adversarial_risk=float(orc.adversarial_risk[:, e].min()),
                gap_to_oracle=float(gap), seeds=len(per_seed),
                product_at_harm=float((R0m * (Ram - R0m))[opt.index]),
                theory_product_at_harm=float((R0t * (Rat - R0t))[int(np.argmin(ht))])))
    return pd.DataFrame(rows)


def run(out: Path, *, quick: bool = False, workers=None, client=None, progress: bool = True,
        cfg: Config | None = None) -> Summary:
    """Simulate the ridge paths (sweep store under ``out/E2/sweeps``), add theory and oracle, plot,
    summarise.

    ``cfg`` replaces the preset ``config(quick)`` (to change the setting, e.g. in a notebook; a
    different setting in the same directory is refused by the stores).
    """
    import pandas as pd

    t0 = time.perf_counter()
    cfg = config(quick) if cfg is None else cfg
    d = Path(out) / NAME
    sim = simulate(specs(cfg), d / "sweeps", workers=workers, client=client, progress=progress)
    sim = sim[(sim["target"] == cfg.target) & (sim["norm"] == 2.0)]
    th = theory_paths(cfg)
    cols = ["source", "spectrum", "n", "p", "seed", "lam", "eps", "norm", "standard_risk", "adversarial_risk"]
    tidy = pd.concat([sim.assign(source="simulation")[cols], th.assign(source="theory", seed=-1)[cols]],
                     ignore_index=True)
    tidy["lam_n"] = tidy["lam"] / tidy["n"]
    tidy["target"] = cfg.target
    write_table(tidy, d / "e2_tradeoff.parquet")
    summ_tab = _summary_rows(sim, th, cfg)
    summ_tab.to_csv(d / "e2_summary.csv", index=False)
    figs = plot(sim, th, summ_tab, cfg, d / "e2_tradeoff")
    gt = resolve_theta_star(cfg.theta_star)
    summ = Summary(
        name=NAME, title=TITLE,
        claim=("Along the ridge path no single penalty makes both the standard risk and the adversarial "
               "risk small: the path stays away from the oracle (population) frontier, and the product "
               "R_0 (R_eps - R_0) stays bounded below (claim (ii) of Hao & Zhang, arXiv:2401.12236)."),
        setting=(f"Spectrum {cfg.spectrum} (p = n^1.5, low p = n^0.5), theta* = {gt.describe()} "
                 f"(||theta*||_2 = {gt.scale:g}), sigma = {NOISE:g}, n in {list(cfg.ns)}, {cfg.seeds} seeds, "
                 f"{cfg.n_lam + 1} penalties lam/n in {{0}} + [1e{cfg.lam_n[0]:g}, 1e{cfg.lam_n[1]:g}], l2 "
                 f"attacks, eps in {list(cfg.eps)}, {cfg.target} target. Harm H = min_lam max(R_0, R_eps - "
                 "R_eps(theta*)), per seed then averaged; the oracle frontier has H = 0 (theta* itself)."),
        findings=_findings(summ_tab, cfg),
        figures=[str(p.relative_to(out)) for p in figs],
        tables=[f"{NAME}/e2_tradeoff.parquet", f"{NAME}/e2_summary.csv"],
        seconds=time.perf_counter() - t0,
        captions=[_caption(th, cfg)])
    write_json(summ.to_json(), d / "summary.json")
    return summ


def _lam_text(v: float, edge: str) -> str:
    if edge == "upper":
        return f">= {v:.2g} (grid edge: a bound)"
    if edge == "lower":
        return f"<= {v:.2g} (grid edge: a bound)"
    return "inf (theta = 0)" if math.isinf(v) else f"{v:.2g}"


def _findings(tab, cfg: Config) -> list[str]:
    out = []
    emax = max(cfg.eps)
    t = tab[tab["eps"] == emax].sort_values("n")
    gts = ", ".join(f"{v:.3g}" for v in t["ground_truth_adversarial_risk"])
    hs = ", ".join(f"{h:.3g} (theory {th:.3g})" for h, th in zip(t["harm"], t["theory_harm"], strict=True))
    out.append(f"Harm at eps = {emax:g} ({cfg.target} target; the ground truth's own adversarial risk, "
               f"computed: {gts}) for n = {', '.join(str(v) for v in t['n'])}: {hs}; the ground truth and "
               "the oracle frontier have harm 0. The best penalty of the mean simulated path sits at lam/n "
               + ", ".join(_lam_text(v, e) for v, e in zip(t["harm_lam_n"], t["harm_edge"], strict=True))
               + "; the theory's (grid extended until the optimum is inside it): "
               + ", ".join(_lam_text(v, e) for v, e in zip(t["theory_harm_lam_n"], t["theory_harm_edge"],
                                                            strict=True)) + ".")
    out.append(f"Best adversarial risk along the path vs the oracle frontier's best at eps = {emax:g}: "
               + ", ".join(f"n = {r.n}: {r.best_adversarial_risk:.3g} vs {r.oracle_best_adversarial_risk:.3g}"
                           for r in t.itertuples()) + "; the min-norm interpolator: "
               + ", ".join(f"{v:.3g}" for v in t["minnorm_adversarial_risk"]) + ".")
    out.append("Vertical gap of the (mean) path to the oracle frontier at eps = "
               f"{emax:g}: " + ", ".join(f"{v:.3g}" for v in t["gap_to_oracle"]) + "; the product "
               "R_0 (R_eps - R_0) at the best-harm penalty: " + ", ".join(
                   f"{v:.3g} (theory {w:.3g})"
                   for v, w in zip(t["product_at_harm"], t["theory_product_at_harm"], strict=True))
               + " (it vanishes only where theta -> 0, at the largest penalties, where R_0 -> "
               "|theta*|_Sigma^2).")
    first, last = t.iloc[0], t.iloc[-1]
    if last["harm"] < first["harm"]:
        out.append(f"At this *fixed* radius the harm shrinks as n grows ({first['harm']:.3g} -> "
                   f"{last['harm']:.3g} from n = {first['n']} to {last['n']}); the regime map follows it "
                   "to n = 10^5 and asks where other radius scalings, targets and ground truths keep it.")
    else:
        out.append(f"The harm does not shrink with n at this radius ({first['harm']:.3g} -> "
                   f"{last['harm']:.3g}).")
    return out


def _caption(th, cfg: Config) -> str:
    return (f"Top: the ridge path in the (R_0, R_eps) plane, simulated (markers: the min-norm interpolator, "
            f"the best adversarial risk and the best harm) and its deterministic equivalent (lines); left "
            f"at eps = {max(cfg.eps):g} for each n (greys: n), right at n = {max(cfg.ns)} for each radius "
            "(one colour per radius, as in every figure), with the oracle frontier. Bottom: the harm per "
            "penalty and the product R_0 (R_eps - R_0) against lam/n.")


def plot(sim, th, tab, cfg: Config, base: Path) -> list[Path]:
    """The E2 figure: trade-off curves (per n; per eps), harm and product against the penalty."""
    plt = F.pyplot()
    from matplotlib.lines import Line2D

    fig, axes = plt.subplots(2, 2, figsize=(10.5, 8.4))
    emax = max(cfg.eps)
    nmax = max(cfg.ns)
    ncol = dict(zip(cfg.ns, F.n_colors(len(cfg.ns)), strict=True))
    mean = sim.groupby(["n", "eps", "lam"])[["standard_risk", "adversarial_risk"]].mean().reset_index()
    s_any, ts_any, gt_any = truth(cfg, nmax)
    orc = T.oracle_frontier(s_any, ts_any, list(cfg.eps), norm=2, target=cfg.target)

    def curve(ax, n, eps, color):
        _, _, gts = truth(cfg, n)
        m = mean[(mean["n"] == n) & (mean["eps"] == eps)].sort_values("lam")
        t = th[(th["n"] == n) & (th["eps"] == eps)].sort_values("lam")
        R0, Ra = m["standard_risk"].to_numpy(), m["adversarial_risk"].to_numpy()
        ax.plot(R0, Ra, ".", color=color, ms=2.5, alpha=0.7)  # simulated path: markers
        ax.plot(t["standard_risk"], t["adversarial_risk"], "-", color=color, lw=1.3)  # theory: line
        ax.plot(R0[0], Ra[0], "o", color=color, ms=6, mec="k", mew=0.5)
        ax.plot(R0[np.argmin(Ra)], Ra.min(), "*", color=color, ms=10, mec="k", mew=0.5)
        k = int(np.argmin(harm(R0, Ra, gts[list(cfg.eps).index(eps)])))
        ax.plot(R0[k], Ra[k], "s", color=color, ms=6, mec="k", mew=0.5)

    ax = axes[0, 0]
    for n in cfg.ns:
        curve(ax, n, emax, ncol[n])
    e = cfg.eps.index(emax)
    ax.plot(orc.standard_risk, orc.adversarial_risk[:, e], "-", color=F.radius_color(emax), lw=2.4,
            alpha=0.45)
    ax.set_title(rf"trade-off along the ridge path, $\ell_2$ attack, $\varepsilon$ = {emax:g}")
    ax = axes[0, 1]
    for eps in cfg.eps:
        curve(ax, nmax, eps, F.radius_color(eps))
        ax.plot(orc.standard_risk, orc.adversarial_risk[:, cfg.eps.index(eps)], "-",
                color=F.radius_color(eps), lw=2.4, alpha=0.45)
    ax.set_title(f"trade-off at n = {nmax}, one colour per radius")
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(F.R0_LABEL)
        ax.set_ylabel(F.radv_label(2))
        ax.set_xlim(left=1e-3 if orc.standard_risk[orc.standard_risk > 0].min() < 1e-3 else None)
        F.plain_log_ticks(ax)

    for n in cfg.ns:
        _, _, gts = truth(cfg, n)
        g = float(gts[e])
        m = mean[(mean["n"] == n) & (mean["eps"] == emax) & (mean["lam"] > 0)].sort_values("lam")
        t = th[(th["n"] == n) & (th["eps"] == emax) & (th["lam"] > 0)].sort_values("lam")
        x, xt = m["lam"] / n, t["lam"] / n
        R0, Ra = m["standard_risk"].to_numpy(), m["adversarial_risk"].to_numpy()
        h = harm(R0, Ra, g)
        axes[1, 0].plot(x, h, ".", color=ncol[n], ms=2.5)
        axes[1, 0].plot(xt, harm(t["standard_risk"].to_numpy(), t["adversarial_risk"].to_numpy(), g), "-",
                        color=ncol[n], lw=1.3)
        opt = T.grid_optimum(h, x.to_numpy())
        axes[1, 0].plot(x.iloc[opt.index], h[opt.index], "s" if not opt.edge else ">", color=ncol[n], mec="k",
                        mew=0.5, ms=6)
        axes[1, 1].plot(x, R0 * (Ra - R0), ".", color=ncol[n], ms=2.5)
        axes[1, 1].plot(xt, t["standard_risk"] * (t["adversarial_risk"] - t["standard_risk"]), "-",
                        color=ncol[n], lw=1.3)
    axes[1, 0].set_ylabel(r"$\max(R_0,\ R_\varepsilon - R_\varepsilon(\theta^*))$"
                          + rf" at $\varepsilon$ = {emax:g}")
    axes[1, 0].set_title(r"harm per penalty (its minimum over $\lambda$ is the harm $H$; oracle: 0)")
    axes[1, 1].set_ylabel(r"$R_0\,(R_\varepsilon - R_0)$" + rf" at $\varepsilon$ = {emax:g}")
    axes[1, 1].set_title("the mechanism: product of the two excesses per penalty")
    for ax in axes[1]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(F.LAM_LABEL + r" (unnormalised $\lambda$ of $\|y-X\theta\|^2+\lambda\|\theta\|^2$)")
        F.plain_log_ticks(ax)
    handles = [Line2D([], [], color=ncol[n], lw=2, label=f"n = {n}") for n in cfg.ns]
    handles += [Line2D([], [], color=F.radius_color(eps), lw=2, label=rf"$\varepsilon$ = {eps:g}")
                for eps in cfg.eps]
    handles += F.kind_handles(sim_label=f"simulation (mean over {cfg.seeds} seeds)", sim_marker=".")
    handles += [Line2D([], [], color="0.5", lw=2.4, alpha=0.45,
                       label=r"oracle frontier $(\Sigma+\mu I)^{-1}\Sigma\theta^*$"),
                Line2D([], [], color="0.3", marker="o", mec="k", ls="", label=r"min-norm ($\lambda$ = 0)"),
                Line2D([], [], color="0.3", marker="*", mec="k", ms=9, ls="", label=r"best $R_\varepsilon$"),
                Line2D([], [], color="0.3", marker="s", mec="k", ls="", label="best harm"),
                Line2D([], [], color="0.3", marker=">", mec="k", ls="",
                       label="best harm on the grid edge (a bound)")]
    F.legend_outside(fig, handles, ncol=5)
    gt = resolve_theta_star(cfg.theta_star)
    fig.suptitle(f"E2: ridge path on {cfg.spectrum} (p = $n^{{1.5}}$), $\\theta^*$ = {gt.describe()}, "
                 f"$\\sigma$={NOISE:g}, {cfg.seeds} seeds, {cfg.target} target, $\\ell_2$ attacks")
    return F.save(fig, base)
