"""E1, claim (i): the min-norm interpolator is benign in standard risk yet adversarially vulnerable.

Setting: the benign spectra of :mod:`._common` (``two_level`` with ``p = n^1.5``, ``bllt_log`` with
``p = 20 n``), ``theta* = e_1``, ``sigma = 1``, n growing over a decade. For the min-norm interpolator
(``lam = 0``) we simulate the standard risk ``R_0 = |theta_hat - theta*|_Sigma^2`` and the clean-target
adversarial risk ``R_eps = E max_{|delta|_p <= eps} ((x + delta)^T theta_hat - x^T theta*)^2`` (exact
Gaussian closed form given theta_hat) for l2 and l_inf attacks, over seeds, and overlay

- the deterministic equivalent (``fastrisk.theory.ridge_equivalent`` / ``adversarial_equivalent`` at
  ``lam = 0``; for l_inf the Gaussian-sequence-model ``E|theta_hat|_1``),
- the ground truth's adversarial risk ``eps^2 |theta*|_q^2`` (computed: ``eps^2`` for ``theta* = e_1``),
- the min-norm lower bound ``R_eps >= eps^2 E|theta_hat|_2^2 >= eps^2 sigma^2 n / tr(Sigma)``
  (Bartlett et al. 2020; Hao & Zhang 2024, arXiv:2401.12236), valid for l2 and, since
  ``|theta|_1 >= |theta|_2``, for l_inf.
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
    SPECTRA,
    Summary,
    ground_truth_risk,
    ratio_or_nan,
    spectrum_array,
    sweep_signal,
    sweep_specs,
    write_json,
    write_table,
)
from ._sim import simulate

__all__ = ["NAME", "Config", "config", "run", "theory_table", "plot"]

NAME = "E1"
TITLE = "E1: the min-norm interpolator, benign yet adversarially vulnerable"


@dataclass(frozen=True)
class Config:
    ns: tuple[int, ...]
    seeds: int
    spectra: tuple[str, ...] = SPECTRA
    eps: tuple[float, ...] = (0.05, 0.1, 0.2)
    norms: tuple[float, ...] = (2.0, math.inf)
    theta_star: str = "e1"


def truth(cfg: Config, kind: str, n: int):
    """``(spectrum, theta*)`` at n (an ``e1`` ground truth: the sweep layer carries signal * e_1)."""
    s = spectrum_array(kind, n)
    return s, resolve_theta_star(cfg.theta_star).build(s, n=n)


def config(quick: bool) -> Config:
    """Quick: n = 100..1000, 3 seeds; default: n = 100..2000, 10 seeds."""
    if quick:
        return Config(ns=(100, 200, 400, 1000), seeds=3)
    return Config(ns=(100, 200, 500, 1000, 2000), seeds=10)


def specs(cfg: Config) -> dict[str, dict]:
    out = {}
    for kind in cfg.spectra:
        out.update(sweep_specs(kind, cfg.ns, cfg.seeds, lam=[0.0], eps=cfg.eps, norm=cfg.norms,
                               signal=sweep_signal(cfg.theta_star, "E1")))
    return out


def theory_table(cfg: Config, ns=None):
    """Deterministic equivalents of the min-norm interpolator, one row per (spectrum, n, norm, eps).

    Columns: spectrum, n, p, norm, eps, standard_risk, adversarial_risk, norm2_sq (E|theta_hat|^2),
    ground_truth_adversarial_risk (computed: eps^2 ||theta*||_q^2), lower_bound (eps^2 sigma^2 n / tr Sigma).
    """
    import pandas as pd

    rows = []
    for kind in cfg.spectra:
        grid = ns if ns is not None else _dense(cfg.ns)
        for n in grid:
            s, ts = truth(cfg, kind, n)
            eq = T.ridge_equivalent(s, ts, NOISE, n, [0.0], sequence_norms=True)
            lb = NOISE**2 * n / float(s.sum())
            for q in cfg.norms:
                adv = T.adversarial_equivalent(s, ts, NOISE, n, [0.0], list(cfg.eps), norm=q,
                                               equivalent=eq)[0]
                gt = ground_truth_risk(ts, list(cfg.eps), q, "clean")
                for e, eps in enumerate(cfg.eps):
                    rows.append(dict(spectrum=kind, n=int(n), p=int(s.size), norm=float(q), eps=float(eps),
                                     standard_risk=float(eq.risk[0]), adversarial_risk=float(adv[e]),
                                     norm2_sq=float(eq.norm2_sq[0]),
                                     ground_truth_adversarial_risk=float(gt[e]),
                                     lower_bound=float(eps) ** 2 * lb))
    return pd.DataFrame(rows)


def _dense(ns):
    return sorted(set(np.unique(np.geomspace(min(ns), max(ns), 9).round().astype(int)).tolist()) | set(ns))


def _sim_stats(sim):
    g = sim.groupby(["spectrum", "n", "p", "norm", "eps"])
    out = g.agg(standard_risk=("standard_risk", "mean"), standard_risk_sd=("standard_risk", "std"),
                adversarial_risk=("adversarial_risk", "mean"),
                adversarial_risk_sd=("adversarial_risk", "std"),
                seeds=("seed", "nunique")).reset_index()
    return out


def run(out: Path, *, quick: bool = False, workers=None, client=None, progress: bool = True,
        cfg: Config | None = None) -> Summary:
    """Simulate (through the sweep store under ``out/E1/sweeps``), compare with theory, plot, summarise.

    ``cfg`` replaces the preset ``config(quick)`` (to change the setting, e.g. in a notebook; a
    different setting in the same directory is refused by the stores).
    """
    import pandas as pd

    t0 = time.perf_counter()
    cfg = config(quick) if cfg is None else cfg
    d = Path(out) / NAME
    sim = simulate(specs(cfg), d / "sweeps", workers=workers, client=client, progress=progress)
    sim = sim[(sim["lam"] == 0.0) & (sim["target"] == "clean")]
    th_pts = theory_table(cfg, ns=cfg.ns)
    th_dense = theory_table(cfg)
    tidy = pd.concat([
        sim.assign(source="simulation")[["source", "spectrum", "n", "p", "seed", "norm", "eps",
                                         "standard_risk", "adversarial_risk"]],
        th_pts.assign(source="theory", seed=-1)[["source", "spectrum", "n", "p", "seed", "norm", "eps",
                                                 "standard_risk", "adversarial_risk"]],
    ], ignore_index=True)
    tidy["ground_truth_adversarial_risk"] = [
        float(ground_truth_risk(truth(cfg, r.spectrum, r.n)[1], [r.eps], r.norm, "clean")[0])
        for r in tidy[["spectrum", "n", "norm", "eps"]].itertuples()]
    write_table(tidy, d / "e1_minnorm.parquet")
    stats = _sim_stats(sim)
    figs = plot(stats, th_dense, cfg, d / "e1_minnorm")
    findings = _findings(stats, th_pts, cfg)
    gt = resolve_theta_star(cfg.theta_star)
    summ = Summary(
        name=NAME, title=TITLE,
        claim=("The min-norm interpolator can have a standard risk that falls towards 0 as n grows "
               "(benign overfitting) while its adversarial risk stays far above that of the ground truth, "
               "which is robust (claim (i) of Hao & Zhang, arXiv:2401.12236)."),
        setting=(f"Spectra {', '.join(cfg.spectra)} (two_level: exp(-j/2) + low, p = n^1.5, low p = n^0.5; "
                 f"bllt_log: 1/(k ln^2(k+1)), p = 20 n), theta* = {gt.describe()}, sigma = {NOISE:g}, "
                 f"n in {list(cfg.ns)}, {cfg.seeds} seeds per n, lam = 0 (min-norm), clean target, "
                 f"l2 and l_inf attacks with eps in {list(cfg.eps)}. Risks exact given theta_hat "
                 "(Gaussian closed form); lines: deterministic equivalent; dotted: the ground truth's own "
                 "adversarial risk eps^2 ||theta*||_q^2; dash-dot: lower bound eps^2 sigma^2 n / tr(Sigma)."),
        findings=findings,
        figures=[str(p.relative_to(out)) for p in figs],
        tables=[f"{NAME}/e1_minnorm.parquet"],
        seconds=time.perf_counter() - t0)
    write_json(summ.to_json(), d / "summary.json")
    return summ


def _findings(stats, th, cfg: Config) -> list[str]:
    out = []
    emax = max(cfg.eps)
    n0, n1 = min(cfg.ns), max(cfg.ns)
    for kind in cfg.spectra:
        s = stats[stats["spectrum"] == kind]
        r0 = s[(s["norm"] == 2.0) & (s["eps"] == emax)].set_index("n")["standard_risk"]
        bits = [f"**{kind}**: standard risk of the min-norm interpolator {r0[n0]:.3g} at n = {n0} -> "
                f"{r0[n1]:.3g} at n = {n1} ({'falls' if r0[n1] < r0[n0] else 'does not fall'}; "
                f"sigma^2 = {NOISE**2:g})"]
        for q in cfg.norms:
            a = s[(s["norm"] == q) & (s["eps"] == emax)].set_index("n")["adversarial_risk"]
            g = th[(th["spectrum"] == kind) & (th["norm"] == q) & (th["eps"] == emax)].set_index("n")[
                "ground_truth_adversarial_risk"]
            r0, r1 = ratio_or_nan(a[n0], g[n0]), ratio_or_nan(a[n1], g[n1])
            nm = "l_inf" if math.isinf(q) else f"l{q:g}"
            if math.isfinite(r0) and math.isfinite(r1):
                bits.append(f"{nm} adversarial risk at eps = {emax:g}: {r0:.3g}x the ground truth's "
                            f"({g[n0]:.3g}) at n = {n0}, {r1:.3g}x ({g[n1]:.3g}) at n = {n1}")
            else:  # the ground truth's risk is 0: no ratio
                bits.append(f"{nm} adversarial risk at eps = {emax:g}: {a[n0]:.3g} at n = {n0}, "
                            f"{a[n1]:.3g} at n = {n1} (the ground truth's is 0)")
        t = th[th["spectrum"] == kind].set_index(["n", "norm", "eps"])
        m = s.set_index(["n", "norm", "eps"])
        rel_r0 = np.max(np.abs(m["standard_risk"] / t.loc[m.index, "standard_risk"] - 1))
        rel_adv = np.max(np.abs(m["adversarial_risk"] / t.loc[m.index, "adversarial_risk"] - 1))
        bits.append(f"simulation vs deterministic equivalent: standard risk within {100 * rel_r0:.0f}%, "
                    f"adversarial within {100 * rel_adv:.0f}% (means over seeds)")
        rep = T.benign_report(spectrum_array(kind, n1), n=n1)
        if rep.kstar_over_n > 0.1:
            bits.append(f"at n = {n1} this truncated spectrum is *not* in the benign regime yet "
                        f"(k*/n = {rep.kstar_over_n:.2f}): its standard risk decays only slowly")
        out.append("; ".join(bits) + ".")
    return out


def plot(stats, th, cfg: Config, base: Path) -> list[Path]:
    """The E1 figure: rows = spectra, columns = attack norms; risks against n (log-log)."""
    plt = F.pyplot()
    from matplotlib.lines import Line2D

    nr, nc = len(cfg.spectra), len(cfg.norms)
    fig, axes = plt.subplots(nr, nc, figsize=(4.6 * nc, 3.4 * nr + 1.0), squeeze=False, sharex=True)
    emax = max(cfg.eps)
    for i, kind in enumerate(cfg.spectra):
        s = stats[stats["spectrum"] == kind]
        t = th[th["spectrum"] == kind]
        for j, q in enumerate(cfg.norms):
            ax = axes[i, j]
            qn = "\\infty" if math.isinf(q) else f"{q:g}"
            s0 = s[(s["norm"] == q) & (s["eps"] == emax)].sort_values("n")
            t0 = t[(t["norm"] == q) & (t["eps"] == emax)].sort_values("n")
            ax.errorbar(s0["n"], s0["standard_risk"], yerr=s0["standard_risk_sd"], fmt="o", color="0.25",
                        mfc="w", capsize=2)
            ax.plot(t0["n"], t0["standard_risk"], "-", color="0.25")
            for eps in cfg.eps:
                c = F.radius_color(eps)
                se = s[(s["norm"] == q) & (s["eps"] == eps)].sort_values("n")
                te = t[(t["norm"] == q) & (t["eps"] == eps)].sort_values("n")
                ax.errorbar(se["n"], se["adversarial_risk"], yerr=se["adversarial_risk_sd"], fmt="o", color=c,
                            capsize=2, mec="k", mew=0.4)
                ax.plot(te["n"], te["adversarial_risk"], "-", color=c)
                ax.plot(te["n"], te["ground_truth_adversarial_risk"], ":", color=c)
            ax.plot(t0["n"], t0["lower_bound"], "-.", color="0.45")
            ax.set_xscale("log")
            ax.set_yscale("log")
            F.plain_log_ticks(ax)
            ax.set_title(f"{kind}: min-norm, $\\ell_{{{qn}}}$ attack")
            if i == nr - 1:
                ax.set_xlabel(F.N_LABEL + (" (p = $n^{1.5}$ two_level, 20n bllt_log)" if j == 0 else ""))
            if j == 0:
                ax.set_ylabel("risk (clean target)")
    handles = F.kind_handles()
    handles += [Line2D([], [], color="0.25", marker="o", mfc="w", ls="-",
                       label=r"standard risk $R_0$ (grey)")]
    handles += [Line2D([], [], color=F.radius_color(eps), lw=2,
                       label=rf"$R_\varepsilon$, $\varepsilon$ = {eps:g}") for eps in cfg.eps]
    handles += [Line2D([], [], color="0.3", ls=":",
                       label=r"ground truth's own $R_\varepsilon(\theta^*)=\varepsilon^2\|\theta^*\|_q^2$ "
                             "(its radius' colour)"),
                Line2D([], [], color="0.45", ls="-.",
                       label=rf"lower bound $\varepsilon^2\sigma^2 n/\mathrm{{tr}}\Sigma$ "
                             rf"($\varepsilon$ = {emax:g})")]
    F.legend_outside(fig, handles, ncol=3)
    gt = resolve_theta_star(cfg.theta_star)
    fig.suptitle(f"E1: min-norm interpolator ($\\lambda=0$), $\\theta^*$ = {gt.describe()}, "
                 f"$\\sigma$={NOISE:g}, {cfg.seeds} seeds; adversarial risk = "
                 f"$E\\max_{{\\|\\delta\\|_p\\leq\\varepsilon}}"
                 r"((x{+}\delta)^T\hat\theta - x^T\theta^*)^2$")
    return F.save(fig, base)
