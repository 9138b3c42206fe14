"""``fastrisk sweep SPEC --out DIR``: run a Monte Carlo sweep from a TOML spec (see the README, "Sweeps").

Exit codes: 0 done; 1 a task failed (named, one line); 2 a user error (bad spec, an output directory
holding another spec's results, an unreachable scheduler), reported as one line on stderr, never a
traceback; 130 interrupted (the finished tasks are kept: rerun the same command to resume).
"""

from __future__ import annotations

import argparse
import json
import sys

from ._parser import OneLineParser, fail

#: What ``fastrisk --help`` says of this command, and the top of its own ``--help``.
SUMMARY = "a Monte Carlo sweep from a TOML spec into a resumable Parquet store"
DESCRIPTION = ("Run a sweep spec (TOML) into an output directory of Parquet files; rerunning the same "
               "command resumes an interrupted sweep.")


def parser() -> argparse.ArgumentParser:
    return add_arguments(OneLineParser(prog="fastrisk sweep", description=DESCRIPTION))


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the flags of ``fastrisk sweep`` to ``ap``; returns ``ap``."""
    ap.add_argument("spec", help="the sweep spec, a TOML file")
    ap.add_argument("--out", required=True, help="output directory (created; resumed if it holds this spec)")
    ap.add_argument("--workers", type=int, default=None,
                    help="local worker processes (default: cores // threads; 1 = this process)")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/Numba threads of every task, whatever the executor (default 1; the "
                         "table is identical for any --workers at one --threads)")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on a Dask cluster, e.g. tcp://10.0.0.1:8786 (needs fastrisk[dask])")
    ap.add_argument("--timeout", type=float, default=20.0,
                    help="seconds to wait for the Dask scheduler (default 20)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON, the last line of stdout")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return ap


def _fail(msg: str) -> int:
    return fail("fastrisk sweep", msg)


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    return execute(ap.parse_args(argv), ap)


def execute(args: argparse.Namespace, ap: argparse.ArgumentParser | None = None) -> int:
    """Run the parsed ``fastrisk sweep``; returns the exit code."""
    if args.workers is not None and args.workers < 1:
        return _fail(f"--workers must be >= 1, got {args.workers}")
    if args.threads < 1:
        return _fail(f"--threads must be >= 1, got {args.threads}")
    if args.scheduler is not None and args.workers is not None:
        return _fail("give --workers (local pool) or --scheduler (Dask cluster), not both")
    if not args.timeout > 0:
        return _fail(f"--timeout must be > 0, got {args.timeout}")

    from .. import sweep

    try:
        spec = sweep.parse_spec(args.spec)
        sweep.expand(spec)  # n/p-dependent values validated before a scheduler is contacted
    except (sweep.SpecError, TypeError) as exc:
        return _fail(f"bad spec {args.spec}: {exc}")
    client = None
    try:
        if args.scheduler is not None:
            try:
                client = sweep.connect(args.scheduler, timeout=args.timeout)
            except (ConnectionError, ImportError) as exc:
                return _fail(str(exc))
        try:
            summary = sweep.run(spec, args.out, workers=args.workers, client=client,
                                progress=not args.no_progress, threads=args.threads)
        except (sweep.SpecError, sweep.StoreError) as exc:
            return _fail(str(exc))
        except sweep.TaskError as exc:
            print(f"fastrisk sweep: error: {exc} (finished tasks are kept; rerun to resume)", file=sys.stderr)
            return 1
        except ImportError as exc:  # e.g. a Dask worker without fastrisk installed
            return _fail(f"{type(exc).__name__}: {exc} (every Dask worker needs fastrisk installed)")
        except OSError as exc:  # an unwritable --out, a scheduler lost mid-sweep
            return _fail(f"{type(exc).__name__}: {exc} (finished tasks are kept; rerun to resume)")
        except KeyboardInterrupt:
            print("fastrisk sweep: interrupted; finished tasks are kept in the output directory, rerun to "
                  "resume", file=sys.stderr)
            return 130
    finally:
        if client is not None:
            client.close()
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        print(f"fastrisk sweep: {summary['computed']} task(s) computed, {summary['skipped']} already done, "
              f"{summary['tasks']} in the spec; {summary['rows']} rows in {summary['out']} "
              f"({summary['seconds']:.1f} s, {summary['executor']}, {summary['workers']} worker(s))")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
