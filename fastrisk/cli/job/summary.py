"""The main job's verdict, drawn from the numbers: which rows the table shows (:func:`best_rows`), the
grid-edge warnings and the headline (:func:`summarize`), so the table and the JSON say the same thing."""

from __future__ import annotations

import math

import numpy as np

from ...theory import grid_optimum

__all__ = ["best_rows", "summarize"]


def best_rows(res: dict) -> list[tuple[str, int]]:
    lam, n = res["lam"], res["config"]["n"]
    R, adv, eps = res["standard_risk"], res["adversarial_risk"], res["eps"]
    interp = res["config"]["p"] > n
    rows = [("min-norm interpolator" if interp else "least squares (lam = 0, p <= n)", 0)]
    for ln in (1e-3, 1e-2, 1e-1, 1.0):
        i = int(np.argmin(np.abs(np.log(lam[1:] / (n * ln))))) + 1
        rows.append(("ridge", i))
    rows.append(("best standard risk", int(np.argmin(R))))
    for e, ev in enumerate(eps):
        rows.append((f"best adversarial (eps={ev:g})", int(np.argmin(adv[:, e]))))
    e = len(eps) - 1
    gt = res["ground_truth_adversarial_risk"][e]
    rows.append((f"best max(R_0, R_eps - R_eps(theta*)), eps={eps[e]:g}",
                 int(np.argmin(np.maximum(R, adv[:, e] - gt)))))
    return rows


def summarize(res: dict) -> dict:
    """The verdict, computed from the numbers (the table prints it; JSON carries it)."""
    c, th = res["config"], res["theory"]
    L, E = res["adversarial_risk"].shape
    eps = res["eps"]
    rows = best_rows(res)
    warnings: list[str] = []
    R, adv, lam = res["standard_risk"], res["adversarial_risk"], res["lam"]
    gt = res["ground_truth_adversarial_risk"][E - 1]
    objectives = [R] + [adv[:, e] for e in range(E)] + [np.maximum(R, adv[:, E - 1] - gt)]
    for (name, i), values in zip(rows[5:], objectives, strict=True):
        edge = grid_optimum(values, lam).edge  # the package's one rule for a best value on a grid edge
        if edge == "upper":
            warnings.append(f"'{name}' sits on the largest penalty of the grid (lam/n = "
                            f"{lam[i] / c['n']:.3g}): the optimum may lie beyond it, towards "
                            f"theta = 0")
        elif edge == "lower":
            warnings.append(f"'{name}' sits at the small end of the grid (lam/n = {lam[i] / c['n']:.3g}, "
                            f"next to the min-norm interpolator): the optimum may lie below lam/n = "
                            f"{lam[1] / c['n']:.3g}")
    best_adv = [i for _, i in rows[6:6 + E]]
    if math.isinf(c["norm"]) and L - 1 in best_adv:
        e = len(best_adv) - 1 - best_adv[::-1].index(L - 1)  # the largest radius on the edge
        warnings.append(
            f"with l_inf attacks ridge cannot shrink ||theta||_1 (what the attack sees) without shrinking "
            f"theta to 0; the exact l_inf Pareto frontier (Sigma-weighted soft-thresholding of theta*, "
            f"fastrisk.theory.pareto_frontier) reaches R_eps = "
            f"{th['oracle']['best_adversarial_risk'][e]:.4g} at eps={eps[e]:g} (the 'oracle frontier' row)")
    s = {"minnorm_index": 0, "best_standard_index": rows[5][1],
         "best_adversarial_index": [i for _, i in rows[6:6 + E]],
         "tradeoff_eps": float(eps[-1]), "tradeoff_index": rows[-1][1],
         "benign": th["benign"]["benign"] if c["noise"] > 0 else None, "warnings": warnings}
    s["headline"] = _headline(res, s)
    return s


def _headline(res: dict, s: dict) -> str:
    c = res["config"]
    R, adv, eps = res["standard_risk"], res["adversarial_risk"], res["eps"]
    gt = res["ground_truth_adversarial_risk"]
    who = "min-norm interpolator" if c["p"] > c["n"] else "least squares (lam = 0)"
    pos = np.flatnonzero(gt > 0)
    if pos.size:
        e = int(pos[-1])
        price = (f"its adversarial risk at eps={eps[e]:g} is {adv[0, e] / gt[e]:.3g}x the ground truth's "
                 f"({adv[0, e]:.3g} vs {gt[e]:.3g})")
    else:
        e = len(eps) - 1
        why = "target consistent" if c["target"] == "consistent" else "eps = 0"
        price = (f"its adversarial risk at eps={eps[e]:g} is {adv[0, e]:.3g}, against 0 for the ground "
                 f"truth ({why}: no ratio)")
    ben = res["theory"]["benign"]
    if s["benign"] is None:
        regime = "noiseless labels (nothing to overfit: the benign question does not arise)"
    elif s["benign"]:
        regime = (f"benign at this n (BLLT variance shape k*/n + n/R_k* = {ben['variance_shape']:.3g} < "
                  f"{ben['threshold']:g})")
    else:
        shape = ben["variance_shape"]
        regime = (f"NOT benign at this n (BLLT variance shape k*/n + n/R_k* = "
                  f"{'inf' if shape is None else format(shape, '.3g')} >= {ben['threshold']:g}), so the "
                  f"benign-overfitting headline does not apply here")
    out = f"{who}: {regime}; standard risk {R[0]:.3g}; {price}."
    dom = np.flatnonzero((R < R[0]) & np.all(adv < adv[0], axis=1))
    if dom.size:  # a penalty better on both risks at every radius: name the one with the least R_0
        i = int(dom[np.argmin(R[dom])])
        out += (f" Ridge at lam/n={res['lam'][i] / c['n']:.3g} beats it on both risks (R_0 {R[i]:.3g}, "
                f"R_eps({eps[e]:g}) {adv[i, e]:.3g}).")
    return out
