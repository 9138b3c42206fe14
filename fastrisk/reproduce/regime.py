"""The regime map: where the ridge trade-off of claim (ii) is strict, where it grows and where it fades.

For each cell -- a spectrum (``two_level``, ``spiked``: flat tails the theory reaches at n = 10^5), a
ground truth (``e1``, a spread one, a power law; any of :mod:`fastrisk.ground_truth`), an attack (l2 with
the clean target, l2 with the consistent target, l_inf with the clean target) and a radius schedule (eps
= 0.2 fixed; ``eps = 0.2 (n / 1000)^gamma`` for gamma in {-1/2, 1/4, 1/2}; the relative radius
``eps = eps_rel sqrt(tr Sigma)``, eps = 0.2 at n = 1000, which on two_level grows like n^(1/4) since
``tr Sigma ~ n^0.5``) -- the deterministic equivalents give, for n from 10^2 to 10^5,

- the harm ``H(n) = min_lam max(R_0, R_eps - R_eps(theta*))`` (0 only at theta*; the null estimator
  theta = 0 reaches ``theta*^T Sigma theta*``, so ``H <= theta*^T Sigma theta*``) and ``H`` relative to
  ``theta*^T Sigma theta*``;
- the best adversarial risk over the ground truth's (no ratio where that is 0: the consistent target);
- the min-norm interpolator's standard risk.

Each minimum is taken over a penalty grid that the theory extends until the optimum is inside it
(:func:`fastrisk.theory.optimise_on_grid`), with ``theta = 0`` (lam = inf) as a true end point; a best
penalty still on an edge is reported as a bound. Each cell gets a verdict from its numbers: the slope of
``log H`` against ``log n`` over the last decade of n reached, "fades" below -0.1, "grows" above 0.1,
"stays" otherwise (docs/math.md section 13). Simulations (:func:`._sim.simulate_path`, any ground
truth) check the theory at the largest n the run allows. The text of the report is generated from the
verdicts (:mod:`.regime_text`), the figures by :mod:`.regime_plot`.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import theory as T
from ..ground_truth import resolve_theta_star
from ._common import (
    NOISE,
    REGIME_SPECTRA,
    ReproduceError,
    Summary,
    ground_truth_risk,
    pieces_dir,
    ratio_or_nan,
    spectrum_array,
    write_json,
    write_table,
)
from ._sim import simulate_path

__all__ = ["NAME", "Config", "config", "run", "radius", "theory_point", "theory_table", "sim_point",
           "verdicts", "SCHEDULES", "ATTACKS", "verdict_of"]

NAME = "regime"
TITLE = "The regime map: where the ridge trade-off stays strict, grows or fades (n up to 10^5)"
EPS0 = 0.2
N0 = 1000
SCHEDULES = ("fixed", "gamma=-1/2", "gamma=+1/4", "gamma=+1/2", "relative")
_GAMMA = {"fixed": 0.0, "gamma=-1/2": -0.5, "gamma=+1/4": 0.25, "gamma=+1/2": 0.5}
#: attack name -> (attack norm p, target)
ATTACKS = {"l2 clean": (2.0, "clean"), "l2 consistent": (2.0, "consistent"),
           "linf clean": (math.inf, "clean")}
#: Verdict thresholds on the slope of log H against log n over the last decade.
FADES, GROWS = -0.1, 0.1
#: H within this relative distance of theta*^T Sigma theta* means "the best penalty is theta = 0".
NULL_RTOL = 0.01


@dataclass(frozen=True)
class Config:
    """Setting of the regime map (``config(quick)`` gives the presets; any field may be changed)."""

    theory_ns: tuple[int, ...]
    sim_ns: tuple[int, ...]
    sim_seeds: int
    spectra: tuple[str, ...] = REGIME_SPECTRA
    theta_stars: tuple[str, ...] = ("e1", "top_k:k=10,name=top10", "power:a=1")
    sim_spectra: tuple[str, ...] = ("two_level",)
    n_lam: int = 360
    lam_n: tuple[float, float] = (-7.0, 5.0)
    #: ground truths (labels) simulated at n >= 2000 as well (a path at n = 4000 costs minutes)
    sim_large: tuple[str, ...] = ("e1",)
    sim_n_lam: int = 120
    sim_lam_n: tuple[float, float] = (-5.0, 3.0)
    time_budget: float = 900.0
    noise: float = NOISE
    #: How the l2 attacks' simulations draw the design: ``"wishart"`` (the flat tail's Gram from its
    #: Wishart law, exact in law for l2 quantities at a cost independent of p) or ``"explicit"``.
    sim_tail: str = "wishart"
    #: The l_inf attack needs the tail of X (explicit route): simulated up to this n only.
    sim_linf_max_n: int = 4000


def _half_decades(lo: int, hi: int, per: int) -> tuple[int, ...]:
    return tuple(sorted({int(round(10 ** (k / per))) for k in range(lo * per, hi * per + 1)}))


def config(quick: bool) -> Config:
    """Quick: theory at n = 10^2 .. 10^5 every half decade, one simulated seed at n = 500 (two_level);
    default: every quarter decade, simulations at n = 1000 (2 seeds), n = 4000 and n = 10^4 (1 seed,
    theta* = e1; l2 attacks through the Wishart route, p = 10^6 at n = 10^4; l_inf up to n = 4000)."""
    if quick:
        return Config(theory_ns=_half_decades(2, 5, 2), sim_ns=(500,), sim_seeds=1)
    return Config(theory_ns=tuple(sorted(set(_half_decades(2, 5, 4)) | {4000})), sim_ns=(1000, 4000, 10000),
                  sim_seeds=2)


def _seeds_at(cfg: Config, n: int) -> int:
    """Seeds simulated at n: all of ``sim_seeds`` below n = 2000, one above (a spot check)."""
    return cfg.sim_seeds if n < 2000 else 1


def radius(schedule: str, kind: str, n: int, trace: float | None = None) -> float:
    """The absolute radius of ``schedule`` at n (relative: ``eps_rel sqrt(tr Sigma)``, eps0 at n0)."""
    if schedule == "relative":
        tr = float(spectrum_array(kind, n).sum()) if trace is None else trace
        return EPS0 * math.sqrt(tr / float(spectrum_array(kind, N0).sum()))
    if schedule not in _GAMMA:
        raise ReproduceError(f"unknown radius schedule {schedule!r}; expected one of {SCHEDULES}")
    return EPS0 * (n / N0) ** _GAMMA[schedule]


def _columns():
    """(attack, schedule, what) of each objective column: harm and adversarial risk per attack."""
    return [(a, sc, what) for a in ATTACKS for what in ("harm", "adv") for sc in SCHEDULES]


@functools.lru_cache(maxsize=2)
def _spectrum(kind: str, n: int) -> np.ndarray:
    """The spectrum at n, read-only and kept for the next ground truth at the same n (at n = 10^5 it is
    p = 3e7 eigenvalues, 250 MB: built once per (spectrum, n), not once per cell)."""
    s = spectrum_array(kind, n)
    s.setflags(write=False)
    return s


def theory_point(kind: str, theta_star: str, n: int, cfg: Config) -> list[dict]:
    """All cells of one (spectrum, ground truth, n) from the deterministic equivalents: one row per
    (attack, radius schedule)."""
    t0 = time.perf_counter()
    gt = resolve_theta_star(theta_star)
    s = _spectrum(kind, n)
    th = gt.build(s, n=n)
    null = float(np.einsum("i,i,i->", s, th, th))
    tr = float(s.sum())
    eps = np.array([radius(sc, kind, n, tr) for sc in SCHEDULES])
    risks = {}  # the ground truth's own risk, once per (norm, target)
    for nm, tg in set(ATTACKS.values()):
        risks[(nm, tg)] = ground_truth_risk(th, eps, nm, tg, cfg.noise)
    gts = {a: risks[v] for a, v in ATTACKS.items()}
    last = {}

    def evaluate(lam):
        eq = T.ridge_equivalent(s, th, cfg.noise, n, lam, sequence_norms="norm1")
        cols = []
        for a, (nm, tg) in ATTACKS.items():
            adv = T.adversarial_equivalent(s, th, cfg.noise, n, lam, eps, norm=nm, target=tg, equivalent=eq)
            cols += [np.maximum(eq.risk[:, None], adv - gts[a][None, :]), adv]
        last["risk0"] = float(eq.risk[0])
        last["risk"] = eq.risk
        return np.hstack(cols)

    lam0 = n * np.concatenate([[0.0], np.logspace(cfg.lam_n[0], cfg.lam_n[1], cfg.n_lam)])
    # theta = 0: R_0 = theta*^T Sigma theta* and no dual norm: harm and adversarial risk both equal it
    cols = _columns()
    grid, V, opts = T.optimise_on_grid(evaluate, lam0, lower=n * 10.0 ** (cfg.lam_n[0] - 3),
                                       upper=n * 10.0 ** cfg.lam_n[1], at_infinity=np.full(len(cols), null))
    assert grid[0] == 0.0
    sec = time.perf_counter() - t0
    idx = {c: k for k, c in enumerate(cols)}
    # the ridge penalties with at most half the standard risk of theta = 0, for the comparison with the
    # l_inf Pareto frontier at the same standard risk (regime_text)
    half = np.append(last["risk"] <= 0.5 * null, False)
    rows = []
    for a, (nm, tg) in ATTACKS.items():
        for j, sc in enumerate(SCHEDULES):
            h, b = opts[idx[(a, sc, "harm")]], opts[idx[(a, sc, "adv")]]
            g = float(gts[a][j])
            rows.append(dict(
                spectrum=kind, theta_star=gt.label, theta_spec=gt.describe(), n=int(n), p=int(s.size),
                attack=a, norm=nm, target=tg, schedule=sc, eps=float(eps[j]), null_risk=null,
                theta_norm2=float(np.linalg.norm(th)),
                harm=h.value, harm_rel=h.value / null if null > 0 else math.nan, harm_lam_n=h.lam / n,
                harm_edge=h.edge, harm_null=bool(abs(h.value - null) <= NULL_RTOL * null),
                best_adversarial_risk=b.value, best_adv_lam_n=b.lam / n, best_adv_edge=b.edge,
                ground_truth_adversarial_risk=g, best_over_ground_truth=float(ratio_or_nan(b.value, g)),
                excess_at_half_null=float(np.min(V[half, idx[(a, sc, "adv")]]) - g) if half.any()
                else math.nan,
                minnorm_standard_risk=last["risk0"],
                minnorm_adversarial_risk=float(V[0, idx[(a, sc, "adv")]]),
                grid_size=int(grid.size - 1), seconds=sec))
    return rows


def theory_table(cfg: Config, *, pieces: Path | None = None, log=None):
    """Every theory cell, n ascending; the ground truths of one spectrum share its array at each n. A
    (spectrum, ground truth) row whose time exceeds ``cfg.time_budget`` stops at the largest n reached
    (``stopped`` column; ``stopped_at`` in the result's ``attrs``). With ``pieces``, each (spectrum, n) is
    written there as it finishes and read back on a rerun."""
    import pandas as pd

    frames = []
    labels = {spec: resolve_theta_star(spec).label for spec in cfg.theta_stars}
    for kind in cfg.spectra:
        spent = dict.fromkeys(cfg.theta_stars, 0.0)
        for n in sorted(cfg.theory_ns):
            f = None if pieces is None else Path(pieces) / f"theory-{kind}-n{n}.parquet"
            if f is not None and f.exists():
                d = pd.read_parquet(f)
                for spec in cfg.theta_stars:
                    spent[spec] += float(d.loc[d["theta_star"] == labels[spec], "seconds"].max()) \
                        if (d["theta_star"] == labels[spec]).any() else math.inf
            else:
                rows = []
                for spec in cfg.theta_stars:
                    if spent[spec] > cfg.time_budget:
                        spent[spec] = math.inf
                        continue
                    t0 = time.perf_counter()
                    rows += theory_point(kind, spec, n, cfg)
                    spent[spec] += time.perf_counter() - t0
                d = pd.DataFrame(rows)
                if f is not None:
                    write_table(d, f)
            frames.append(d)
            if log is not None:
                log(f"regime theory {kind} n = {n}")
    out = pd.concat(frames, ignore_index=True)
    nmax = max(cfg.theory_ns)
    top = out.groupby(["spectrum", "theta_star"])["n"].transform("max")
    out["stopped"] = top < nmax
    out.attrs["stopped_at"] = {(k, t): int(v) for (k, t), v in
                               out.groupby(["spectrum", "theta_star"])["n"].max().items() if v < nmax}
    return out


def sim_point(kind: str, theta_star: str, n: int, seed: int, cfg: Config) -> list[dict]:
    """Simulated ridge paths of ``GaussianDesign(spectrum, theta*, noise)`` at (n, seed) and their cells:
    the same quantities as :func:`theory_point` on the fixed simulation grid (with theta = 0 as an end
    point), a minimum on the grid's edge marked as a bound. The l2 attacks come from one path drawn by
    ``cfg.sim_tail``, the l_inf attack from an explicit draw (only up to ``cfg.sim_linf_max_n``); the
    ``route`` column says which."""
    gt = resolve_theta_star(theta_star)
    s = spectrum_array(kind, n)
    th = gt.build(s, n=n)
    null = float(np.dot(s, th * th))
    tr = float(s.sum())
    eps = np.array([radius(sc, kind, n, tr) for sc in SCHEDULES])
    lam = n * np.concatenate([[0.0], np.logspace(cfg.sim_lam_n[0], cfg.sim_lam_n[1], cfg.sim_n_lam)])
    # l2 attacks through cfg.sim_tail (the Wishart route where the design has a flat tail), l_inf through
    # the explicit route (it needs the tail of X) up to cfg.sim_linf_max_n; each group's harm uses the
    # standard risk of its own draw.
    groups = {cfg.sim_tail: [a for a, (nm, _) in ATTACKS.items() if nm == 2.0]}
    linf = [a for a, (nm, _) in ATTACKS.items() if nm != 2.0]
    if n <= cfg.sim_linf_max_n:
        groups.setdefault("explicit", []).extend(linf)
    rows = []
    grid = np.append(lam, np.inf)
    for route, names in groups.items():
        t0 = time.perf_counter()
        res = simulate_path(s, th, n, seed, lam, [ATTACKS[a] for a in names], eps, noise=cfg.noise,
                            tail=route)
        sec = time.perf_counter() - t0
        R0 = res["standard_risk"]
        for a in names:
            nm, tg = ATTACKS[a]
            adv = res[(float(nm), tg)]
            g = ground_truth_risk(th, eps, nm, tg, cfg.noise)
            for j, sc in enumerate(SCHEDULES):
                h = T.grid_optimum(np.append(np.maximum(R0, adv[:, j] - g[j]), null), grid)
                b = T.grid_optimum(np.append(adv[:, j], null), grid)
                rows.append(dict(
                    spectrum=kind, theta_star=gt.label, theta_spec=gt.describe(), n=int(n), p=int(s.size),
                    seed=int(seed), attack=a, norm=nm, target=tg, schedule=sc, eps=float(eps[j]),
                    null_risk=null, harm=h.value, harm_rel=h.value / null if null > 0 else math.nan,
                    harm_lam_n=h.lam / n, harm_edge=h.edge,
                    harm_null=bool(abs(h.value - null) <= NULL_RTOL * null), best_adversarial_risk=b.value,
                    best_adv_lam_n=b.lam / n, best_adv_edge=b.edge, ground_truth_adversarial_risk=float(g[j]),
                    best_over_ground_truth=float(ratio_or_nan(b.value, g[j])),
                    minnorm_standard_risk=float(R0[0]), minnorm_adversarial_risk=float(adv[0, j]),
                    route=route, seconds=sec))
    return rows


def sim_table(cfg: Config, pieces: Path, *, progress: bool = False):
    """Every simulated cell (one piece file per path, written as it finishes, skipped on a rerun)."""
    import pandas as pd

    jobs = [(kind, spec, n, seed) for kind in cfg.sim_spectra for n in cfg.sim_ns
            for seed in range(_seeds_at(cfg, n)) for spec in cfg.theta_stars
            if n < 2000 or resolve_theta_star(spec).label in cfg.sim_large]
    it = jobs
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(jobs, desc="regime simulations", unit="path", disable=None)
    frames = []
    for kind, spec, n, seed in it:
        f = Path(pieces) / f"sim-{kind}-{resolve_theta_star(spec).label}-n{n}-s{seed}.parquet"
        if not f.exists():
            write_table(pd.DataFrame(sim_point(kind, spec, n, seed, cfg)), f)
        frames.append(pd.read_parquet(f))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def verdict_of(slope: float) -> str:
    """"fades" (slope < -0.1), "grows" (> 0.1) or "stays"; "undecided" without a slope."""
    if not math.isfinite(slope):
        return "undecided"
    return "fades" if slope < FADES else ("grows" if slope > GROWS else "stays")


def verdicts(th):
    """One row per cell (spectrum, ground truth, attack, schedule): the slope of log H against log n
    over the last decade of n reached, its verdict, and what the table needs beside it."""
    import pandas as pd

    rows = []
    for key, d in th.groupby(["spectrum", "theta_star", "attack", "schedule"], sort=False):
        d = d.sort_values("n")
        nmax = int(d["n"].max())
        last = d[d["n"] >= nmax / 10.0 * (1 - 1e-9)]
        ok = (last["harm"] > 0).all() and len(last) >= 2
        slope = float(np.polyfit(np.log(last["n"]), np.log(last["harm"]), 1)[0]) if ok else math.nan
        top = d.iloc[-1]
        rows.append(dict(
            spectrum=key[0], theta_star=key[1], attack=key[2], schedule=key[3], n_max=nmax,
            n_from=int(last["n"].min()), stopped=bool(top.get("stopped", False)), slope=slope,
            verdict=verdict_of(slope), harm_at_nmax=float(top["harm"]),
            harm_rel_at_nmax=float(top["harm_rel"]),
            null_at_nmax=bool(top["harm_null"]), null_in_last_decade=bool(last["harm_null"].all()),
            bound_in_last_decade=bool((last["harm_edge"] != "").any()),
            best_over_ground_truth_at_nmax=float(top["best_over_ground_truth"]),
            excess_at_half_null_at_nmax=float(top.get("excess_at_half_null", math.nan)),
            minnorm_standard_risk_at_nmax=float(top["minnorm_standard_risk"]),
            eps_at_nmax=float(top["eps"]), null_risk_at_nmax=float(top["null_risk"]),
            **{f"harm_n{int(n)}": float(v) for n, v in zip(d["n"], d["harm"], strict=True)}))
    return pd.DataFrame(rows)


def run(out: Path, *, quick: bool = False, workers=None, client=None, progress: bool = True,
        cfg: Config | None = None) -> Summary:
    """Theory up to n = 10^5, simulations as spot checks, verdicts, figures and the report's text.

    Pieces (one per theory row and per simulated path) are written to ``out/regime/pieces`` as they
    finish, and a rerun skips them. ``workers``/``client`` are unused (the theory is cheap; the spot
    checks run in this process). ``cfg`` replaces the preset ``config(quick)``.
    """
    import pandas as pd

    from . import regime_plot, regime_text

    t0 = time.perf_counter()
    cfg = config(quick) if cfg is None else cfg
    d, pieces = pieces_dir(out, NAME, cfg, "regime-map")
    th = theory_table(cfg, pieces=pieces)
    sim = sim_table(cfg, pieces, progress=progress)
    ver = verdicts(th)
    tidy = pd.concat([th.assign(source="theory", seed=-1), sim.assign(source="simulation")],
                     ignore_index=True)
    write_table(tidy, d / "regime.parquet")
    write_table(ver, d / "regime_verdicts.parquet")
    figs = regime_plot.plot(th, sim, ver, cfg, d / "regime_map", d / "regime_curves")
    text = regime_text.compose(th, sim, ver, cfg)
    summ = Summary(
        name=NAME, title=TITLE, claim=text["claim"], setting=text["setting"], findings=text["findings"],
        figures=[str(p.relative_to(out)) for p in figs], tables=[f"{NAME}/regime.parquet",
                                                              f"{NAME}/regime_verdicts.parquet"],
        seconds=time.perf_counter() - t0, sections=text["sections"], captions=text["captions"])
    write_json(summ.to_json(), d / "summary.json")
    _spectrum.cache_clear()  # up to 2 x 250 MB at n = 10^5
    return summ
