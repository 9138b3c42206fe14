"""Accuracy of float32 ridge paths against float64, on every spectrum preset (docs/guide/accuracy.md).

For each preset of the ``fastrisk`` command (isotropic, power_law, bllt_log, two_level, spiked) at
p = 10 n, theta* = e_1, n in {200, 1000, 1500}: X is sampled in float32, and the path on it (Gram and
eigh in float32) is compared with the float64 path on the very same numbers (X upcast), so that only
the arithmetic differs. Outputs: the standard risk, ``||theta||_2``, ``||theta||_1``,
``||theta||_inf``, the adversarial risks for l2 and l_inf attacks (radii 0.05 and 0.2) and the degrees
of freedom, at the command's penalties (min-norm plus ``n * logspace(-5, 2)``), noise sigma 0 and 1
(the worst of both is reported). ::

    python -m benchmarks.float32_accuracy [--n 200 1000 1500] [--n-lam 100] [--seed 0]

prints one markdown row per preset and n:

- kept: eigenvalues kept by the float32 rank cut (and by the float64 cut used for float32 before);
- worst error: the largest relative error of any output at any penalty;
- err / bound: the largest ratio of that error to the per-penalty bound
  ``RidgePath.accuracy_bound()`` (must stay below 1);
- flagged: penalties a :class:`fastrisk.Float32AccuracyWarning` names (bound above
  ``config.FLOAT32_RTOL``), with the largest flagged ``lam / n``;
- unflagged error: the largest relative error at the penalties not flagged (must stay below
  ``config.FLOAT32_RTOL``);
- C: the largest ``error / (g eps32 (1 + s_max / (s_min + lam)))`` (g = n, the Gram's size), which
  ``config.ACCURACY_C`` bounds.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import fastrisk as fr
from fastrisk import config
from fastrisk.cli.job import build_spectrum

PRESETS = ("isotropic", "power_law", "bllt_log", "two_level", "spiked")
EPS = np.array([0.05, 0.2])


def outputs(path, design) -> dict[str, np.ndarray]:
    """Every output of a path, (L,) or (L, E) float64 arrays by name."""
    return {"standard risk": path.standard_risk(design), "l2 norm": path.norm(2), "l1 norm": path.norm(1),
            "l_inf norm": path.norm(np.inf), "adversarial l2": path.adversarial_risk(design, EPS, norm=2),
            "adversarial l_inf": path.adversarial_risk(design, EPS, norm=np.inf), "df": path.df()}


def relative_errors(o32: dict, o64: dict) -> np.ndarray:
    """Largest relative error over the outputs, per penalty (L,)."""
    worst = None
    for k, ref in o64.items():
        e = np.abs(o32[k] - ref) / np.maximum(np.abs(ref), 1e-300)
        e = e.reshape(e.shape[0], -1).max(axis=1)
        worst = e if worst is None else np.maximum(worst, e)
    return worst


def measure(kind: str, n: int, noise: float, lam: np.ndarray, seed: int) -> dict:
    p = 10 * n
    theta_star = np.zeros(p)
    theta_star[0] = 1.0
    design = fr.GaussianDesign(build_spectrum(kind, n, p), theta_star, noise=noise)
    X32, y = design.sample(n, seed=seed, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fr.Float32AccuracyWarning)
        path32 = fr.RidgePath(X32, y, lam)
    o32 = outputs(path32, design)
    path64 = fr.RidgePath(X32.astype(np.float64), y, lam)
    err = relative_errors(o32, outputs(path64, design))
    sp = path32.spec
    eps32 = float(np.finfo(np.float32).eps)
    s_max, s_min = float(sp.s[-1]), float(sp.s[sp.start])
    old_cut = max(n, p) * eps32 * s_max  # the float64 rule formerly applied to float32
    flags = path32.accuracy_flags()
    return {"kept": path32.rank, "kept_old": int(np.sum(sp.s > old_cut)), "err": err,
            "ratio": err / path32.accuracy_bound(), "flags": flags,
            "C": err / (n * eps32 * (1.0 + s_max / (s_min + lam)))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[200, 1000, 1500])
    ap.add_argument("--n-lam", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"float32 against float64 on the same X, p = 10 n, theta* = e_1, noise 0 and 1 (worst), "
          f"{args.n_lam} penalties (min-norm + n logspace(-5, 2)), seed {args.seed}; documented float32 "
          f"accuracy {config.FLOAT32_RTOL:g}, ACCURACY_C = {config.ACCURACY_C:g}\n")
    print("| preset | n | kept (old cut) | worst error | err / bound | flagged (lam/n up to) "
          "| unflagged error | C |")
    print("|---|---|---|---|---|---|---|---|")
    for n in args.n:
        lam = np.concatenate([[0.0], n * np.logspace(-5, 2, args.n_lam - 1)])
        for kind in PRESETS:
            rs = [measure(kind, n, noise, lam, args.seed) for noise in (0.0, 1.0)]
            err = np.maximum(rs[0]["err"], rs[1]["err"])
            flags = rs[0]["flags"]  # the bound does not depend on the labels
            ratio = max(float(r["ratio"].max()) for r in rs)
            C = max(float(r["C"].max()) for r in rs)
            unflagged = float(err[~flags].max()) if (~flags).any() else float("nan")
            flagged = (f"{int(flags.sum())} ({float(lam[flags].max()) / n:.2g})" if flags.any()
                       else "0")
            print(f"| {kind} | {n} | {rs[0]['kept']} ({rs[0]['kept_old']}) | {float(err.max()):.1e} | "
                  f"{ratio:.2g} | {flagged} | {unflagged:.1e} | {C:.2g} |", flush=True)


if __name__ == "__main__":
    main()
