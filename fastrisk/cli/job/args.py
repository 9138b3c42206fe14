"""The main job's flags: one argparse group per concern, each value checked where it is parsed, and the
checks that need several flags (:func:`check_args`) before anything is computed.

To add a flag, add it to the group it belongs to (:func:`add_problem_arguments` for what changes the
problem -- then use it in :mod:`.problem` -- :func:`add_path_arguments` for the penalties and the attack,
:func:`add_output_arguments` for what is printed or written) with a type function from this module, so
its errors read like every other flag's.
"""

from __future__ import annotations

import argparse
import math
import os

from .problem import SPECTRA, SPECTRUM_PARAMS, n_spikes, resolve_p

__all__ = ["UsageError", "add_arguments", "check_args", "memory_estimate", "available_memory", "norm_label",
           "MAX_SCALE", "theta_star", "spectrum_param"]

MAX_SCALE = 1e50  # largest --noise / --eps: risks are quadratic in both, and must stay finite in float64


class UsageError(ValueError):
    """A flag value the run cannot honour; ``str(e)`` is the one-line message (it names the flag)."""


# argparse prints ``argument --flag: <message>`` for an ArgumentTypeError, so the messages below never
# repeat the flag, and every parse error is an ArgumentTypeError (a bare ValueError would print the type
# function's name instead).

def integer(minimum: int, what: str):
    """An argparse type: an integer >= ``minimum``; ``what`` says so in the error."""
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


def real(what: str, *, maximum: float = math.inf, positive: bool = False):
    """An argparse type: a finite number >= 0 (> 0 with ``positive``), at most ``maximum``."""
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


def attack_norm(s: str) -> float:
    """An argparse type: the attack norm p >= 1, or ``inf``."""
    if s.strip().lower() in ("inf", "infinity", "+inf", "+infinity"):
        return math.inf
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 1 or 'inf', got {s!r}") from None
    if not v >= 1 or math.isnan(v):
        raise argparse.ArgumentTypeError(f"expected a number >= 1 or 'inf', got {s}")
    return v


attack_norm.__name__ = "attack norm"


def theta_star(s: str):
    """An argparse type: a ground truth ``KIND[:key=value,...]`` (:mod:`fastrisk.ground_truth`)."""
    from ...ground_truth import parse_theta_star

    try:
        return parse_theta_star(s)
    except ValueError as e:  # "theta_star dense: seed must be ..." -> "dense: seed must be ..."
        raise argparse.ArgumentTypeError(
            str(e).removeprefix("theta_star ").removeprefix("theta_star: ")) from None


theta_star.__name__ = "ground truth"


def spectrum_param(s: str) -> tuple[str, float]:
    """An argparse type: ``key=value`` with a finite number (the key is checked against the preset in
    :func:`check_args`, once ``--spectrum`` is known)."""
    key, eq, val = s.partition("=")
    key = key.strip()
    if not eq or not key or not val.strip():
        raise argparse.ArgumentTypeError(f"expected key=value (e.g. tau=2), got {s!r}")
    try:
        v = float(val)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number after {key}=, got {val.strip()!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number after {key}=, got {val.strip()!r}")
    return key, v


spectrum_param.__name__ = "spectrum parameter"


def norm_label(norm: float) -> str:
    """The attack norm as text: ``"2"``, ``"inf"``, ``"3.5"``."""
    return "inf" if math.isinf(norm) else f"{norm:g}"


# ---------------------------------------------------------------------------------------------- flags

def add_problem_arguments(ap: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The flags that define the problem: samples, features, spectrum, noise, seed, precision."""
    g = ap.add_argument_group("the problem")
    g.add_argument("--n", type=integer(1, "an integer >= 1"), default=1000, metavar="N",
                   help="training samples (default 1000)")
    g.add_argument("--p", type=integer(1, "an integer >= 1"), default=None, metavar="P",
                   help="features (default: n^1.5 two_level, 20n bllt_log, 5n spiked, 10n power_law, "
                        "2n isotropic)")
    g.add_argument("--spectrum", choices=SPECTRA, default="two_level",
                   help="covariance spectrum (default two_level: exp(-k/2) + sqrt(n)/p)")
    g.add_argument("--spectrum-param", type=spectrum_param, action="append", default=[], metavar="KEY=VALUE",
                   help="a parameter of the --spectrum preset, repeatable (two_level: low, tau, high; "
                        "spiked: n_spikes, spike, tail; bllt_log: beta, a, scale; power_law: a, scale; "
                        "isotropic: scale), e.g. tau=2 or n_spikes=10")
    g.add_argument("--theta-star", type=theta_star, default=None, metavar="KIND[:KEY=VALUE,...]",
                   help="the ground truth (default e1): e1, top_k:k=10, band:start=k*,stop=2k*, power:a=0.5, "
                        "dense:seed=3[,dist=gaussian], file:path=theta.npy; ||theta*||_2 = 1 unless "
                        "scale=... (normalise=sigma: ||theta*||_Sigma)")
    g.add_argument("--noise", type=real("a finite number >= 0", maximum=MAX_SCALE), default=1.0,
                   metavar="SIGMA", help="label-noise standard deviation sigma (default 1)")
    g.add_argument("--seed", type=integer(0, "an integer >= 0"), default=0, metavar="SEED",
                   help="random seed (default 0)")
    g.add_argument("--float32", action="store_true", help="sample X and solve in float32")
    return g


def add_path_arguments(ap: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The flags of the ridge path and the attack: penalties, radii, norm, target."""
    g = ap.add_argument_group("the ridge path and the attack")
    g.add_argument("--n-lam", type=integer(2, "an integer >= 2 (min-norm plus at least one penalty)"),
                   default=400, metavar="L", help="penalties on the path, min-norm included (default 400)")
    g.add_argument("--eps", type=real("a finite radius >= 0", maximum=MAX_SCALE), nargs="+",
                   default=[0.05, 0.1, 0.2], metavar="EPS", help="attack radii (default 0.05 0.1 0.2)")
    g.add_argument("--norm", type=attack_norm, default=2.0, metavar="NORM",
                   help="attack norm p of ||delta||_p <= eps: 1, 2, inf, or any p >= 1 (default 2)")
    g.add_argument("--target", choices=("clean", "noisy", "consistent"), default="clean",
                   help="adversarial-risk convention (default clean; consistent needs --norm 2)")
    return g


def add_output_arguments(ap: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """What is printed or written, and the memory limit."""
    g = ap.add_argument_group("output and limits")
    g.add_argument("--json", action="store_true",
                   help="print the whole path as strict JSON (schema in docs/guide/json.md)")
    g.add_argument("--plot", default=None, metavar="FILE",
                   help="also draw the trade-off figure to FILE (.png, .pdf, .svg; needs matplotlib: "
                        'pip install "fastrisk[plot]")')
    g.add_argument("--max-memory", type=real("a number of GiB > 0", positive=True), default=None,
                   metavar="GIB", help="refuse runs estimated above this many GiB (default: the memory "
                                       "available now)")
    return g


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add every flag of the main job to ``ap`` (the ``fastrisk run`` subparser); returns ``ap``."""
    add_problem_arguments(ap)
    add_path_arguments(ap)
    add_output_arguments(ap)
    return ap


# ---------------------------------------------------------------------------------------------- checks

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


def format_bytes(b: float) -> str:
    """``b`` bytes in the largest binary unit below it, 3 significant digits."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if b < 1024 or unit == "PiB":
            return f"{b:.3g} {unit}" if unit != "B" else f"{int(b)} B"
        b /= 1024
    raise AssertionError  # pragma: no cover


def check_args(args: argparse.Namespace) -> int:
    """Checks that need more than one flag, before any computation; returns p. Raises UsageError."""
    n = args.n
    p = resolve_p(args)
    if args.target == "consistent" and args.norm != 2:
        raise UsageError(f"argument --target: consistent needs --norm 2 (perturbations orthogonal to "
                         f"theta* are an l2 notion), got --norm {norm_label(args.norm)}")
    seen = set()
    for key, _ in getattr(args, "spectrum_param", []):
        allowed = SPECTRUM_PARAMS[args.spectrum]
        if key not in allowed:
            raise UsageError(f"argument --spectrum-param: --spectrum {args.spectrum} takes "
                             f"{', '.join(allowed)}, got {key!r}")
        if key in seen:
            raise UsageError(f"argument --spectrum-param: {key} given twice")
        seen.add(key)
    if args.spectrum == "spiked" and p < n_spikes(args):
        raise UsageError(f"argument --p: --spectrum spiked has {n_spikes(args)} spikes and needs p >= "
                         f"{n_spikes(args)}, got {p}")
    if getattr(args, "plot", None):
        from ..plot import check_target_file

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
            f"argument {flag}: this run needs about {format_bytes(need)} (X alone is n x p = {n} x {p} "
            f"{'float32' if args.float32 else 'float64'}), more than {source} ({format_bytes(limit)}); "
            f"lower --n or --p")
    return p
