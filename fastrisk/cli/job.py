"""The ``fastrisk`` command: a benign-overfitting problem, its ridge path, and the adversarial price.

With no arguments it samples the two-level spectrum of Bartlett et al. (2020) at n = 1000
(p = n^1.5, tail mass n^0.5, theta* = e_1, noise sigma = 1), fits the whole ridge path from one
eigendecomposition and prints the standard and adversarial risks of the ground truth, the min-norm
interpolator, a few ridge penalties and the best trade-offs found.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from .. import spectra
from ..design import GaussianDesign
from ..ridge import RidgePath
from ..risk import dual_exponent, ground_truth_adversarial_risk
from ..theory import adversarial_equivalent, frontier_gap, oracle_frontier, ridge_equivalent

SPECTRA = ("two_level", "bllt_log", "spiked", "power_law", "isotropic")


def _default_p(kind: str, n: int) -> int:
    return {"two_level": int(round(n**1.5)), "bllt_log": 20 * n, "spiked": 5 * n,
            "power_law": 10 * n, "isotropic": 2 * n}[kind]


def build_spectrum(kind: str, n: int, p: int) -> np.ndarray:
    if kind == "two_level":
        return spectra.two_level(p, math.sqrt(n) / p, tau=2.0)
    if kind == "bllt_log":
        return spectra.bllt_log(p, beta=2.0)
    if kind == "spiked":
        return spectra.spiked(p, 10, spike=1.0, tail=0.05)
    if kind == "power_law":
        return spectra.power_law(p, a=1.0)
    return spectra.isotropic(p)


def _norm_arg(s: str) -> float:
    if s.lower() in ("inf", "infinity"):
        return math.inf
    v = float(s)
    if not v >= 1:
        raise argparse.ArgumentTypeError(f"--norm must be >= 1 or inf, got {s}")
    return v


def _pos_int(s: str) -> int:
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {s}")
    return v


def _nonneg_float(s: str) -> float:
    v = float(s)
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {s}")
    return v


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="fastrisk",
        description="Standard vs adversarial risk of the min-norm interpolator and the ridge path "
                    "on a benign-overfitting problem (ridge: ||y - X theta||^2 + lam ||theta||^2, "
                    "attack: ||delta||_p <= eps).")
    ap.add_argument("--n", type=_pos_int, default=1000, help="training samples (default 1000)")
    ap.add_argument("--p", type=_pos_int, default=None,
                    help="features (default: n^1.5 two_level, 20n bllt_log, 5n spiked, 10n power_law, "
                         "2n isotropic)")
    ap.add_argument("--spectrum", choices=SPECTRA, default="two_level",
                    help="covariance spectrum (default two_level: exp(-k/2) + sqrt(n)/p)")
    ap.add_argument("--noise", type=_nonneg_float, default=1.0, help="label-noise std sigma (default 1)")
    ap.add_argument("--eps", type=_nonneg_float, nargs="+", default=[0.05, 0.1, 0.2],
                    help="attack radii (default 0.05 0.1 0.2)")
    ap.add_argument("--norm", type=_norm_arg, default=2.0, help="attack norm p: 1, 2, inf, any p >= 1")
    ap.add_argument("--target", choices=("clean", "noisy", "consistent"), default="clean",
                    help="adversarial-risk convention (default clean)")
    ap.add_argument("--n-lam", type=_pos_int, default=400, help="penalties on the path (default 400)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--float32", action="store_true", help="sample and solve in float32")
    ap.add_argument("--json", action="store_true", help="print the whole path as JSON")
    return ap


def run(args: argparse.Namespace) -> dict:
    n = args.n
    p = args.p or _default_p(args.spectrum, n)
    spec = build_spectrum(args.spectrum, n, p)
    theta_star = np.zeros(p)
    theta_star[0] = 1.0
    design = GaussianDesign(spec, theta_star, noise=args.noise)
    _warm_up(args)  # compile (or load) the kernels first, so the timings below are the computation's
    t0 = time.perf_counter()
    X, y = design.sample(n, seed=args.seed, dtype=np.float32 if args.float32 else np.float64)
    t1 = time.perf_counter()
    lam = np.concatenate([[0.0], n * np.logspace(-5, 2, args.n_lam - 1)]) if args.n_lam > 1 else np.zeros(1)
    eps = np.asarray(args.eps, dtype=np.float64)
    path = RidgePath(X, y, lam)
    adv = path.adversarial_risk(design, eps, norm=args.norm, target=args.target)
    R = path.standard_risk(design)
    q = dual_exponent(args.norm)
    bq = path.norm(q)
    n2 = path.norm(2) ** 2
    t2 = time.perf_counter()
    gt = ground_truth_adversarial_risk(theta_star, eps, norm=args.norm, target=args.target, noise=args.noise)
    theory = _theory(spec, theta_star, n, eps, args)
    gap = frontier_gap((R, adv), theory.pop("oracle"))
    theory["frontier_gap"] = gap.gap
    theory["oracle_best_adversarial_risk"] = gap.best_oracle
    return {
        "theory": theory,
        "config": {"n": n, "p": p, "spectrum": args.spectrum, "noise": args.noise, "norm": args.norm,
                   "target": args.target, "seed": args.seed, "dtype": str(X.dtype),
                   "trace_sigma": float(spec.sum())},
        "lam": lam, "eps": eps, "standard_risk": R, "norm2_sq": n2, "dual_norm": bq,
        "adversarial_risk": adv, "ground_truth_adversarial_risk": gt,
        "ground_truth": {"norm2_sq": float(theta_star @ theta_star),
                         "dual_norm": float(np.linalg.norm(theta_star, ord=q))},
        "seconds": {"sample": t1 - t0, "path": t2 - t1},
    }


def _warm_up(args: argparse.Namespace) -> None:
    d = GaussianDesign(spectra.power_law(8), np.ones(8), noise=1.0)
    X, y = d.sample(4, seed=0, dtype=np.float32 if args.float32 else np.float64)
    for route in ("struct", "gram", "pass"):  # every kernel a standard-risk route can call
        path = RidgePath(X, y, [0.0, 1.0])
        path._route_override = route
        path.adversarial_risk(d, [0.1], norm=args.norm, target=args.target)


def _theory(spec, theta_star, n, eps, args) -> dict:
    """Deterministic equivalent of the min-norm interpolator and the oracle (population) frontier."""
    eq = ridge_equivalent(spec, theta_star, args.noise, n, [0.0])
    out = {"minnorm_standard_risk": float(eq.risk[0]), "minnorm_norm2_sq": float(eq.norm2_sq[0]),
           "minnorm_adversarial_risk": None}
    if args.norm in (1.0, 2.0, math.inf):
        out["minnorm_adversarial_risk"] = adversarial_equivalent(
            spec, theta_star, args.noise, n, [0.0], eps, norm=args.norm, target=args.target,
            equivalent=eq)[0]
    out["oracle"] = oracle_frontier(spec, theta_star, eps, norm=args.norm, target=args.target,
                                    noise=args.noise)
    return out


def _rows(res: dict) -> list[tuple[str, int | None]]:
    lam, n = res["lam"], res["config"]["n"]
    R, adv = res["standard_risk"], res["adversarial_risk"]
    rows: list[tuple[str, int | None]] = [("ground truth theta*", None), ("min-norm interpolator", 0)]
    for ln in (1e-3, 1e-2, 1e-1, 1.0):
        i = int(np.argmin(np.abs(np.log(np.maximum(lam[1:], 1e-300) / (n * ln))))) + 1
        rows.append(("ridge", i))
    rows.append(("best standard risk", int(np.argmin(R))))
    for e, eps in enumerate(res["eps"]):
        rows.append((f"best adversarial (eps={eps:g})", int(np.argmin(adv[:, e]))))
    # trade-off: closest to the ground truth in both risks at once (largest radius)
    gt = res["ground_truth_adversarial_risk"][-1]
    rows.append(("best max(R_0, R_eps - R_eps(theta*))", int(np.argmin(np.maximum(R, adv[:, -1] - gt)))))
    return rows


def format_table(res: dict) -> str:
    c = res["config"]
    eps = res["eps"]
    pname = "inf" if math.isinf(c["norm"]) else f"{c['norm']:g}"
    lines = [
        "fastrisk: benign overfitting vs adversarial robustness",
        f"  design  : {c['spectrum']} spectrum, n={c['n']}, p={c['p']}, tr(Sigma)={c['trace_sigma']:.4g}, "
        f"n/tr(Sigma)={c['n'] / c['trace_sigma']:.3g}, noise sigma={c['noise']:g}, theta*=e_1",
        f"  attack  : ||delta||_{pname} <= eps, target={c['target']}; ridge: ||y - X theta||^2 + lam "
        f"||theta||^2 (lam/n = normalised)",
        f"  cost    : {len(res['lam'])} penalties x {len(eps)} radii from one Gram + one eigh in "
        f"{res['seconds']['path']:.2f} s (sampling X took {res['seconds']['sample']:.2f} s)",
        "",
    ]
    head = f"{'estimator':<40}{'lam/n':>10}{'R_0':>10}{'||th||_2^2':>12}"
    head += "".join(f"{'R_eps(' + format(e, 'g') + ')':>14}" for e in eps)
    lines += [head, "-" * len(head)]
    gt = res["ground_truth_adversarial_risk"]
    lines.append(f"{'ground truth theta*':<40}{'-':>10}{0.0:>10.4g}{res['ground_truth']['norm2_sq']:>12.4g}"
                 + "".join(f"{v:>14.4g}" for v in gt))
    for name, i in _rows(res)[1:]:
        lam_n = res["lam"][i] / c["n"]
        lines.append(f"{name:<40}{lam_n:>10.3g}{res['standard_risk'][i]:>10.4g}{res['norm2_sq'][i]:>12.4g}"
                     + "".join(f"{v:>14.4g}" for v in res["adversarial_risk"][i]))
    th = res["theory"]
    if th["minnorm_adversarial_risk"] is not None:
        lines.append(f"{'min-norm, deterministic equivalent':<40}{0.0:>10.3g}"
                     f"{th['minnorm_standard_risk']:>10.4g}{th['minnorm_norm2_sq']:>12.4g}"
                     + "".join(f"{v:>14.4g}" for v in th["minnorm_adversarial_risk"]))
    lines.append(f"{'gap to the oracle frontier (harm)':<40}{'-':>10}{'-':>10}{'-':>12}"
                 + "".join(f"{v:>14.4g}" for v in th["frontier_gap"]))
    i0 = 0
    ratio = res["adversarial_risk"][i0, -1] / max(gt[-1], 1e-300)
    lines += ["", f"min-norm: standard risk {res['standard_risk'][i0]:.3g}, but adversarial risk at "
                  f"eps={eps[-1]:g} is {ratio:.3g}x the ground truth's."]
    return "\n".join(lines)


def _jsonable(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, dict):
        return {k: _jsonable(v) for k, v in o.items()}
    if isinstance(o, float) and math.isinf(o):
        return "inf"
    return o


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.target == "consistent" and args.norm != 2:
        parser().error("--target consistent needs --norm 2")
    res = run(args)
    if args.json:
        json.dump(_jsonable(res), sys.stdout)
        sys.stdout.write("\n")
    else:
        print(format_table(res))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
