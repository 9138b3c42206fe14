"""The main job, ``fastrisk [run] [options]``: a benign-overfitting problem, its ridge path, and the
adversarial price.

With no arguments it samples the two-level spectrum of Bartlett et al. (2020) at n = 1000
(p = n^1.5, tail mass n^0.5, theta* = e_1, noise sigma = 1), fits the whole ridge path from one
eigendecomposition and prints the standard and adversarial risks of the ground truth, the min-norm
interpolator, a few ridge penalties and the best trade-offs found, then a verdict drawn from those numbers.

Modules, one concern each: :mod:`.args` (the flags and the checks before computing), :mod:`.problem`
(spectrum presets and theta*), :mod:`.compute` (the path and the theory), :mod:`.summary` (the verdict),
:mod:`.output` (table and JSON); the figure is :mod:`fastrisk.cli.plot`.

Every user error (a flag out of range, a spectrum that cannot have that many features, a run that would
not fit in memory, risks that overflow float64) ends in one line on stderr naming the flag and exit code 2.
``--json`` writes strict JSON (RFC 8259: no ``Infinity``/``NaN``); its schema is documented in the
docs/guide/json.md and in :data:`JSON_KEYS`.
"""

from __future__ import annotations

import argparse
import sys

from .._parser import OneLineParser
from .args import MAX_SCALE, UsageError, add_arguments, available_memory, check_args, memory_estimate
from .compute import BENIGN_SHAPE, SCHEMA_VERSION, check_finite, run
from .output import JSON_KEYS, format_table, to_json
from .problem import N_SPIKES, SPECTRA, build_spectrum, default_p, resolve_p

__all__ = ["main", "execute", "parser", "add_arguments", "run", "format_table", "to_json", "build_spectrum",
           "check_args", "UsageError", "JSON_KEYS", "SCHEMA_VERSION", "SPECTRA", "N_SPIKES", "MAX_SCALE",
           "BENIGN_SHAPE", "memory_estimate", "available_memory", "default_p"]

#: What ``fastrisk --help`` says of this command, and the top of its own ``--help``.
SUMMARY = "the main job (the default): one problem, its whole ridge path, the adversarial price"
DESCRIPTION = ("Standard vs adversarial risk of the min-norm interpolator and the ridge path on a "
               "benign-overfitting problem (ridge: ||y - X theta||^2 + lam ||theta||^2, attack: "
               "||delta||_p <= eps). 'fastrisk [options]' is 'fastrisk run [options]'.")

_check_finite = check_finite  # the name the tests and earlier versions used


def parser(prog: str = "fastrisk run") -> argparse.ArgumentParser:
    """The main job's own argument parser (``fastrisk run [options]``)."""
    return add_arguments(OneLineParser(prog=prog, description=DESCRIPTION))


def execute(args: argparse.Namespace, ap: argparse.ArgumentParser) -> int:
    """Run the parsed main job; user errors go through ``ap.error`` (one line, exit code 2)."""
    try:
        res = run(args)
    except UsageError as e:
        ap.error(str(e))
    except ValueError as e:  # the library's own validation, for a case the checks above did not foresee
        ap.error(f"the library refused these flags: {e}")
    except MemoryError:  # the up-front estimate was exceeded (other processes took the memory meanwhile)
        ap.error(f"argument --n: out of memory at n={args.n}, p={resolve_p(args)}; lower --n or --p")
    if args.json:
        sys.stdout.write(to_json(res) + "\n")
    else:
        print(format_table(res))
    if args.plot:
        from ..plot import write_figure

        write_figure(res, args.plot)
        if not args.json:
            print(f"figure: {args.plot}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``fastrisk run [options]``: returns the exit code (2 and one line on stderr for a user error)."""
    ap = parser()
    return execute(ap.parse_args(argv), ap)
