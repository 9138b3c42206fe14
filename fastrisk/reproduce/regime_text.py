"""The regime map's words: its table and every sentence of the report, generated from the verdicts.

No sentence here is written in advance: each names the cells whose numbers support it (a verdict, a
slope, a value), so the text never claims more than a cell shows.
"""

from __future__ import annotations

import math

import numpy as np

from .. import theory as T
from ..ground_truth import resolve_theta_star
from ._common import ground_truth_risk

__all__ = ["compose", "table", "reading", "RADIUS_TEXT", "category"]

#: How the report names each radius schedule.
RADIUS_TEXT = {"fixed": "eps = 0.2 fixed", "gamma=-1/2": "eps ~ n^(-1/2)", "gamma=+1/4": "eps ~ n^(1/4)",
               "gamma=+1/2": "eps ~ n^(1/2)", "relative": "relative eps ~ sqrt(tr Sigma)"}


def _g(v: float, d: int = 2) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.{d}g}"


def category(r) -> str:
    """'null' (theta = 0 is ridge's best over the last decade), 'strict' (H stays or grows with a
    penalty better than theta = 0), 'fades', or 'undecided'."""
    if r["verdict"] == "undecided":
        return "undecided"
    if r["null_in_last_decade"]:
        return "null"
    return "fades" if r["verdict"] == "fades" else "strict"


def _note(r) -> str:
    bits = []
    if r["null_at_nmax"]:
        bits.append("theta = 0 best (H = theta*^T Sigma theta*)")
    if r["best_over_ground_truth_at_nmax"] < 1:
        bits.append("ridge's best R_eps < R_eps(theta*): theta* itself is not robust at this radius")
    if r["bound_in_last_decade"]:
        bits.append("an edge of the penalty grid: bound")
    if r["stopped"]:
        bits.append(f"stopped at n = {r['n_max']} (time budget)")
    return "; ".join(bits)


def table(ver, ns_show=(100, 1000, 10_000, 100_000)) -> str:
    """The regime map as a Markdown table, one row per cell."""
    cols = [c for c in (f"harm_n{n}" for n in ns_show) if c in ver.columns]
    shown = [int(c[6:]) for c in cols]
    head = (["spectrum", "theta*", "attack", "radius"] + [f"H, n = {n:,}".replace(",", " ") for n in shown]
            + ["H / theta*'Sigma theta*", "best R_eps / R_eps(theta*)", "slope", "verdict", "note"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in ver.to_dict("records"):
        hs = [_g(r.get(c, math.nan), 3) for c in cols]
        ratio = r["best_over_ground_truth_at_nmax"]
        lines.append("| " + " | ".join(
            [r["spectrum"], r["theta_star"], r["attack"], RADIUS_TEXT.get(r["schedule"], r["schedule"])] + hs
            + [_g(r["harm_rel_at_nmax"], 3), "no ratio (R_eps(theta*) = 0)" if not math.isfinite(ratio)
               else _g(ratio, 3), f"{r['slope']:+.2f}" if math.isfinite(r["slope"]) else "-",
               r["verdict"], _note(r)]) + " |")
    return "\n".join(lines)


def _where(rows) -> str:
    """'spectrum/theta*' pairs, compactly ('all six' when every pair is there)."""
    pairs = [f"{r['spectrum']}/{r['theta_star']}" for r in rows]
    return ", ".join(pairs)


def reading(ver) -> list[str]:
    """Sentences on claim (ii): per attack and radius, where the trade-off is strict, where ridge's best
    is theta = 0, where it fades, each with the cells and the range of slopes behind it."""
    out = []
    n_pairs = ver.groupby(["spectrum", "theta_star"]).ngroups
    for (attack, sched), d in ver.groupby(["attack", "schedule"], sort=False):
        recs = d.to_dict("records")
        by: dict[str, list] = {}
        for r in recs:
            by.setdefault(category(r), []).append(r)
        bits = []
        for cat, words in (("strict", "strict (H stays or grows, slope {s})"),
                           ("null", "total: ridge's best is theta = 0, H = theta*^T Sigma theta* "
                                    "(slope {s})"),
                           ("fades", "fades (slope {s})"), ("undecided", "undecided (too few n)")):
            rs = by.get(cat, [])
            if not rs:
                continue
            sl = [r["slope"] for r in rs if math.isfinite(r["slope"])]
            srange = (f"{min(sl):+.2f}" if len(sl) == 1 or max(sl) - min(sl) < 0.005
                      else f"{min(sl):+.2f} to {max(sl):+.2f}") if sl else "-"
            where = (f"on all {n_pairs} spectrum/ground-truth pairs" if len(rs) == n_pairs
                     else f"on {_where(rs)}")
            bits.append(words.format(s=srange) + " " + where)
        out.append(f"{attack}, {RADIUS_TEXT.get(sched, sched)}: " + "; ".join(bits) + ".")
    return out


def _claim_summary(ver) -> str:
    cats = ver.apply(category, axis=1)
    strict = ver[cats == "strict"]
    null = ver[cats == "null"]
    fades = ver[cats == "fades"]

    pairs = ver.groupby(["spectrum", "theta_star"]).ngroups

    def cells(d):
        g = d.groupby(["attack", "schedule"], sort=False).size()
        return ", ".join(f"{a} with {RADIUS_TEXT.get(s, s)} ({k}/{pairs})" for (a, s), k in g.items())

    nmax = int(ver["n_max"].max())
    parts = [f"Reading of claim (ii) up to n = {nmax} (theory; verdict from the last decade of n). "]
    parts.append(f"The trade-off stays strict -- H does not fade and some penalty beats theta = 0 -- in "
                 f"{len(strict)} of {len(ver)} cells: {cells(strict) or 'none'}." if len(strict) else
                 f"In none of the {len(ver)} cells does H stay or grow with a penalty better than theta = 0.")
    if len(null):
        parts.append(f" In {len(null)} cells ridge's best penalty is theta = 0 over the whole last decade "
                     f"(H within 1% of theta*^T Sigma theta*): {cells(null)}; there the ridge trade-off "
                     "is total, but it belongs to ridge (see the l_inf Pareto frontier below).")
    if len(fades):
        parts.append(f" It fades (slope below -0.1) in {len(fades)} cells: {cells(fades)}.")
    return "".join(parts)


def _radius_note(th) -> str:
    bits = []
    for kind, d in th[th["schedule"] == "relative"].groupby("spectrum"):
        d = d.drop_duplicates("n").sort_values("n")
        n0, n1 = int(d["n"].iloc[0]), int(d["n"].iloc[-1])
        e0, e1 = float(d["eps"].iloc[0]), float(d["eps"].iloc[-1])
        slope = math.log(e1 / e0) / math.log(n1 / n0)
        late = d[d["n"] >= n1 / 10]
        s_late = float(np.polyfit(np.log(late["n"]), np.log(late["eps"]), 1)[0]) if len(late) > 1 else slope
        bits.append(f"on {kind} it goes from {e0:.3g} (n = {n0}) to {e1:.3g} (n = {n1}), growing like "
                    f"n^{s_late:.2f} over the last decade (tr Sigma ~ n^0.5)")
    return ("The relative radius eps = eps_rel sqrt(tr Sigma) (eps = 0.2 at n = 1000): " + "; ".join(bits)
            + ".")


def _pareto_sentences(ver, cfg) -> list[str]:
    """For the l_inf cells where ridge's best is theta = 0 (at eps = 0.2): the exact l_inf Pareto frontier
    beside the ridge path, at the same standard risk (half that of theta = 0)."""
    from .regime import ATTACKS, _spectrum, radius

    out = []
    null = ver[(ver.apply(category, axis=1) == "null") & (ver["attack"] == "linf clean")
               & (ver["schedule"] == "fixed")]
    for r in null.to_dict("records"):
        kind, label, n = r["spectrum"], r["theta_star"], int(r["n_max"])
        spec = next(s for s in cfg.theta_stars if resolve_theta_star(s).label == label)
        s = _spectrum(kind, n)  # shared with the theory's last n when still cached
        th = resolve_theta_star(spec).build(s, n=n)
        null_r = float(np.dot(s, th * th))
        eps = radius("fixed", kind, n)
        nm, tg = ATTACKS["linf clean"]
        f = T.pareto_frontier(s, th, [eps], norm=nm, target=tg, n_levels=2000)
        gt = float(ground_truth_risk(th, [eps], nm, tg, cfg.noise)[0])
        o = np.argsort(f.standard_risk, kind="stable")  # R_0 grows along the frontier, from theta* to 0
        exc = float(np.interp(0.5 * null_r, f.standard_risk[o], f.adversarial_risk[o, 0])) - gt
        ridge = r["excess_at_half_null_at_nmax"]
        out.append(f"{kind}/{label}, l_inf clean, eps = {eps:g}, n = {n}: ridge's best is theta = 0 "
                   f"(H = {r['harm_at_nmax']:.3g}, theta*^T Sigma theta* = {null_r:.3g}); every ridge "
                   f"penalty with at most half that standard risk has an adversarial excess "
                   f"R_eps - R_eps(theta*) of at least {ridge:.3g}, while the point of the exact l_inf "
                   f"Pareto frontier (Sigma-weighted soft-thresholding of theta*, theory.pareto_frontier; a "
                   f"population estimator) with that standard risk has {exc:.2g}. In this cell the strict "
                   "trade-off is ridge's, which cannot shrink ||theta||_1 (what the attack sees) without "
                   "shrinking theta; the attack does not impose it on every estimator.")
    return out


def _sim_sentence(th, sim) -> str | None:
    if sim is None or not len(sim):
        return None
    keys = ["spectrum", "theta_star", "attack", "schedule", "n"]
    m = sim.groupby(keys)["harm"].agg(["mean", "std", "size"])
    t = th.set_index(keys)["harm"]
    common = [k for k in m.index if k in t.index]
    if not common:
        return None
    dev = {k: abs(m.loc[k, "mean"] / t.loc[k] - 1) for k in common}
    bits = []
    for (label, attack), ks in _group(common, lambda k: (k[1], k[2])).items():
        bits.append(f"{label} / {attack} {100 * max(dev[k] for k in ks):.0f}%")
    ns = sorted({k[4] for k in common})
    seeds = int(m["size"].max())
    return (f"Simulation spot checks ({', '.join(sorted({k[0] for k in common}))}, n = "
            f"{', '.join(map(str, ns))}, up to {seeds} seed(s) per n, risks exact given theta_hat; "
            f"{_routes_text(sim)}): relative "
            "gap between the simulated H (mean over seeds) and the theory's, largest over the radii: "
            + "; ".join(bits) + " (l_inf through the sequence model's E||theta_hat||_1).")


def _routes_text(sim) -> str:
    """Which route drew each attack's designs, and up to which n."""
    if "route" not in sim:
        return "designs drawn explicitly"
    parts = []
    for route, d in sim.groupby("route", sort=False):
        how = ("the flat tail's Gram drawn from its Wishart law" if route == "wishart"
               else "X drawn explicitly")
        parts.append(f"{', '.join(dict.fromkeys(d['attack']))} with {how} up to n = {int(d['n'].max())}")
    return "; ".join(parts)


def _group(keys, f):
    out = {}
    for k in keys:
        out.setdefault(f(k), []).append(k)
    return out


def _root(parent: dict, x):
    while parent[x] != x:
        x = parent[x]
    return x


def _overlaps(th) -> list[str]:
    """What coincides in the curves figure, to say so in its caption: ground-truth columns whose l2
    curves agree within 0.1%, and radius schedules whose curves agree within 5% in every panel of a
    spectrum (one hides the other)."""
    out = []
    for kind, d in th[th["attack"] != "linf clean"].groupby("spectrum"):
        piv = d.pivot_table(index=["attack", "schedule", "n"], columns="theta_star", values="harm_rel")
        labels = list(piv.columns)
        same = sorted({x for i, a in enumerate(labels) for b in labels[i + 1:]
                       if np.nanmax(np.abs(piv[a] / piv[b] - 1)) < 1e-3 for x in (a, b)})
        if same:
            out.append(f"on {kind} the l2 curves of {', '.join(same)} coincide (within 0.1%)")
    for (kind, attack), d in th.groupby(["spectrum", "attack"], sort=False):
        sch = list(dict.fromkeys(d["schedule"]))
        parent = {x: x for x in sch}

        for i, a in enumerate(sch):
            for b in sch[i + 1:]:
                ok = all(np.nanmax(np.abs(g[g["schedule"] == a].set_index("n")["harm_rel"]
                                          / g[g["schedule"] == b].set_index("n")["harm_rel"] - 1)) < 0.05
                         for _, g in d.groupby("theta_star"))
                if ok:
                    parent[_root(parent, b)] = _root(parent, a)
        groups: dict[str, list] = {}
        for x in sch:
            groups.setdefault(_root(parent, x), []).append(x)
        for g in groups.values():
            if len(g) > 1:
                names = ", ".join(RADIUS_TEXT.get(x, x) for x in g)
                out.append(f"on {kind}, {attack}: {names} lie within 5% of each other in every panel")
    return out


def compose(th, sim, ver, cfg) -> dict:
    """Claim, setting, findings, the table and the figure captions of the regime map."""
    from .regime import ATTACKS, SCHEDULES

    gts = ", ".join(resolve_theta_star(s).describe() for s in cfg.theta_stars)
    setting = (f"Spectra {', '.join(cfg.spectra)} (two_level: exp(-j/2) + low, p = n^1.5, low p = n^0.5; "
               f"spiked: 10 spikes of 1 and a flat tail of mass n^0.5, p = n^1.5), ground truths {gts} "
               f"(||theta*||_2 = 1), sigma = {cfg.noise:g}; attacks {', '.join(ATTACKS)} (the consistent "
               f"target is l2 only); radii {', '.join(RADIUS_TEXT[s] for s in SCHEDULES)}, all eps = 0.2 "
               f"at n = 1000. Theory (deterministic equivalents) at n = "
               f"{', '.join(map(str, sorted(cfg.theory_ns)))}; penalties lam/n from "
               f"1e{cfg.lam_n[0]:g} to 1e{cfg.lam_n[1]:g} ({cfg.n_lam} per path, extended where a best "
               f"penalty sat on an edge) and theta = 0. Verdict per cell: slope of log H against log n over "
               f"the last decade of n reached, fades < -0.1 < stays < 0.1 < grows.")
    claim = ("Claim (ii) of Hao & Zhang (arXiv:2401.12236): along the ridge path, standard and adversarial "
             "risk cannot both be small. Where it stays strict as n grows depends on the attack, its "
             "radius, the target and the ground truth: the map reports each cell's numbers.")
    findings = [_claim_summary(ver)] + reading(ver)
    findings.append(_radius_note(th))
    findings += _pareto_sentences(ver, cfg)
    stopped = ver[ver["stopped"]].drop_duplicates(["spectrum", "theta_star"])
    for r in stopped.to_dict("records"):
        findings.append(f"{r['spectrum']}/{r['theta_star']} stopped at n = {r['n_max']} (time budget of "
                        f"{cfg.time_budget:g} s per row): its verdicts use the last decade up to there.")
    s = _sim_sentence(th, sim)
    if s:
        findings.append(s)
    ov = _overlaps(th)
    cap_map = ("Each cell: the slope of log H against log n over the last decade (colour: blue fades, red "
               "grows), its verdict and H at the largest n; hatched: ridge's best is theta = 0 "
               "(H = theta*^T Sigma theta*); a dot: a bound (best penalty on a grid edge). Radius names "
               "are coloured as in every figure.")
    cap_curves = ("H relative to theta*^T Sigma theta* (1 = the null estimator theta = 0) against n; lines: "
                  "theory, markers: simulation (mean and spread over seeds). All radii are 0.2 at n = 1000, "
                  "so every curve of a panel meets there." + (" Overlapping curves: " + "; ".join(ov) + "."
                                                             if ov else ""))
    return {"claim": claim, "setting": setting, "findings": findings,
            "sections": ["**The regime map (theory).**\n\n" + table(ver)], "captions": [cap_map, cap_curves]}
