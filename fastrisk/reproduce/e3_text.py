"""E3's report text: the findings and the figure caption, generated from the table (per-seed means and
spreads, fitted lazy-training rates), never typed."""

from __future__ import annotations

import math

import numpy as np

from .. import theory as T
from ._common import NOISE, ground_truth_risk
from .e3_ntk import Config, gap_slopes, spectrum, theta_star_of

__all__ = ["findings", "caption"]


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


def _per_seed(tab, model, method, eps, lam=None):
    d = _mean(tab, model=model, method=method, eps=eps)
    if lam is not None:
        d = d[d["lam"] == lam]
    return d


def findings(tab, orc, cfg: Config) -> list[str]:
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


def caption(tab, cfg: Config) -> str:
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
