"""E3, claim (iii): the two-layer NTK model in lazy training tells the same story as the linear model.

Setting: ``f(x) = m^-1/2 sum_r a_r relu(w_r^T x)`` (first layer trained, symmetric init so f_0 = 0), data
``x ~ N(0, Sigma)`` with the ``two_level`` spectrum in ``d = 3 n`` dimensions (``low d = n^0.5``),
``y = x^T theta* + noise``, ``theta* = e_1``, ``sigma = 1``; clean-target adversarial risk
``E max_{|delta|_2 <= eps} (f(x + delta) - x^T theta*)^2`` on a test sample. Per seed:

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
  Jacot et al. 2018, arXiv:1806.07572; Chizat, Oyallon & Bach 2019, arXiv:1812.07956).

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
from ..ridge import RidgePath
from . import figures as F
from ._common import NOISE, ReproduceError, Summary, read_json, theta_star, write_json, write_table

__all__ = ["NAME", "Config", "config", "run", "run_seed", "spectrum", "plot"]

NAME = "E3"
TITLE = "E3: the two-layer NTK in lazy training: the linear story through an implicit ridge"


@dataclass(frozen=True)
class Config:
    n: int
    seeds: int
    widths: tuple[int, ...]
    n_lam: int = 12
    eps: tuple[float, ...] = (0.1, 0.2)
    d_factor: int = 3
    test_size: int = 1000
    attack_size: int = 100
    pgd_steps: int = 10
    gd_max_steps: int = 3000
    gd_tol: float = 1e-4
    lam_n: tuple[float, float] = (-3.0, 2.0)


def config(quick: bool) -> Config:
    """Quick: n = 150, d = 450, 2 seeds, widths 256 and 1024; default: n = 300, d = 900, 4 seeds,
    widths 256, 1024, 4096."""
    if quick:
        return Config(n=150, seeds=2, widths=(256, 1024))
    return Config(n=300, seeds=4, widths=(256, 1024, 4096), attack_size=200, pgd_steps=20)


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
    ts = theta_star(d)
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
    for m in cfg.widths:
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
    orc = T.oracle_frontier(s, theta_star(s.size), list(cfg.eps), norm=2)
    figs = plot(tab, orc, cfg, d / "e3_ntk")
    summ = Summary(
        name=NAME, title=TITLE,
        claim=("In lazy training the two-layer ReLU network behaves like its neural tangent kernel, which in "
               "high dimension behaves like linear ridge at an implicit penalty about tr(Sigma): the same "
               "picture as E1/E2 (claim (iii) of Hao & Zhang, arXiv:2401.12236)."),
        setting=(f"n = {cfg.n}, d = {s.size} (two_level, low d = n^0.5, tr Sigma = {float(s.sum()):.3g}), "
                 f"theta* = e_1, sigma = {NOISE:g}, {cfg.seeds} seeds; first layer trained, symmetric init; "
                 f"{cfg.n_lam} NTK penalties (0 and g1 n 10^[{cfg.lam_n[0]:g}, {cfg.lam_n[1]:g}]); l2 "
                 "attacks "
                 f"eps in {list(cfg.eps)}, clean target; standard risk on {cfg.test_size} test points, PGD "
                 f"({cfg.pgd_steps} steps) on the first {cfg.attack_size}; widths {list(cfg.widths)} for the "
                 f"finite kernels and the GD-trained networks (full-batch GD, relative residual "
                 f"{cfg.gd_tol:g} or {cfg.gd_max_steps} steps)."),
        findings=_findings(tab, orc, cfg),
        figures=[str(p.relative_to(out)) for p in figs],
        tables=[f"{NAME}/e3_ntk.parquet"],
        seconds=time.perf_counter() - t0)
    write_json(summ.to_json(), d / "summary.json")
    return summ


def _mean(tab, **sel):
    m = np.ones(len(tab), dtype=bool)
    for k, v in sel.items():
        m &= (tab[k] == v).to_numpy()
    return tab[m]


def _findings(tab, orc, cfg: Config) -> list[str]:
    out = []
    emax = max(cfg.eps)
    gt = emax**2
    ntk_fo = _mean(tab, model="ntk_infinite", method="first_order", eps=emax).groupby("lam")[
        ["standard_risk", "adversarial_risk"]].mean()
    ntk_pg = _mean(tab, model="ntk_infinite", method="pgd", eps=emax).groupby("lam")[
        ["standard_risk", "adversarial_risk"]].mean()
    lin = _mean(tab, model="linear_implicit", method="closed_form", eps=emax).groupby("lam")[
        ["standard_risk", "adversarial_risk"]].mean()
    th = _mean(tab, model="linear_implicit", method="theory", eps=emax).groupby("lam")[
        ["standard_risk", "adversarial_risk"]].mean()
    i0 = ntk_fo.index.min()
    out.append("NTK interpolator (lam = 0, infinite width): standard risk "
               f"{ntk_fo.loc[i0, 'standard_risk']:.3g} "
               f"(sigma^2 = {NOISE**2:g}), adversarial risk at eps = {emax:g}: "
               f"{ntk_pg.loc[i0, 'adversarial_risk']:.3g} by PGD, {ntk_fo.loc[i0, 'adversarial_risk']:.3g} "
               "first "
               f"order = {ntk_pg.loc[i0, 'adversarial_risk'] / gt:.3g}x the ground truth's ({gt:.3g}).")
    rel0 = np.max(np.abs(ntk_fo["standard_risk"] / lin["standard_risk"] - 1))
    rela = np.max(np.abs(ntk_fo["adversarial_risk"] / lin["adversarial_risk"] - 1))
    relt = np.max(np.abs(lin["adversarial_risk"] / th["adversarial_risk"] - 1))
    lam_imp = float(_mean(tab, model="linear_implicit", lam=0.0)["lam_linear"].mean())
    out.append(f"Linearisation: along the whole path the NTK's standard risk is within {100 * rel0:.0f}% "
               "and its "
               f"(first-order) adversarial risk within {100 * rela:.0f}% of linear ridge at the implicit "
               "penalty "
               f"lam_imp + lam / g1 (lam_imp = {lam_imp:.3g}); that linear ridge is within "
               f"{100 * relt:.0f}% of its deterministic equivalent.")
    h = np.maximum(ntk_pg["standard_risk"], ntk_pg["adversarial_risk"] - gt)
    k = h.idxmin()
    e = list(cfg.eps).index(emax)
    out.append(f"Trade-off on the NTK path at eps = {emax:g}: harm min_lam max(R_0, R_eps - eps^2) = "
               f"{h.min():.3g} "
               f"(PGD) at lam/(g1 n) = {k / (0.25 * cfg.n):.3g}; best adversarial risk "
               f"{ntk_pg['adversarial_risk'].min():.3g} "
               f"against the oracle frontier's {orc.adversarial_risk[:, e].min():.3g}.")
    mn = _mean(tab, model="linear_minnorm", eps=emax)[["standard_risk", "adversarial_risk"]].mean()
    out.append(f"The NTK interpolator is implicitly regularised (lam_imp / n = {lam_imp / cfg.n:.3g}): the "
               "linear "
               f"min-norm interpolator on the same data has standard risk {mn['standard_risk']:.3g} and "
               "adversarial "
               f"risk {mn['adversarial_risk']:.3g} at eps = {emax:g}, against the NTK interpolator's "
               f"{ntk_fo.loc[i0, 'standard_risk']:.3g} and {ntk_pg.loc[i0, 'adversarial_risk']:.3g}.")
    g = _mean(tab, model="gd_network", method="pgd", eps=emax).groupby("width")[
        ["gap_to_finite_kernel", "gap_to_infinite_kernel", "adversarial_risk", "gd_steps"]].mean()
    gfo = _mean(tab, model="gd_network", method="first_order", eps=emax).groupby("width")[
        "adversarial_risk"].mean()
    kf = _mean(tab, model="ntk_finite", method="pgd", eps=emax).groupby("width")["adversarial_risk"].mean()
    ws = list(g.index)
    out.append("Lazy training: the GD-trained network's predictions differ from the kernel interpolator at "
               "the "
               "same init by " + ", ".join(f"{g.loc[w, 'gap_to_finite_kernel']:.2g}" for w in ws)
               + " and from the infinite-width one by "
               + ", ".join(f"{g.loc[w, 'gap_to_infinite_kernel']:.2g}" for w in ws)
               + f" (relative l2) at widths {', '.join(map(str, ws))}.")
    out.append(f"PGD on the trained networks at eps = {emax:g}: "
               + ", ".join(f"m = {w}: {g.loc[w, 'adversarial_risk']:.3g}" for w in ws)
               + f" (finite-width kernel interpolators: {', '.join(f'{kf[w]:.3g}' for w in ws)}; infinite "
                 "width: "
               f"{ntk_pg.loc[i0, 'adversarial_risk']:.3g}); a first-order estimate from the network's a.e. "
               "input gradient gives " + ", ".join(f"{gfo[w]:.3g}" for w in ws) + ".")
    return out


def plot(tab, orc, cfg: Config, base: Path) -> list[Path]:
    """The E3 figure: NTK path vs its linearisation in the (R_0, R_eps) plane; risks along the penalty;
    lazy-training gaps and attacks on trained networks against width."""
    plt = F.pyplot()
    emax = max(cfg.eps)
    e = list(cfg.eps).index(emax)
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 7.6))

    def curve(model, method):
        return _mean(tab, model=model, method=method, eps=emax).groupby("lam")[
            ["standard_risk", "adversarial_risk", "lam_linear"]].mean().sort_index()

    series = [("ntk_infinite", "pgd", F.COLORS[0], "-", "NTK ridge (inf. width), PGD"),
              ("ntk_infinite", "first_order", F.COLORS[5], "-", "NTK ridge, first order"),
              ("linear_implicit", "closed_form", F.COLORS[1], "-", r"linear ridge at "
                                                                   r"$\lambda_{imp}+\lambda/g_1$"),
              ("linear_implicit", "theory", F.COLORS[1], "--", "its deterministic equivalent")]
    ax = axes[0, 0]
    for model, method, c, ls, lab in series:
        u = curve(model, method)
        ax.plot(u["standard_risk"], u["adversarial_risk"], ls, color=c, label=lab, marker=".")
        ax.plot(u["standard_risk"].iloc[0], u["adversarial_risk"].iloc[0], "o", color=c, ms=6)
    ax.plot(orc.standard_risk, orc.adversarial_risk[:, e], "-", color="k", lw=2.2, alpha=0.6,
            label="oracle frontier (linear)")
    for j, w in enumerate(cfg.widths):
        g = _mean(tab, model="gd_network", method="pgd", eps=emax, width=w)
        ax.plot(g["test_standard_risk"].mean(), g["adversarial_risk"].mean(), F.MARKERS[j + 1],
                color=F.COLORS[2],
                mec="k", ms=7, label=f"GD-trained net m = {w} (PGD)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"standard risk $E(f(x) - x^T\theta^*)^2$")
    ax.set_ylabel(r"adversarial risk $E\max_{\|\delta\|_2\leq\varepsilon}(f(x{+}\delta)-x^T\theta^*)^2$")
    ax.set_title(rf"trade-off along the penalty path, $\varepsilon$ = {emax:g} (circles: $\lambda$ = 0)")
    lo = float(_mean(tab, eps=emax)["standard_risk"].min())
    ax.set_xlim(left=lo / 3)
    ax.set_ylim(bottom=0.7 * emax**2)
    ax.legend(loc="lower right", fontsize=6.5)
    ax = axes[0, 1]
    for model, method, c, ls, lab in series:
        u = curve(model, method)
        u = u[u.index > 0]
        x = u.index / (0.25 * cfg.n)
        ax.plot(x, u["adversarial_risk"], ls, color=c, label=r"$R_\varepsilon$: " + lab)
        if method in ("first_order", "closed_form"):
            ax.plot(x, u["standard_risk"], ls, color=c, alpha=0.6, lw=1.0,
                    label=r"$R_0$: " + lab)
    ax.axhline(emax**2, color="0.4", ls=":", label=r"ground truth $\varepsilon^2$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"NTK penalty $\lambda / (g_1 n)$ of $(K + \lambda I)^{-1}$, $g_1 = 1/4$")
    ax.set_ylabel("risk (clean target)")
    ax.set_title(r"risks along the NTK ridge path and its linearisation")
    ax.legend(loc="best", fontsize=6)
    g = _mean(tab, model="gd_network", method="pgd", eps=emax).groupby("width")[
        ["gap_to_finite_kernel", "gap_to_infinite_kernel"]].agg(["mean", "std"])
    ax = axes[1, 0]
    w = np.array(g.index)
    for col, c, lab in (("gap_to_finite_kernel", F.COLORS[2], "to the kernel interpolator at the same init"),
                        ("gap_to_infinite_kernel", F.COLORS[0], "to the infinite-width NTK interpolator")):
        ax.errorbar(w, g[(col, "mean")], yerr=g[(col, "std")].fillna(0), fmt="o-", color=c, capsize=2,
                    label=lab)
    ax.plot(w, g[("gap_to_finite_kernel", "mean")].iloc[0] * np.sqrt(w[0] / w), ":", color="0.4",
            label=r"slope $m^{-1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width m (neurons)")
    ax.set_ylabel(r"relative gap $\|f_{GD} - f_{kernel}\|_2 / \|f_{kernel}\|_2$ on test points")
    ax.set_title("lazy training: the GD-trained network approaches the kernel predictor")
    ax.legend(loc="best")
    ax = axes[1, 1]
    for model, method, c, mk, lab in (("gd_network", "pgd", F.COLORS[2], "o-", "GD-trained network, PGD"),
                                      ("gd_network", "first_order", F.COLORS[4], "s--",
                                       "GD-trained network, first order (a.e. gradient)"),
                                      ("ntk_finite", "pgd", F.COLORS[3], "^-", "finite-width kernel "
                                                                               "interp., PGD")):
        v = _mean(tab, model=model, method=method, eps=emax).groupby("width")["adversarial_risk"].agg(
            ["mean", "std"])
        ax.errorbar(v.index, v["mean"], yerr=v["std"].fillna(0), fmt=mk, color=c, capsize=2, label=lab)
    inf = curve("ntk_infinite", "pgd")["adversarial_risk"].iloc[0]
    ax.axhline(inf, color=F.COLORS[0], label="infinite-width NTK interpolator, PGD")
    ax.axhline(emax**2, color="0.4", ls=":", label=r"ground truth $\varepsilon^2$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("width m (neurons)")
    ax.set_ylabel(r"adversarial risk of the interpolator ($\ell_2$, $\varepsilon$" + f" = {emax:g})")
    ax.set_title("attacks on interpolating networks")
    ax.legend(loc="best", fontsize=6.5)
    fig.suptitle(f"E3: two-layer ReLU NTK (first layer), n = {cfg.n}, d = {cfg.d_factor * cfg.n} "
                 "(two_level), "
                 rf"$\theta^*=e_1$, $\sigma$={NOISE:g}, {cfg.seeds} seeds")
    return F.save(fig, base)
