"""``fastrisk reproduce``: the paper's experiments, figures with theory overlays and ``DIR/REPORT.md``.

::

    fastrisk reproduce [--quick] [--out DIR] [--only E1,E2,regime,E3] [--workers N]
                       [--scheduler ADDRESS] [--no-progress] [--figures-dir DIR]

Simulations run through :mod:`fastrisk.sweep` (resumable: rerun the same command to finish an interrupted
run; ``--scheduler`` sends them to a Dask cluster). User errors (unknown experiment, an output directory
holding something else, matplotlib missing, unreachable scheduler) print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time

from ._parser import OneLineParser, fail

#: What ``fastrisk --help`` says of this command, and the top of its own ``--help``.
SUMMARY = "the paper's experiments: figures with theory overlays and a report (resumable)"
DESCRIPTION = ("Reproduce the three results of Hao & Zhang (2024), arXiv:2401.12236: figures (PNG + PDF), "
               "the tables behind them and DIR/REPORT.md.")


def parser() -> argparse.ArgumentParser:
    return add_arguments(OneLineParser(prog="fastrisk reproduce", description=DESCRIPTION))


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the flags of ``fastrisk reproduce`` to ``ap``; returns ``ap``."""
    ap.add_argument("--quick", action="store_true",
                    help="smaller n and fewer seeds, same curves (a few minutes on 2 cores)")
    ap.add_argument("--out", default="fastrisk-reproduce", metavar="DIR",
                    help="output directory (new, empty, or an earlier run of the same size to resume; "
                         "default: %(default)s)")
    ap.add_argument("--only", default=None, metavar="NAMES",
                    help="comma-separated experiments to run: E1,E2,regime,E3 (default: all)")
    ap.add_argument("--workers", type=_pos_int, default=None, metavar="N",
                    help="local worker processes of the sweeps (default: the machine's cores)")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run the sweeps on a Dask cluster, e.g. tcp://host:8786 (needs fastrisk[dask])")
    ap.add_argument("--no-progress", action="store_true", help="no progress bars")
    ap.add_argument("--figures-dir", default=None, metavar="DIR",
                    help="also copy each experiment's PNG figure into DIR (e.g. docs/)")
    return ap


def _pos_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {s}")
    return v


def _fail(msg: str) -> int:
    return fail("fastrisk reproduce", msg)


def main(argv: list[str] | None = None) -> int:
    """Run ``fastrisk reproduce``; returns the exit code (2 on a user error, never a traceback for one)."""
    ap = parser()
    return execute(ap.parse_args(argv), ap)


def execute(args: argparse.Namespace, ap: argparse.ArgumentParser | None = None) -> int:
    """Run the parsed ``fastrisk reproduce``; returns the exit code."""
    from ..reproduce import ReproduceError, parse_only
    from ..reproduce import run as run_all
    from ..reproduce.figures import PlotDependencyError, pyplot
    from ..sweep import TaskError, shutdown_workers

    try:
        names = parse_only(args.only)
        pyplot()
    except (ReproduceError, PlotDependencyError) as exc:
        return _fail(str(exc))
    if args.scheduler is not None and args.workers is not None:  # as `fastrisk sweep`: never ignore a flag
        return _fail("give --workers (local processes) or --scheduler (Dask cluster), not both")
    client = None
    if args.scheduler is not None:
        from ..sweep import connect

        try:
            client = connect(args.scheduler)
        except (ImportError, OSError, TimeoutError, ValueError) as exc:
            return _fail(f"cannot use --scheduler {args.scheduler!r}: {exc}")
    t0 = time.perf_counter()
    try:
        run_all(args.out, only=names, quick=args.quick, workers=args.workers, client=client,
                progress=not args.no_progress, figures_dir=args.figures_dir,
                log=lambda line: print(line, file=sys.stderr, flush=True))
    except (ReproduceError, PlotDependencyError) as exc:
        return _fail(str(exc))
    except TaskError as exc:
        print(f"fastrisk reproduce: error: {exc} (finished pieces are kept; rerun to resume)",
              file=sys.stderr)
        return 1
    except ImportError as exc:  # e.g. a Dask worker without fastrisk installed
        return _fail(f"{type(exc).__name__}: {exc} (every Dask worker needs fastrisk installed)")
    except OSError as exc:  # an unwritable --out, a scheduler lost mid-run
        return _fail(f"{type(exc).__name__}: {exc} (finished pieces are kept; rerun to resume)")
    except KeyboardInterrupt:
        print("fastrisk reproduce: interrupted; finished pieces are kept, rerun the same command to resume",
              file=sys.stderr)
        return 130
    finally:
        shutdown_workers()
        if client is not None:
            client.close()
    print(f"fastrisk reproduce: {', '.join(names)} in {time.perf_counter() - t0:.0f} s; report: "
          f"{args.out.rstrip('/')}/REPORT.md")
    return 0
