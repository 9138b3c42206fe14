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
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import ntk, spectra
from .. import theory as T
from ..design import GaussianDesign
from ..ground_truth import resolve_theta_star
from ..ridge import RidgePath
from . import figures as F
from ._common import NOISE, ReproduceError, Summary, ground_truth_risk, read_json, write_json, write_table

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

    t0 = time.perf_counter()
    cfg = config(quick) if cfg is None else cfg
    d = Path(out) / NAME
    pieces = d / "pieces"
    pieces.mkdir(parents=True, exist_ok=True)
    cfg_json = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()}
    man = pieces / "config.json"
    if man.exists() and read_json(man) != cfg_json:
        raise ReproduceError(f"{pieces} holds E3 results of another configuration; choose another --out")
    write_json(cfg_json, man)
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
        findings=_findings(tab, orc, cfg),
        figures=[str(p.relative_to(out)) for p in figs],
        tables=[f"{NAME}/e3_ntk.parquet"],
        seconds=time.perf_counter() - t0,
        captions=[_caption(tab, cfg)])
    write_json(summ.to_json(), d / "summary.json")
    return summ


def _mean(tab, **sel):
    m = np.ones(len(tab), dtype=bool)
    for k, v in sel.items():
        m &= (tab[k] == v).to_numpy()
    return tab[m]


def _ms(v) -> str:
    """'mean +- sd (k seeds)' of per-seed values."""
    v = np.asarray(v, dtype=float)
    sd = float(np.std(v, ddof=1)) if v.size > 1 else 0.0
    return f"{float(np.mean(v)):.3g} +- {sd:.2g}"


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


def _per_seed(tab, model, method, eps, lam=None):
    d = _mean(tab, model=model, method=method, eps=eps)
    if lam is not None:
        d = d[d["lam"] == lam]
    return d


def _findings(tab, orc, cfg: Config) -> list[str]:
    out = []
    emax = max(cfg.eps)
    e = list(cfg.eps).index(emax)
    s = spectrum(cfg)
    gt = float(ground_truth_risk(theta_star_of(cfg, s), [emax], 2.0, "clean")[0])
    seeds = int(tab["seed"].nunique())
    i0 = 0.0
    fo0 = _per_seed(tab, "ntk_infinite", "first_order", emax, i0)
    pg0 = _per_seed(tab, "ntk_infinite", "pgd", emax, i0)
    ratio = (f" = {float(pg0['adversarial_risk'].mean()) / gt:.3g}x the ground truth's ({gt:.3g}, computed)"
             if gt > 0 else " (the ground truth's is 0: no ratio)")
    out.append(f"NTK interpolator (lam = 0, infinite width), mean +- sd over {seeds} seeds: standard risk "
               f"{_ms(fo0['standard_risk'])} (sigma^2 = {NOISE**2:g}); adversarial risk at eps = {emax:g} "
               f"{_ms(pg0['adversarial_risk'])} by PGD, {_ms(fo0['adversarial_risk'])} first order"
               + ratio + ".")
    ntk_fo = _mean(tab, model="ntk_infinite", method="first_order", eps=emax)
    lin = _mean(tab, model="linear_implicit", method="closed_form", eps=emax)
    th = _mean(tab, model="linear_implicit", method="theory", eps=emax)
    key = ["seed", "lam"]
    both = ntk_fo.merge(lin, on=key, suffixes=("_ntk", "_lin")).merge(th[key + ["adversarial_risk"]], on=key)
    r0 = np.abs(both["standard_risk_ntk"] / both["standard_risk_lin"] - 1)
    ra = np.abs(both["adversarial_risk_ntk"] / both["adversarial_risk_lin"] - 1)
    rt = np.abs(both["adversarial_risk_lin"] / both["adversarial_risk"] - 1)
    mean_ntk = ntk_fo.groupby("lam")[["standard_risk", "adversarial_risk"]].mean()
    mean_lin = lin.groupby("lam")[["standard_risk", "adversarial_risk"]].mean()
    m0 = float(np.max(np.abs(mean_ntk["standard_risk"] / mean_lin["standard_risk"] - 1)))
    ma = float(np.max(np.abs(mean_ntk["adversarial_risk"] / mean_lin["adversarial_risk"] - 1)))
    lam_imp = float(_mean(tab, model="linear_implicit", lam=0.0)["lam_linear"].mean())
    out.append(f"Linearisation: along the whole path the seed-mean NTK standard risk is within "
               f"{100 * m0:.0f}% and its (first-order) adversarial risk within {100 * ma:.0f}% of linear "
               f"ridge at the implicit penalty lam_imp + lam / g1 (lam_imp = {lam_imp:.3g}); seed by seed "
               f"the largest gaps are "
               f"{100 * float(r0.max()):.0f}% and {100 * float(ra.max()):.0f}%. That linear ridge is within "
               f"{100 * float(rt.max()):.0f}% of its deterministic equivalent (every seed and penalty).")
    pg = _mean(tab, model="ntk_infinite", method="pgd", eps=emax)
    hs, lams = [], []
    for _, d in pg.groupby("seed"):
        d = d.sort_values("lam")
        o = T.grid_optimum(np.maximum(d["standard_risk"], d["adversarial_risk"] - gt).to_numpy(),
                           d["lam"].to_numpy())
        hs.append(o.value)
        lams.append(o.describe(0.25 * cfg.n, "lam/(g1 n)"))
    best = pg.groupby("seed")["adversarial_risk"].min()
    out.append(f"Trade-off on the NTK path at eps = {emax:g}: harm min_lam max(R_0, R_eps - R_eps(theta*)) "
               f"= {_ms(hs)} (PGD; best penalty per seed: {', '.join(sorted(set(lams)))}); best adversarial "
               f"risk {_ms(best)} against the oracle frontier's {orc.adversarial_risk[:, e].min():.3g}.")
    mn = _mean(tab, model="linear_minnorm", eps=emax)
    out.append(f"The NTK interpolator is implicitly regularised (lam_imp / n = {lam_imp / cfg.n:.3g}): the "
               f"linear min-norm interpolator on the same data has standard risk {_ms(mn['standard_risk'])} "
               "and "
               f"adversarial risk {_ms(mn['adversarial_risk'])} at eps = {emax:g}, against the NTK "
               f"interpolator's {_ms(fo0['standard_risk'])} and {_ms(pg0['adversarial_risk'])}.")
    g = _mean(tab, model="gd_network", method="pgd", eps=emax)
    if len(g):
        ws = sorted(g["width"].unique())
        gm = g.groupby("width")[["gap_to_finite_kernel", "gap_to_infinite_kernel", "adversarial_risk"]].mean()
        sl = gap_slopes(tab)
        k = int(g["seed"].nunique())

        def rate(col):
            v = sl[sl["gap"] == col]["slope"]
            return f"m^({_ms(v)})" if len(v) else "no fit (one width)"

        out.append(f"Lazy training ({k} seed(s), widths {', '.join(map(str, ws))}, a factor "
                   f"{ws[-1] / ws[0]:g}): the GD-trained network's predictions differ from the kernel "
                   f"interpolator at the same initialisation by "
                   + ", ".join(f"{gm.loc[w, 'gap_to_finite_kernel']:.2g}" for w in ws)
                   + " and from the infinite-width one by "
                   + ", ".join(f"{gm.loc[w, 'gap_to_infinite_kernel']:.2g}" for w in ws)
                   + f" (relative l2, seed means). Fitted rates (least squares per seed, mean +- sd over "
                   f"seeds): {rate('gap_to_finite_kernel')} to the same-initialisation kernel interpolator, "
                   f"{rate('gap_to_infinite_kernel')} to the infinite-width one.")
        gfo = _mean(tab, model="gd_network", method="first_order", eps=emax).groupby("width")[
            "adversarial_risk"].mean()
        kf = _mean(tab, model="ntk_finite", method="pgd", eps=emax).groupby("width")[
            "adversarial_risk"].mean()
        inf_same = _per_seed(tab, "ntk_infinite", "pgd", emax, i0)
        inf_same = inf_same[inf_same["seed"] < k]["adversarial_risk"].mean()
        out.append(f"PGD on the trained networks at eps = {emax:g}: "
                   + ", ".join(f"m = {w}: {gm.loc[w, 'adversarial_risk']:.3g}" for w in ws)
                   + f" (finite-width kernel interpolators: {', '.join(f'{kf[w]:.3g}' for w in ws)}; "
                   f"infinite width on the same seeds: {inf_same:.3g}); a first-order estimate from the "
                   "network's a.e. input gradient gives " + ", ".join(f"{gfo[w]:.3g}" for w in ws) + ".")
    return out


def _caption(tab, cfg: Config) -> str:
    sl = gap_slopes(tab)
    fits = "; ".join(f"{'same-init kernel' if c == 'gap_to_finite_kernel' else 'infinite width'}: slope "
                     f"{_ms(sl[sl['gap'] == c]['slope'])}" for c in ("gap_to_finite_kernel",
                                                                        "gap_to_infinite_kernel")
                     if (sl["gap"] == c).any())
    emax = float(tab["eps"].max())
    ntk = _mean(tab, model="ntk_infinite", method="first_order", eps=emax).groupby("lam")[
        ["standard_risk", "adversarial_risk"]].mean()
    lin = _mean(tab, model="linear_implicit", method="closed_form", eps=emax).groupby("lam")[
        ["standard_risk", "adversarial_risk"]].mean()
    gap = float(np.nanmax(np.abs(ntk / lin - 1).to_numpy())) if len(ntk) and len(lin) else math.nan
    return ("Top: the NTK ridge path and linear ridge at the implicit penalty (mean over seeds); their "
            f"markers overlap (they agree within {100 * gap:.0f}%), and the linear ridge's deterministic "
            "equivalent runs through them; bottom left: the lazy-training gaps against width, markers per "
            "width (mean +- sd over seeds), dashed lines the least-squares fits whose slopes are reported"
            + (f" ({fits})" if fits else "") + "; bottom right: attacks on interpolating networks.")


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
