"""Radius scaling: where does the trade-off of E2 stay strict as n grows, and where does it fade?

At a *fixed* radius the deterministic equivalents say the harm ``H = min_lam max(R_0, R_eps - R_eps(theta*))``
of the ridge path shrinks as n grows (``two_level``, eps = 0.2: about 0.13 at n = 10^3 and 0.05 at
n = 10^5), so there the trade-off is a finite-n effect. The mechanism (Hao & Zhang 2024,
arXiv:2401.12236; the bias-norm product of Tsigler & Bartlett 2023) bounds
``R_0 (R_eps - R_0) >~ eps^2 sigma^2 |theta*|^2_{Sigma^-1} T / n`` with T the tail trace; for ``two_level``
(``T ~ n^0.5``) it stays bounded below only if ``eps^2`` grows like ``n^0.5``. This experiment repeats E2
with radius schedules

- ``eps = eps0 (n / n0)^gamma``, gamma in {-1/4, 0, 1/4} (eps0 = 0.2 at n0 = 1000),
- the relative radius ``eps = eps_rel sqrt(tr Sigma)`` (``E|x|_2^2 = tr Sigma``), eps_rel chosen so that
  eps = eps0 at n0,

from the theory layer up to n = 10^5 (``two_level`` with p = n^1.5 up to p ~ 3 10^7; ``bllt_log`` with
p = 20 n) and by simulation (``two_level``, through the sweep store) at the n where that is quick.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import theory as T
from . import figures as F
from ._common import NOISE, SPECTRA, Summary, spectrum_array, sweep_spec, theta_star, write_json, write_table
from ._sim import simulate
from .e2_tradeoff import harm

__all__ = ["NAME", "Config", "config", "run", "schedules", "radius", "theory_table", "plot"]

NAME = "radius"
TITLE = "Radius scaling: where the trade-off stays strict and where it fades"
EPS0 = 0.2
N0 = 1000
GAMMAS = (-0.25, 0.0, 0.25)


@dataclass(frozen=True)
class Config:
    theory_ns: tuple[int, ...]
    sim_ns: tuple[int, ...]
    seeds: int
    n_lam: int
    spectra: tuple[str, ...] = SPECTRA
    lam_n: tuple[float, float] = (-5.0, 3.0)


def config(quick: bool) -> Config:
    """Quick: theory at 7 n in [10^2, 10^5], simulation n in {200, 500, 1000} x 2 seeds; default 13 n,
    simulation n in {300, 1000, 2000} x 5 seeds."""
    if quick:
        return Config(theory_ns=tuple(int(round(v)) for v in np.geomspace(100, 100_000, 7)),
                      sim_ns=(200, 500, 1000), seeds=2, n_lam=80)
    return Config(theory_ns=tuple(int(round(v)) for v in np.geomspace(100, 100_000, 13)),
                  sim_ns=(300, 1000, 2000), seeds=5, n_lam=150)


def schedules() -> list[str]:
    """Names of the radius schedules, in plotting order."""
    return [f"gamma={g:+g}" for g in GAMMAS] + ["relative"]


def _trace(kind: str, n: int) -> float:
    return float(spectrum_array(kind, n).sum())


def radius(schedule: str, kind: str, n: int, trace: float | None = None) -> float:
    """The absolute radius of ``schedule`` at n (relative: ``eps_rel sqrt(tr Sigma)``, eps = eps0 at n0)."""
    if schedule == "relative":
        tr = _trace(kind, n) if trace is None else trace
        return EPS0 * math.sqrt(tr / _trace(kind, N0))
    g = float(schedule.split("=")[1])
    return EPS0 * (n / N0) ** g


def lam_grid(cfg: Config, n: int) -> np.ndarray:
    return n * np.concatenate([[0.0], np.logspace(cfg.lam_n[0], cfg.lam_n[1], cfg.n_lam)])


def _harm_of(R0, Ra, eps):
    """The harm ``min_lam max(R_0, R_eps - eps^2)`` (clean target, theta* = e_1) and its penalty index."""
    h = harm(R0, Ra, eps**2)
    k = int(np.argmin(h))
    return float(h[k]), k


def theory_table(cfg: Config, lam_points: int = 400):
    """Deterministic-equivalent harm per (spectrum, schedule, n): columns spectrum, schedule, n, p, eps,
    harm, harm_lam_n, best_adversarial_risk, minnorm_adversarial_risk, ground_truth_adversarial_risk."""
    import pandas as pd

    rows = []
    for kind in cfg.spectra:
        for n in cfg.theory_ns:
            s = spectrum_array(kind, n)
            ts = theta_star(s.size)
            tr = float(s.sum())
            lam = n * np.concatenate([[0.0], np.logspace(cfg.lam_n[0], cfg.lam_n[1], lam_points)])
            eq = T.ridge_equivalent(s, ts, NOISE, n, lam, sequence_norms=False)
            eps = np.array([radius(sc, kind, n, tr) for sc in schedules()])
            adv = T.adversarial_equivalent(s, ts, NOISE, n, lam, eps, equivalent=eq)
            for j, sc in enumerate(schedules()):
                h, k = _harm_of(eq.risk, adv[:, j], eps[j])
                rows.append(dict(spectrum=kind, schedule=sc, n=n, p=s.size, eps=float(eps[j]), harm=h,
                                 harm_lam_n=float(lam[k] / n), best_adversarial_risk=float(adv[:, j].min()),
                                 minnorm_adversarial_risk=float(adv[0, j]),
                                 ground_truth_adversarial_risk=float(eps[j] ** 2)))
            del s, ts
    return pd.DataFrame(rows)


def specs(cfg: Config) -> dict[str, dict]:
    """One two_level sweep whose radii are the union of every schedule's radius at every simulated n."""
    eps = sorted({round(radius(sc, "two_level", n), 12) for n in cfg.sim_ns for sc in schedules()})
    lam_n = {"start": cfg.lam_n[0], "stop": cfg.lam_n[1], "num": cfg.n_lam, "zero": True}
    return {"two_level": sweep_spec("two_level", cfg.sim_ns, cfg.seeds, lam_n=lam_n, eps=eps, norm=(2.0,))}


def sim_table(sim, cfg: Config):
    """Simulated harm per (schedule, n, seed) from the sweep rows."""
    import pandas as pd

    rows = []
    for n in cfg.sim_ns:
        for sc in schedules():
            e = round(radius(sc, "two_level", n), 12)
            d = sim[(sim["n"] == n) & (np.isclose(sim["eps"], e, rtol=1e-9, atol=0))]
            for seed, g in d.groupby("seed"):
                g = g.sort_values("lam")
                h, k = _harm_of(g["standard_risk"].to_numpy(), g["adversarial_risk"].to_numpy(), e)
                rows.append(dict(spectrum="two_level", schedule=sc, n=n, p=int(g["p"].iloc[0]),
                                 seed=int(seed),
                                 eps=e, harm=h, harm_lam_n=float(g["lam"].iloc[k] / n),
                                 best_adversarial_risk=float(g["adversarial_risk"].min()),
                                 minnorm_adversarial_risk=float(g["adversarial_risk"].iloc[0]),
                                 ground_truth_adversarial_risk=e**2))
    return pd.DataFrame(rows)


def run(out: Path, *, quick: bool = False, workers=None, client=None, progress: bool = True,
        cfg: Config | None = None) -> Summary:
    """Theory up to n = 10^5, simulation at small n (sweep store under ``out/radius/sweeps``), plot,
    summarise.

    ``cfg`` replaces the preset ``config(quick)`` (to change the setting, e.g. in a notebook; a
    different setting in the same directory is refused by the stores).
    """
    import pandas as pd

    t0 = time.perf_counter()
    cfg = config(quick) if cfg is None else cfg
    d = Path(out) / NAME
    sim = simulate(specs(cfg), d / "sweeps", workers=workers, client=client, progress=progress)
    sim = sim[(sim["target"] == "clean") & (sim["norm"] == 2.0)]
    st = sim_table(sim, cfg)
    th = theory_table(cfg)
    tidy = pd.concat([st.assign(source="simulation"), th.assign(source="theory", seed=-1)], ignore_index=True)
    write_table(tidy, d / "radius.parquet")
    figs = plot(st, th, cfg, d / "radius")
    summ = Summary(
        name=NAME, title=TITLE,
        claim=("Whether the trade-off of claim (ii) is strict as n grows depends on how the attack radius "
               "scales with n: the package reports what the numbers show, not the headline."),
        setting=(f"Radius schedules eps = {EPS0:g} (n/{N0})^gamma, gamma in {list(GAMMAS)}, and the "
                 f"relative radius eps = eps_rel sqrt(tr Sigma) (eps = {EPS0:g} at n = {N0}); l2 attacks, "
                 f"clean target, theta* = e_1, sigma = {NOISE:g}. Theory (deterministic equivalents, "
                 f"{len(cfg.theory_ns)} n from {min(cfg.theory_ns)} to {max(cfg.theory_ns)}) on "
                 f"{', '.join(cfg.spectra)}; simulation "
                 f"on two_level at n in {list(cfg.sim_ns)}, {cfg.seeds} seeds, {cfg.n_lam + 1} penalties. "
                 "Harm H = min_lam max(R_0, R_eps - eps^2) (0 for the ground truth)."),
        findings=_findings(th, st, cfg),
        figures=[str(p.relative_to(out)) for p in figs],
        tables=[f"{NAME}/radius.parquet"],
        seconds=time.perf_counter() - t0)
    write_json(summ.to_json(), d / "summary.json")
    return summ


def _trend(v0: float, v1: float) -> str:
    r = v1 / v0
    return "fades" if r < 0.8 else ("grows" if r > 1.25 else "stays")


def _decades(ns) -> list[int]:
    return [n for n in ns if abs(math.log10(n) - round(math.log10(n))) < 1e-9]


def _findings(th, st, cfg: Config) -> list[str]:
    out = []
    n0, n1 = min(cfg.theory_ns), max(cfg.theory_ns)
    dec = _decades(cfg.theory_ns) or [n0, n1]
    fades, ratio_grows = {}, {}
    for kind in cfg.spectra:
        t = th[th["spectrum"] == kind]
        bits = []
        for sc in schedules():
            u = t[t["schedule"] == sc].set_index("n")
            h = [u.loc[n, "harm"] for n in dec]
            r = [u.loc[n, "best_adversarial_risk"] / u.loc[n, "ground_truth_adversarial_risk"] for n in dec]
            fades.setdefault(sc, []).append(_trend(u.loc[n0, "harm"], u.loc[n1, "harm"]) == "fades")
            if r[-1] > 1.25 * r[0]:
                ratio_grows.setdefault(kind, []).append(sc)
            bits.append(f"{sc}: harm {', '.join(f'{v:.3g}' for v in h)} "
                        f"({_trend(h[0], h[-1])}); best R_eps / R_eps(theta*) "
                        f"{', '.join(f'{v:.3g}' for v in r)} ({_trend(r[0], r[-1])})")
        out.append(f"**{kind}** (theory at n = {', '.join(map(str, dec))}): " + "; ".join(bits) + ".")
    if len(st):
        m = st.groupby(["schedule", "n"])["harm"].mean()
        msg = (f"Simulation (two_level, n = {', '.join(map(str, cfg.sim_ns))}), harm: "
               + "; ".join(f"{sc}: " + ", ".join(f"{m[(sc, n)]:.3g}" for n in cfg.sim_ns)
                           for sc in schedules()))
        tt = th[th["spectrum"] == "two_level"].set_index(["schedule", "n"])["harm"]
        devs = [abs(v / tt[k] - 1) for k, v in m.items() if k in tt.index]
        if devs:
            msg += f" (within {100 * max(devs):.0f}% of the theory where the grids share an n)"
        out.append(msg + ".")
    all_fade = [sc for sc in schedules() if all(fades[sc])]
    keep = [sc for sc in schedules() if not all(fades[sc])]
    txt = ("Reading: in absolute terms the harm of the best ridge penalty "
           + (f"tends to 0 as n grows under {', '.join(all_fade)}" if all_fade else "does not tend to 0 "
              "under any schedule")
           + (f", but not under {', '.join(keep)}" if keep and all_fade else "")
           + f" (up to n = {n1}): there the trade-off of claim (ii) is a finite-n effect.")
    for kind, scs in ratio_grows.items():
        txt += (f" Relative to the ground truth the picture differs on {kind} under {', '.join(scs)}: the "
                "best ridge penalty's adversarial risk becomes an ever larger multiple of the ground "
                "truth's, so the vulnerability persists in ratio while both risks shrink.")
    out.append(txt)
    return out


def plot(st, th, cfg: Config, base: Path) -> list[Path]:
    """Harm (top) and best adversarial risk relative to the ground truth's (bottom) against n, per radius
    schedule (theory lines, simulated points), one column per spectrum."""
    plt = F.pyplot()
    ns = len(cfg.spectra)
    fig, axes = plt.subplots(2, ns, figsize=(4.9 * ns, 6.8), squeeze=False, sharex=True)
    labels = {f"gamma={g:+g}": rf"$\varepsilon = {EPS0:g}\,(n/{N0})^{{{g:+g}}}$" for g in GAMMAS}
    labels["relative"] = r"$\varepsilon = \varepsilon_{rel}\sqrt{\mathrm{tr}\,\Sigma}$ (relative)"
    for i, kind in enumerate(cfg.spectra):
        t = th[th["spectrum"] == kind]
        for j, sc in enumerate(schedules()):
            u = t[t["schedule"] == sc].sort_values("n")
            ratio = u["best_adversarial_risk"] / u["ground_truth_adversarial_risk"]
            axes[0, i].plot(u["n"], u["harm"], "-", color=F.COLORS[j], label=labels[sc] + " theory")
            axes[1, i].plot(u["n"], ratio, "-", color=F.COLORS[j], label=labels[sc])
            if kind == "two_level" and len(st):
                w = st[st["schedule"] == sc].copy()
                w["ratio"] = w["best_adversarial_risk"] / w["ground_truth_adversarial_risk"]
                v = w.groupby("n")[["harm", "ratio"]].agg(["mean", "std"]).reset_index()
                for r, col in ((0, "harm"), (1, "ratio")):
                    axes[r, i].errorbar(v["n"], v[(col, "mean")], yerr=v[(col, "std")].fillna(0),
                                        fmt=F.MARKERS[j], color=F.COLORS[j], capsize=2,
                                        label="simulated (mean $\\pm$ sd)" if (j == 0 and r == 0) else None)
        axes[0, i].set_title(f"{kind} (p = {'$n^{1.5}$' if kind == 'two_level' else '20n'}): "
                             "harm of the best ridge penalty")
        axes[1, i].set_title(f"{kind}: best adversarial risk / ground truth's")
        axes[1, i].set_xlabel(F.N_LABEL)
        axes[1, i].axhline(1.0, color="0.4", ls=":")
    for ax in axes.ravel():
        ax.set_xscale("log")
        ax.set_yscale("log")
    axes[0, 0].set_ylabel(r"harm $H=\min_\lambda \max(R_0,\ R_\varepsilon - \varepsilon^2)$")
    axes[1, 0].set_ylabel(r"$\min_\lambda R_\varepsilon(\hat\theta_\lambda)\ /\ R_\varepsilon(\theta^*)$")
    axes[0, 0].legend(loc="lower left")
    fig.suptitle(r"Radius scaling: ridge path, $\theta^*=e_1$, $\sigma$=1, clean target, $\ell_2$ attack, "
                 rf"$\varepsilon$ = {EPS0:g} at n = {N0}; lines: theory")
    return F.save(fig, base)
