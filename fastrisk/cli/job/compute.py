"""The main job's computation: sample the problem, fit the whole ridge path, and the theory beside it.

:func:`run` returns the result dict that ``--json`` prints (NumPy arrays; non-finite numbers stay as they
are here and become ``null`` in JSON). Kernels compile on their first call (and are cached on disk): the
run says so on a terminal when that takes over a second, and the timings it reports subtract the seconds
spent compiling or loading kernels (``timing.compile_s`` holds the compilation).
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

from ... import __version__
from ..._warnings import Float32AccuracyWarning
from ...design import GaussianDesign
from ...ridge import ridge_path_risks
from ...ridge._accuracy import flag_note
from ...risk import dual_exponent
from ...runtime import compile_notice
from ...theory import adversarial_equivalent, benign_report, frontier_gap, pareto_frontier, ridge_equivalent
from .args import UsageError, check_args, norm_label
from .problem import Problem, build_problem
from .summary import summarize

__all__ = ["run", "SCHEMA_VERSION", "BENIGN_SHAPE"]

SCHEMA_VERSION = 1
BENIGN_SHAPE = 0.25  # "benign at this n": the BLLT variance shape k*/n + n/R_k* below this
#: The notice a first run prints (on a terminal) while Numba compiles the kernels it uses.
COMPILE_NOTICE = "fastrisk: compiling kernels (first run only)..."


def run(args: argparse.Namespace) -> dict:
    """Run the main job for parsed ``args``; returns the result dict that ``--json`` prints.

    Raises UsageError (naming the flag) for inputs the run cannot honour.
    """
    p = check_args(args)
    n = args.n
    prob = build_problem(args, p)
    with compile_notice(COMPILE_NOTICE) as setup:
        t0, s0 = time.perf_counter(), setup.setup_s
        design = GaussianDesign(prob.spectrum, prob.theta_star, noise=args.noise)
        X, y = design.sample(n, seed=args.seed, dtype=np.float32 if args.float32 else np.float64)
        t1, s1 = time.perf_counter(), setup.setup_s
        lam = np.concatenate([[0.0], n * np.logspace(-5, 2, args.n_lam - 1)])
        eps = np.asarray(args.eps, dtype=np.float64)
        with warnings.catch_warnings():  # recorded in notes (and printed with them) instead
            warnings.simplefilter("ignore", Float32AccuracyWarning)
            out = ridge_path_risks(X, y, lam, prob.spectrum, prob.theta_star, eps, norm=args.norm,
                                   target=args.target, noise=args.noise)
        t2, s2 = time.perf_counter(), setup.setup_s
        del X, y
        check_finite(out, args)
        notes: dict[str, str] = {}
        if args.float32 and (note := flag_note(lam, out["accuracy_bound"], n)) is not None:
            notes["float32"] = note
        theory = _theory(prob, n, eps, out, args, notes)
        t3, s3 = time.perf_counter(), setup.setup_s
    q = dual_exponent(args.norm)
    ts_dual = 0.0 if args.target == "consistent" else float(np.linalg.norm(prob.theta_star, ord=q))
    res = {
        "schema_version": SCHEMA_VERSION,
        "fastrisk_version": __version__,
        "config": {"n": n, "p": p, "spectrum": args.spectrum, "noise": args.noise, "norm": args.norm,
                   "norm_label": norm_label(args.norm), "dual_exponent": q, "target": args.target,
                   "seed": args.seed, "dtype": "float32" if args.float32 else "float64",
                   "n_lam": args.n_lam, "trace_sigma": float(prob.spectrum.sum()),
                   "theta_star": prob.theta_star_label,
                   "spectrum_params": dict(getattr(args, "spectrum_param", []))},
        **{k: out[k] for k in ("lam", "eps", "standard_risk", "norm2", "dual_norm", "df",
                               "adversarial_risk")},
        "ground_truth": {"standard_risk": 0.0, "norm2": float(np.linalg.norm(prob.theta_star)),
                         "dual_norm": ts_dual,
                         "adversarial_risk": out["ground_truth_adversarial_risk"]},
        "ground_truth_adversarial_risk": out["ground_truth_adversarial_risk"],
        "theory": theory,
        "notes": notes,
        # the computation alone: seconds compiling or loading kernels are subtracted, compile_s says them
        "timing": {"sample_s": max(t1 - t0 - (s1 - s0), 0.0), "path_s": max(t2 - t1 - (s2 - s1), 0.0),
                   "theory_s": max(t3 - t2 - (s3 - s2), 0.0), "compile_s": setup.compile_s},
    }
    res["summary"] = summarize(res)
    return res


def check_finite(out: dict, args: argparse.Namespace) -> None:
    """Raise UsageError (naming --noise/--eps) when a risk or a norm overflowed float64."""
    for key in ("standard_risk", "norm2", "dual_norm", "adversarial_risk"):
        if not np.all(np.isfinite(out[key])):
            raise UsageError(
                f"argument --noise/--eps: the {key.replace('_', ' ')} overflows float64 at --noise "
                f"{args.noise:g} --eps {' '.join(f'{e:g}' for e in args.eps)}"
                f"{' (and --float32)' if args.float32 else ''}; use smaller values")


def _finite_or_none(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _theory(prob: Problem, n: int, eps: np.ndarray, out: dict, args: argparse.Namespace,
            notes: dict[str, str]) -> dict:
    """Deterministic equivalent of the min-norm interpolator, the benign quantities, the oracle frontier."""
    spec, theta_star = prob.spectrum, prob.theta_star
    # l1 / l_inf adversarial equivalents need the sequence-model norms (and their kernels); l2 and other
    # norms do not, so their runs neither compute nor compile them
    seq = args.norm in (1.0, math.inf)
    eq = ridge_equivalent(spec, theta_star, args.noise, n, [0.0], sequence_norms=seq)
    th: dict = {"minnorm_standard_risk": _finite_or_none(eq.risk[0]),
                "minnorm_norm2": _finite_or_none(math.sqrt(eq.norm2_sq[0])),
                "minnorm_adversarial_risk": None}
    if th["minnorm_standard_risk"] is None:
        why = ("at p = n the min-norm variance diverges" if spec.size == n else
               "the deterministic equivalent of the min-norm interpolator is infinite here")
        for k in ("minnorm_standard_risk", "minnorm_norm2", "minnorm_adversarial_risk"):
            notes[f"theory.{k}"] = f"infinite: {why}"
    elif args.norm in (1.0, 2.0, math.inf):
        th["minnorm_adversarial_risk"] = adversarial_equivalent(
            spec, theta_star, args.noise, n, [0.0], eps, norm=args.norm, target=args.target,
            equivalent=eq)[0]
    else:
        notes["theory.minnorm_adversarial_risk"] = (
            f"not available for --norm {norm_label(args.norm)}: the theory layer predicts ||theta||_q "
            f"only for attack norms 1, 2 and inf")
    rep = benign_report(spec, n, noise=1.0)
    shape = rep.kstar_over_n + rep.n_over_Rkstar
    th["benign"] = {"kstar": rep.kstar, "kstar_over_n": _finite_or_none(rep.kstar_over_n),
                    "n_over_Rkstar": _finite_or_none(rep.n_over_Rkstar),
                    "r0_over_n": rep.r0_over_n, "variance_shape": _finite_or_none(shape),
                    "threshold": BENIGN_SHAPE, "benign": bool(shape < BENIGN_SHAPE)}
    # the exact Pareto frontier over all theta: the population ridge path for l2 attacks, Sigma-weighted
    # soft-thresholding of theta* for l_inf, clipping for l1 (theory.pareto_frontier)
    orc = pareto_frontier(spec, theta_star, eps, norm=args.norm, target=args.target, noise=args.noise)
    gap = frontier_gap((out["standard_risk"], out["adversarial_risk"]), orc)
    q = dual_exponent(args.norm)
    kind = ("theta*" if args.target == "consistent" else "ridge" if q == 2 else
            "soft_threshold" if q == 1 else "clip" if math.isinf(q) else "lq_shrinkage")
    th["oracle"] = {"path": kind, "exact_pareto": True,
                    "best_adversarial_risk": gap.best_oracle, "frontier_gap": gap.gap}
    th["_oracle_frontier"] = orc  # for the plot; dropped from JSON
    return th
