"""E3, claim (iii): the two-layer NTK model in lazy training tells the same story as the linear model.

Setting: ``f(x) = m^-1/2 sum_r a_r relu(w_r^T x)`` (first layer trained, symmetric init so f_0 = 0), data
``x ~ N(0, Sigma)`` with the ``two_level`` spectrum in ``d = 3 n`` dimensions (``low d = n^0.5``),
``y = x^T theta* + noise``, ``theta* = e_1`` (any ground truth of :mod:`fastrisk.ground_truth`),
``sigma = 1``; clean-target adversarial risk ``E max_{|delta|_2 <= eps} (f(x + delta) - x^T theta*)^2`` on
a test sample, beside the ground truth's own (computed, ``eps^2 ||theta*||_2^2``). Per seed:

- the kernel ridge path on the infinite-width NTK (``fastrisk.ntk.TwoLayerNTK(width=None)``), penalties
  ``lam`` of ``(K + lam I)^-1``: standard risk, adversarial risk by first order (analytic infinite-width
  gradient) and by PGD;
- the linearisation (El Karoui 2010; Liang & Rakhlin 2020, arXiv:1808.00387):
  ``K ~ g1 (X X^T + lam_imp I)`` with ``lam_imp ~ tr Sigma``, so NTK ridge at ``lam`` ~ linear ridge at
  ``lam_imp + lam / g1`` (``fastrisk.ntk.implicit_ridge``): that linear ridge's exact risks and its
  deterministic equivalent, side by side with the NTK path, and the oracle frontier of the linear target;
- interpolators (``lam = 0``) at finite widths: the empirical-NTK kernel interpolator at a seeded init and
  the network trained by full-batch gradient descent from that init (``fastrisk.ntk.train_gd``), attacked
  by PGD on the real network, and the gap of its predictions to the kernel predictors (lazy training:
  Jacot et al. 2018, arXiv:1806.07572; Chizat, Oyallon & Bach 2019, arXiv:1812.07956), on the first
  ``gd_seeds`` seeds; the rate of each gap in m is a least-squares slope fitted per seed and reported
  with its spread over seeds (no reference rate is drawn as if it were the fit).

Each seed's rows are written atomically to ``E3/pieces/seed<k>.parquet`` as soon as they are done; a rerun
skips finished seeds (E3 computes in the calling process: it is not a sweep).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import ntk, spectra
from .. import theory as T
from ..design import GaussianDesign
from ..ground_truth import resolve_theta_star
from ..ridge import RidgePath
from ._common import NOISE, Summary, pieces_dir, write_json, write_table

__all__ = ["NAME", "Config", "config", "run", "run_seed", "spectrum", "plot"]

NAME = "E3"
TITLE = "E3: the two-layer NTK in lazy training: the linear story through an implicit ridge"


@dataclass(frozen=True)
class Config:
    """``seeds``: seeds of the infinite-width NTK path and its linearisation (the NTK numbers are their
    mean and spread); ``gd_seeds``: the first seeds on which the finite widths run (kernel interpolator
    and GD-trained network at every width)."""

    n: int
    seeds: int
    widths: tuple[int, ...]
    gd_seeds: int = 2
    n_lam: int = 12
    eps: tuple[float, ...] = (0.1, 0.2)
    d_factor: int = 3
    test_size: int = 1000
    attack_size: int = 100
    pgd_steps: int = 10
    gd_max_steps: int = 3000
    gd_tol: float = 1e-4
    lam_n: tuple[float, float] = (-3.0, 2.0)
    theta_star: str = "e1"


def config(quick: bool) -> Config:
    """Quick: n = 150, d = 450, 8 seeds, widths 128, 256, 512 on 2 of them; default: n = 300, d = 900,
    8 seeds, widths 256 .. 4096 (five, a factor 16) on 3 of them."""
    if quick:
        return Config(n=150, seeds=8, widths=(128, 256, 512), gd_seeds=2)
    return Config(n=300, seeds=8, widths=(256, 512, 1024, 2048, 4096), gd_seeds=3, attack_size=200,
                  pgd_steps=20)


def theta_star_of(cfg: Config, s: np.ndarray) -> np.ndarray:
    """The ground truth for the spectrum ``s`` (d coordinates; relative indices use n)."""
    return resolve_theta_star(cfg.theta_star).build(s, n=cfg.n)


def spectrum(cfg: Config) -> np.ndarray:
    """``two_level`` in d = d_factor n dimensions with tail mass ``low d = n^0.5``."""
    d = cfg.d_factor * cfg.n
    return spectra.two_level(d, math.sqrt(cfg.n) / d, tau=2.0)


def lam_grid(cfg: Config, trace: float) -> np.ndarray:
    """NTK penalties: 0 and ``g1 n 10^k`` for k on a log grid (so the implicit linear penalty
    ``lam_imp + lam / g1`` spans ``lam_imp`` up to ``10^stop n``)."""
    g1 = ntk.linearization_coefficients("first")["g1"]
    return np.concatenate([[0.0], g1 * cfg.n * np.logspace(cfg.lam_n[0], cfg.lam_n[1], cfg.n_lam - 1)])


def _ss(*key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(list(key))


def run_seed(cfg: Config, seed: int):
    """All rows of one seed (a tidy DataFrame): model, width, lam, lam_linear, eps, method,
    standard_risk, adversarial_risk, and for the lazy-training rows the prediction gaps."""
    import pandas as pd

    s = spectrum(cfg)
    d = s.size
    ts = theta_star_of(cfg, s)
    design = GaussianDesign(s, ts, noise=NOISE)
    ss = np.random.SeedSequence([cfg.n, seed])
    k_train, k_test = ss.spawn(2)
    X, y = design.sample(cfg.n, seed=k_train)
    Xt, _ = design.sample(cfg.test_size, seed=k_test)
    Xa = Xt[:cfg.attack_size]
    eps = np.array(cfg.eps)
    tr = float(s.sum())
    lam = lam_grid(cfg, tr)
    lam_lin = ntk.implicit_ridge("first", trace=tr, lam=lam)
    rows = []

    def add(model, width, lam_v, lam_l, method, R0, Radv, **extra):
        for e, ev in enumerate(eps):
            rows.append(dict(seed=seed, model=model, width=width, lam=lam_v, lam_linear=lam_l, eps=float(ev),
                             method=method, standard_risk=float(R0), adversarial_risk=float(Radv[e]),
                             **extra))

    # infinite-width NTK kernel ridge path
    fit = ntk.TwoLayerNTK(None, train="first").fit(X, y, lam)
    R0 = fit.standard_risk(Xt, theta_star=ts)
    fo = ntk.adversarial_risk(fit, Xt, eps, theta_star=ts, method="first_order")
    pg = ntk.adversarial_risk(fit, Xa, eps, theta_star=ts, method="pgd", steps=cfg.pgd_steps,
                              seed=_ss(seed, 1))
    R0a = fit.standard_risk(Xa, theta_star=ts)  # PGD runs on the first attack_size test points
    for i in range(lam.size):
        add("ntk_infinite", 0, lam[i], lam_lin[i], "first_order", R0[i], fo[i])
        add("ntk_infinite", 0, lam[i], lam_lin[i], "pgd", R0a[i], pg[i])
    # the linearisation: linear ridge at the implicit penalty, exact (Gaussian closed form) and theory
    path = RidgePath(X, y, lam_lin)
    lr0 = path.standard_risk(design)
    ladv = path.adversarial_risk(design, eps, norm=2)
    eq = T.ridge_equivalent(s, ts, NOISE, cfg.n, lam_lin, sequence_norms=False)
    tadv = T.adversarial_equivalent(s, ts, NOISE, cfg.n, lam_lin, eps, equivalent=eq)
    for i in range(lam.size):
        add("linear_implicit", 0, lam[i], lam_lin[i], "closed_form", lr0[i], ladv[i])
        add("linear_implicit", 0, lam[i], lam_lin[i], "theory", eq.risk[i], tadv[i])
    mn = RidgePath(X, y, [0.0])  # the linear min-norm interpolator on the same data, for comparison
    add("linear_minnorm", 0, 0.0, 0.0, "closed_form", mn.standard_risk(design)[0],
        mn.adversarial_risk(design, eps, norm=2)[0])
    # interpolators at finite width: empirical-NTK kernel interpolator and the GD-trained network
    inf_pred = fit.predict(Xt)[:, 0]
    for m in (cfg.widths if seed < cfg.gd_seeds else ()):
        kfit = ntk.TwoLayerNTK(m, train="first", seed=_ss(seed, m)).fit(X, y, 0.0)
        kpred = kfit.predict(Xt)[:, 0]
        kr0 = kfit.standard_risk(Xt, theta_star=ts)[0]
        kpg = ntk.adversarial_risk(kfit, Xa, eps, theta_star=ts, method="pgd", steps=cfg.pgd_steps,
                                   seed=_ss(seed, m, 1))[0]
        add("ntk_finite", m, 0.0, lam_lin[0], "pgd", kfit.standard_risk(Xa, theta_star=ts)[0], kpg,
            test_standard_risk=kr0)
        res = ntk.train_gd(X, y, m, train="first", seed=_ss(seed, m), max_steps=cfg.gd_max_steps,
                           tol=cfg.gd_tol)
        gpred = res.predict(Xt)
        gr0 = float(np.mean((gpred - Xt @ ts) ** 2))
        gpg = ntk.adversarial_risk(res, Xa, eps, theta_star=ts, method="pgd", steps=cfg.pgd_steps,
                                   seed=_ss(seed, m, 2))[0]
        gfo = ntk.adversarial_risk(res, Xa, eps, theta_star=ts, method="first_order")[0]
        ga = float(np.mean((res.predict(Xa) - Xa @ ts) ** 2))
        gaps = dict(gap_to_finite_kernel=float(np.linalg.norm(gpred - kpred) / np.linalg.norm(kpred)),
                    gap_to_infinite_kernel=float(np.linalg.norm(gpred - inf_pred) / np.linalg.norm(inf_pred)),
                    gd_steps=res.steps, gd_converged=bool(res.converged), test_standard_risk=gr0)
        add("gd_network", m, 0.0, lam_lin[0], "pgd", ga, gpg, **gaps)
        add("gd_network", m, 0.0, lam_lin[0], "first_order", ga, gfo, **gaps)
    df = pd.DataFrame(rows)
    df["n"] = cfg.n
    df["d"] = d
    return df


def run(out: Path, *, quick: bool = False, workers=None, client=None, progress: bool = True,
        cfg: Config | None = None) -> Summary:
    """Compute every seed (resuming finished ones), plot, summarise. ``workers``/``client`` are unused:
    E3 runs in the calling process.

    ``cfg`` replaces the preset ``config(quick)`` (to change the setting, e.g. in a notebook; a
    different setting in the same directory is refused by the stores).
    """
    import pandas as pd

    from . import e3_text

    t0 = time.perf_counter()
    cfg = config(quick) if cfg is None else cfg
    d, pieces = pieces_dir(out, NAME, cfg, "E3")
    frames = []
    it = range(cfg.seeds)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="E3 (NTK) seeds", unit="seed", disable=None)
    for seed in it:
        f = pieces / f"seed{seed}.parquet"
        if not f.exists():
            write_table(run_seed(cfg, seed), f)
        frames.append(pd.read_parquet(f))
    tab = pd.concat(frames, ignore_index=True)
    write_table(tab, d / "e3_ntk.parquet")
    s = spectrum(cfg)
    orc = T.oracle_frontier(s, theta_star_of(cfg, s), list(cfg.eps), norm=2)
    figs = plot(tab, orc, cfg, d / "e3_ntk")
    summ = Summary(
        name=NAME, title=TITLE,
        claim=("In lazy training the two-layer ReLU network behaves like its neural tangent kernel, which in "
               "high dimension behaves like linear ridge at an implicit penalty about tr(Sigma): the same "
               "picture as E1/E2 (claim (iii) of Hao & Zhang, arXiv:2401.12236)."),
        setting=(f"n = {cfg.n}, d = {s.size} (two_level, low d = n^0.5, tr Sigma = {float(s.sum()):.3g}), "
                 f"theta* = {resolve_theta_star(cfg.theta_star).describe()}, sigma = {NOISE:g}, {cfg.seeds} "
                 f"seeds (finite widths on the first {min(cfg.gd_seeds, cfg.seeds)}); first layer trained, "
                 "symmetric init; "
                 f"{cfg.n_lam} NTK penalties (0 and g1 n 10^[{cfg.lam_n[0]:g}, {cfg.lam_n[1]:g}]); l2 "
                 "attacks "
                 f"eps in {list(cfg.eps)}, clean target; standard risk on {cfg.test_size} test points, PGD "
                 f"({cfg.pgd_steps} steps) on the first {cfg.attack_size}; widths {list(cfg.widths)} for the "
                 f"finite kernels and the GD-trained networks (full-batch GD, relative residual "
                 f"{cfg.gd_tol:g} or {cfg.gd_max_steps} steps)."),
        findings=e3_text.findings(tab, orc, cfg),
        figures=[str(p.relative_to(out)) for p in figs],
        tables=[f"{NAME}/e3_ntk.parquet"],
        seconds=time.perf_counter() - t0,
        captions=[e3_text.caption(tab, cfg)])
    write_json(summ.to_json(), d / "summary.json")
    return summ

def gap_slopes(tab):
    """Per seed and gap (``gap_to_finite_kernel``, ``gap_to_infinite_kernel``): the least-squares slope of
    log(gap) against log(width) over every width; a DataFrame with columns seed, gap, slope."""
    import pandas as pd

    g = tab[(tab["model"] == "gd_network") & (tab["method"] == "pgd")]
    g = g.drop_duplicates(["seed", "width"])
    rows = []
    for seed, d in g.groupby("seed"):
        if d["width"].nunique() < 2:
            continue
        for col in ("gap_to_finite_kernel", "gap_to_infinite_kernel"):
            slope = float(np.polyfit(np.log(d["width"]), np.log(d[col]), 1)[0])
            rows.append(dict(seed=int(seed), gap=col, slope=slope))
    return pd.DataFrame(rows, columns=["seed", "gap", "slope"])


def plot(tab, orc, cfg: Config, base: Path) -> list[Path]:
    """The E3 figure (see :func:`fastrisk.reproduce.e3_plot.plot`)."""
    from .e3_plot import plot as _plot

    return _plot(tab, orc, cfg, base)
