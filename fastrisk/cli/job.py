"""The ``fastrisk`` command: a benign-overfitting problem, its ridge path, and the adversarial price.

With no arguments it samples the two-level spectrum of Bartlett et al. (2020) at n = 1000
(p = n^1.5, tail mass n^0.5, theta* = e_1, noise sigma = 1), fits the whole ridge path from one
eigendecomposition and prints the standard and adversarial risks of the ground truth, the min-norm
interpolator, a few ridge penalties and the best trade-offs found, then a verdict drawn from those numbers.

Every user error (a flag out of range, a spectrum that cannot have that many features, a run that would
not fit in memory, risks that overflow float64) ends in one line on stderr naming the flag and exit code 2.
``--json`` writes strict JSON (RFC 8259: no ``Infinity``/``NaN``); its schema is documented in the
README ("JSON schema") and in :data:`JSON_KEYS`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import textwrap
import time
import warnings

import numpy as np

from .. import __version__, spectra
from .._warnings import Float32AccuracyWarning
from ..design import GaussianDesign
from ..ridge import RidgePath, ridge_path_risks
from ..ridge._accuracy import flag_note
from ..risk import dual_exponent
from ..theory import adversarial_equivalent, benign_report, frontier_gap, pareto_frontier, ridge_equivalent
from ._parser import OneLineParser

SPECTRA = ("two_level", "bllt_log", "spiked", "power_law", "isotropic")
N_SPIKES = 10  # spikes of the "spiked" preset: it needs p >= N_SPIKES
MAX_SCALE = 1e50  # largest --noise / --eps: risks are quadratic in both, and must stay finite in float64
BENIGN_SHAPE = 0.25  # "benign at this n": the BLLT variance shape k*/n + n/R_k* below this
SCHEMA_VERSION = 1

#: Top-level keys of ``--json`` (the README's "JSON schema" section documents each).
JSON_KEYS = ("schema_version", "fastrisk_version", "config", "lam", "eps", "standard_risk", "norm2",
             "dual_norm", "df", "adversarial_risk", "ground_truth", "ground_truth_adversarial_risk",
             "theory", "summary", "notes", "timing")


class UsageError(ValueError):
    """A flag value the run cannot honour; ``str(e)`` is the one-line message (it names the flag)."""


# ---------------------------------------------------------------------------------------------- parsing
# argparse prints ``argument --flag: <message>`` for an ArgumentTypeError, so the messages below never
# repeat the flag, and every parse error is an ArgumentTypeError (a bare ValueError would print the type
# function's name instead).

def _integer(minimum: int, what: str):
    def parse(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {s!r}") from None
        if v < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {s}")
        return v

    parse.__name__ = what
    return parse


def _real(what: str, *, maximum: float = math.inf, positive: bool = False):
    def parse(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {s!r}") from None
        if not (math.isfinite(v) and (v > 0 if positive else v >= 0)):
            raise argparse.ArgumentTypeError(f"expected {what}, got {s}")
        if v > maximum:
            raise argparse.ArgumentTypeError(
                f"expected {what} up to {maximum:g} (risks are quadratic in it and must stay finite in "
                f"float64), got {s}")
        return v

    parse.__name__ = what
    return parse


def _attack_norm(s: str) -> float:
    if s.strip().lower() in ("inf", "infinity"):
        return math.inf
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 1 or 'inf', got {s!r}") from None
    if not v >= 1 or math.isnan(v):
        raise argparse.ArgumentTypeError(f"expected a number >= 1 or 'inf', got {s}")
    return v


_attack_norm.__name__ = "attack norm"


def parser() -> argparse.ArgumentParser:
    """The main job's argument parser (``fastrisk [options]``)."""
    ap = OneLineParser(
        prog="fastrisk",
        description="Standard vs adversarial risk of the min-norm interpolator and the ridge path "
                    "on a benign-overfitting problem (ridge: ||y - X theta||^2 + lam ||theta||^2, "
                    "attack: ||delta||_p <= eps). Subcommands: 'fastrisk sweep', 'fastrisk reproduce'.")
    ap.add_argument("--version", action="version", version=f"fastrisk {__version__}")
    ap.add_argument("--n", type=_integer(1, "an integer >= 1"), default=1000, metavar="N",
                    help="training samples (default 1000)")
    ap.add_argument("--p", type=_integer(1, "an integer >= 1"), default=None, metavar="P",
                    help="features (default: n^1.5 two_level, 20n bllt_log, 5n spiked, 10n power_law, "
                         "2n isotropic)")
    ap.add_argument("--spectrum", choices=SPECTRA, default="two_level",
                    help="covariance spectrum (default two_level: exp(-k/2) + sqrt(n)/p)")
    ap.add_argument("--noise", type=_real("a finite number >= 0", maximum=MAX_SCALE), default=1.0,
                    metavar="SIGMA", help="label-noise standard deviation sigma (default 1)")
    ap.add_argument("--eps", type=_real("a finite radius >= 0", maximum=MAX_SCALE), nargs="+",
                    default=[0.05, 0.1, 0.2], metavar="EPS", help="attack radii (default 0.05 0.1 0.2)")
    ap.add_argument("--norm", type=_attack_norm, default=2.0, metavar="NORM",
                    help="attack norm p of ||delta||_p <= eps: 1, 2, inf, or any p >= 1 (default 2)")
    ap.add_argument("--target", choices=("clean", "noisy", "consistent"), default="clean",
                    help="adversarial-risk convention (default clean; consistent needs --norm 2)")
    ap.add_argument("--n-lam", type=_integer(2, "an integer >= 2 (min-norm plus at least one penalty)"),
                    default=400, metavar="L", help="penalties on the path, min-norm included (default 400)")
    ap.add_argument("--seed", type=_integer(0, "an integer >= 0"), default=0, metavar="SEED",
                    help="random seed (default 0)")
    ap.add_argument("--float32", action="store_true", help="sample X and solve in float32")
    ap.add_argument("--max-memory", type=_real("a number of GiB > 0", positive=True), default=None,
                    metavar="GIB", help="refuse runs estimated above this many GiB (default: the memory "
                                        "available now)")
    ap.add_argument("--json", action="store_true",
                    help="print the whole path as strict JSON (schema in the README)")
    ap.add_argument("--plot", default=None, metavar="FILE",
                    help="also draw the trade-off figure to FILE (.png, .pdf, .svg; needs matplotlib: "
                         "pip install 'fastrisk[plot]')")
    return ap


# ---------------------------------------------------------------------------------------------- checks

def _default_p(kind: str, n: int) -> int:
    return {"two_level": int(round(n**1.5)), "bllt_log": 20 * n, "spiked": 5 * n,
            "power_law": 10 * n, "isotropic": 2 * n}[kind]


def build_spectrum(kind: str, n: int, p: int) -> np.ndarray:
    """Eigenvalues (p,) of the preset ``kind`` at sample size n (two_level's tail mass is sqrt(n))."""
    if kind == "two_level":
        return spectra.two_level(p, math.sqrt(n) / p, tau=2.0)
    if kind == "bllt_log":
        return spectra.bllt_log(p, beta=2.0)
    if kind == "spiked":
        return spectra.spiked(p, N_SPIKES, spike=1.0, tail=0.05)
    if kind == "power_law":
        return spectra.power_law(p, a=1.0)
    return spectra.isotropic(p)


def memory_estimate(n: int, p: int, n_lam: int, n_eps: int, itemsize: int) -> int:
    """Bytes a run needs, about: X itself, the Gram side (Gram, eigenvectors, LAPACK workspace and the
    Sigma-weighted product, each min(n, p)^2 float64), one generation block, the (L, E) outputs."""
    m = min(n, p)
    return int(n * p * itemsize + 6 * m * m * 8 + 2 * n * 4096 * 8 + n_lam * (n_eps + 8) * 8 + 8 * p * 8)


def available_memory() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``; else free physical pages), None if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def _bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if b < 1024 or unit == "PiB":
            return f"{b:.3g} {unit}" if unit != "B" else f"{int(b)} B"
        b /= 1024
    raise AssertionError  # pragma: no cover


def check_args(args: argparse.Namespace) -> int:
    """Checks that need more than one flag, before any computation; returns p. Raises UsageError."""
    n = args.n
    p = args.p or _default_p(args.spectrum, n)
    if args.target == "consistent" and args.norm != 2:
        raise UsageError(f"argument --target: consistent needs --norm 2 (perturbations orthogonal to "
                         f"theta* are an l2 notion), got --norm {_norm_label(args.norm)}")
    if args.spectrum == "spiked" and p < N_SPIKES:
        raise UsageError(f"argument --p: --spectrum spiked has {N_SPIKES} spikes and needs p >= "
                         f"{N_SPIKES}, got {p}")
    if getattr(args, "plot", None):
        from .plot import check_target_file

        problem = check_target_file(args.plot)
        if problem:
            raise UsageError(f"argument --plot: {problem}")
    itemsize = 4 if args.float32 else 8
    need = memory_estimate(n, p, args.n_lam, len(args.eps), itemsize)
    if args.max_memory is not None:
        limit, source = args.max_memory * 2**30, "--max-memory"
    else:
        limit, source = available_memory(), "the memory available now"
    if limit is not None and need > limit:
        flag = "--p" if args.p else "--n"
        raise UsageError(
            f"argument {flag}: this run needs about {_bytes(need)} (X alone is n x p = {n} x {p} "
            f"{'float32' if args.float32 else 'float64'}), more than {source} ({_bytes(limit)}); "
            f"lower --n or --p")
    return p


def _norm_label(norm: float) -> str:
    return "inf" if math.isinf(norm) else f"{norm:g}"


# ---------------------------------------------------------------------------------------------- the job

def run(args: argparse.Namespace) -> dict:
    """Run the main job for parsed ``args``; returns the result dict that ``--json`` prints.

    Raises UsageError (naming the flag) for inputs the run cannot honour. Arrays are NumPy; non-finite
    numbers stay as they are here and become ``null`` in JSON (see :func:`to_json`).
    """
    p = check_args(args)
    n = args.n
    spec = build_spectrum(args.spectrum, n, p)
    theta_star = np.zeros(p)
    theta_star[0] = 1.0
    _warm_up(args)  # compile (or load) the kernels first, so the timings below are the computation's
    t0 = time.perf_counter()
    design = GaussianDesign(spec, theta_star, noise=args.noise)
    X, y = design.sample(n, seed=args.seed, dtype=np.float32 if args.float32 else np.float64)
    t1 = time.perf_counter()
    lam = np.concatenate([[0.0], n * np.logspace(-5, 2, args.n_lam - 1)])
    eps = np.asarray(args.eps, dtype=np.float64)
    with warnings.catch_warnings():  # recorded in notes (and printed with them) instead
        warnings.simplefilter("ignore", Float32AccuracyWarning)
        out = ridge_path_risks(X, y, lam, spec, theta_star, eps, norm=args.norm, target=args.target,
                               noise=args.noise)
    t2 = time.perf_counter()
    del X, y
    _check_finite(out, args)
    q = dual_exponent(args.norm)
    ts_dual = 0.0 if args.target == "consistent" else float(np.linalg.norm(theta_star, ord=q))
    notes: dict[str, str] = {}
    if args.float32 and (note := flag_note(lam, out["accuracy_bound"], n)) is not None:
        notes["float32"] = note
    theory = _theory(spec, theta_star, n, eps, out, args, notes)
    t3 = time.perf_counter()
    res = {
        "schema_version": SCHEMA_VERSION,
        "fastrisk_version": __version__,
        "config": {"n": n, "p": p, "spectrum": args.spectrum, "noise": args.noise, "norm": args.norm,
                   "norm_label": _norm_label(args.norm), "dual_exponent": q, "target": args.target,
                   "seed": args.seed, "dtype": "float32" if args.float32 else "float64",
                   "n_lam": args.n_lam, "trace_sigma": float(spec.sum()), "theta_star": "e_1"},
        **{k: out[k] for k in ("lam", "eps", "standard_risk", "norm2", "dual_norm", "df",
                               "adversarial_risk")},
        "ground_truth": {"standard_risk": 0.0, "norm2": float(np.linalg.norm(theta_star)),
                         "dual_norm": ts_dual,
                         "adversarial_risk": out["ground_truth_adversarial_risk"]},
        "ground_truth_adversarial_risk": out["ground_truth_adversarial_risk"],
        "theory": theory,
        "notes": notes,
        "timing": {"sample_s": t1 - t0, "path_s": t2 - t1, "theory_s": t3 - t2},
    }
    res["summary"] = _summary(res)
    return res


def _check_finite(out: dict, args: argparse.Namespace) -> None:
    for key in ("standard_risk", "norm2", "dual_norm", "adversarial_risk"):
        if not np.all(np.isfinite(out[key])):
            raise UsageError(
                f"argument --noise/--eps: the {key.replace('_', ' ')} overflows float64 at --noise "
                f"{args.noise:g} --eps {' '.join(f'{e:g}' for e in args.eps)}"
                f"{' (and --float32)' if args.float32 else ''}; use smaller values")


def _warm_up(args: argparse.Namespace) -> None:
    d = GaussianDesign(spectra.power_law(8), np.ones(8), noise=1.0)
    X, y = d.sample(4, seed=0, dtype=np.float32 if args.float32 else np.float64)
    for route in ("struct", "gram", "pass", "lowrank"):  # every kernel a standard-risk route can call
        path = RidgePath(X, y, [0.0, 1.0])
        path._route_override = route
        path.adversarial_risk(d, [0.1], norm=args.norm, target=args.target)


def _finite_or_none(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _theory(spec, theta_star, n, eps, out, args, notes) -> dict:
    """Deterministic equivalent of the min-norm interpolator, the benign quantities, the oracle frontier."""
    eq = ridge_equivalent(spec, theta_star, args.noise, n, [0.0])
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
            f"not available for --norm {_norm_label(args.norm)}: the theory layer predicts ||theta||_q "
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


def _best_rows(res: dict) -> list[tuple[str, int]]:
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


def _summary(res: dict) -> dict:
    """The verdict, computed from the numbers (the table prints it; JSON carries it)."""
    c, th = res["config"], res["theory"]
    L, E = res["adversarial_risk"].shape
    eps = res["eps"]
    rows = _best_rows(res)
    warnings: list[str] = []
    for name, i in rows[5:]:
        if i == L - 1:
            warnings.append(f"'{name}' sits on the largest penalty of the grid (lam/n = "
                            f"{res['lam'][i] / c['n']:.3g}): the optimum may lie beyond it, towards "
                            f"theta = 0")
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


# ---------------------------------------------------------------------------------------------- output

def format_table(res: dict) -> str:
    """The human-readable table and verdict of a :func:`run` result."""
    c = res["config"]
    eps = res["eps"]
    n = c["n"]
    lines = [
        "fastrisk: benign overfitting vs adversarial robustness",
        f"  design  : {c['spectrum']} spectrum, n={n}, p={c['p']}, tr(Sigma)={c['trace_sigma']:.4g}, "
        f"n/tr(Sigma)={n / c['trace_sigma']:.3g}, noise sigma={c['noise']:g}, theta*=e_1",
        f"  attack  : ||delta||_{c['norm_label']} <= eps, target={c['target']}; ridge: ||y - X theta||^2 + "
        f"lam ||theta||^2 (lam/n = normalised)",
        f"  cost    : {len(res['lam'])} penalties x {len(eps)} radii from one Gram + one eigh in "
        f"{res['timing']['path_s']:.2f} s (sampling X took {res['timing']['sample_s']:.2f} s)",
        "",
    ]
    w = max(44, max(len(name) for name, _ in _best_rows(res)) + 2)
    head = f"{'estimator':<{w}}{'lam/n':>10}{'R_0':>10}{'||th||_2':>10}"
    head += "".join(f"{'R_eps(' + format(e, 'g') + ')':>14}" for e in eps)
    lines += [head, "-" * len(head)]

    def row(name, lam_n, r0, nrm, advs):
        def f(v, spec):
            return "-" if v is None or not math.isfinite(v) else format(v, spec)

        return (f"{name:<{w}}{f(lam_n, '.3g'):>10}{f(r0, '.4g'):>10}{f(nrm, '.4g'):>10}"
                + "".join(f"{f(v, '.4g'):>14}" for v in advs))

    gt = res["ground_truth"]
    lines.append(row("ground truth theta*", None, 0.0, gt["norm2"], gt["adversarial_risk"]))
    for name, i in _best_rows(res):
        lines.append(row(name, res["lam"][i] / n, res["standard_risk"][i], res["norm2"][i],
                         res["adversarial_risk"][i]))
    th = res["theory"]
    adv_th = th["minnorm_adversarial_risk"]
    lines.append(row("min-norm, deterministic equivalent", 0.0, th["minnorm_standard_risk"],
                     th["minnorm_norm2"], [None] * len(eps) if adv_th is None else adv_th))
    orc = th["oracle"]
    lines.append(row(f"oracle frontier ({orc['path']}), best R_eps", None, None, None,
                     orc["best_adversarial_risk"]))
    lines.append(row("gap to the oracle frontier", None, None, None, orc["frontier_gap"]))
    lines.append("")
    for key, note in res["notes"].items():
        lines.append(f"note: {key}: {note}")
    for wmsg in res["summary"]["warnings"]:
        lines.append(f"warning: {wmsg}")
    lines += textwrap.wrap("verdict: " + res["summary"]["headline"], width=110, subsequent_indent="  ")
    return "\n".join(lines)


def _plain(o):
    """Plain Python values for JSON: arrays to lists, NumPy scalars to Python, non-finite floats to None."""
    if isinstance(o, np.ndarray):
        return [_plain(v) for v in o.tolist()] if o.ndim else _plain(o.item())
    if isinstance(o, dict):
        return {k: _plain(v) for k, v in o.items() if not k.startswith("_")}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if isinstance(o, np.generic):
        o = o.item()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o


def to_json(res: dict) -> str:
    """Strict JSON (``allow_nan=False``) of a :func:`run` result; every non-finite number is ``null``."""
    return json.dumps(_plain(res), allow_nan=False)


def main(argv: list[str] | None = None) -> int:
    """``fastrisk [options]``: returns the exit code (2 and one line on stderr for a user error)."""
    ap = parser()
    args = ap.parse_args(argv)
    try:
        res = run(args)
    except UsageError as e:
        ap.error(str(e))
    except ValueError as e:  # the library's own validation, for a case the checks above did not foresee
        ap.error(f"the library refused these flags: {e}")
    except MemoryError:  # the up-front estimate was exceeded (other processes took the memory meanwhile)
        p = args.p or _default_p(args.spectrum, args.n)
        ap.error(f"argument --n: out of memory at n={args.n}, p={p}; lower --n or --p")
    if args.json:
        sys.stdout.write(to_json(res) + "\n")
    else:
        print(format_table(res))
    if args.plot:
        from .plot import write_figure

        write_figure(res, args.plot)
        if not args.json:
            print(f"figure: {args.plot}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
