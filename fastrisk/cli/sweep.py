"""``fastrisk sweep SPEC --out DIR``: run a Monte Carlo sweep from a TOML spec (see docs/guide/sweeps.md).

Exit codes: 0 done; 1 a task failed (named, one line); 2 a user error (bad spec, a sweep too large for
the memory, disk or task limit, an output directory holding another spec's results, a bad or
unreachable scheduler), reported as one line on stderr, never a traceback; 130 interrupted (the finished
tasks are kept: rerun the same command to resume). Warnings (a damaged file moved aside, other library
versions than the store's) are one line each, ``fastrisk sweep: warning: ...``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import warnings

from ._parser import OneLineParser, fail

#: What ``fastrisk --help`` says of this command, and the top of its own ``--help``.
SUMMARY = "a Monte Carlo sweep from a TOML spec into a resumable Parquet store"
DESCRIPTION = ("Run a sweep spec (TOML) into an output directory of Parquet files; rerunning the same "
               "command resumes an interrupted sweep.")


def parser() -> argparse.ArgumentParser:
    return add_arguments(OneLineParser(prog="fastrisk sweep", description=DESCRIPTION))


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the flags of ``fastrisk sweep`` to ``ap``; returns ``ap``."""
    ap.add_argument("spec", nargs="?", help="the sweep spec, a TOML file")
    ap.add_argument("--out", help="output directory (created; resumed if it holds this spec)")
    ap.add_argument("--workers", type=int, default=None,
                    help="local worker processes (default: cores // threads; 1 = this process)")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS/Numba threads of every task, whatever the executor (default 1; the "
                         "table is identical for any --workers at one --threads)")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on a Dask cluster, e.g. tcp://10.0.0.1:8786 (needs fastrisk[dask])")
    ap.add_argument("--timeout", type=float, default=20.0,
                    help="seconds to wait for the Dask scheduler (default 20)")
    ap.add_argument("--max-memory", type=float, default=None, metavar="GIB",
                    help="refuse a sweep whose estimated peak memory (tasks computed at once, worker "
                         "processes included) exceeds this many GiB (default: the memory available now)")
    ap.add_argument("--allow-large", action="store_true",
                    help="run a sweep beyond the memory limit, the 10^6-task limit or the free disk anyway")
    ap.add_argument("--batch-seconds", type=float, default=None, metavar="S",
                    help="estimated seconds of work per file: small tasks share a worker call and a file up "
                         "to this much (default 0.5; 0: one task per file)")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON, the last line of stdout")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    ap.add_argument("--schema", action="store_true",
                    help="print the JSON Schema of a spec (for editors) and exit")
    return ap


def _fail(msg: str) -> int:
    return fail("fastrisk sweep", msg)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"fastrisk sweep: warning: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _one_line_warnings():
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        yield


def main(argv: list[str] | None = None) -> int:
    ap = parser()
    return execute(ap.parse_args(argv), ap)


def execute(args: argparse.Namespace, ap: argparse.ArgumentParser | None = None) -> int:
    """Run the parsed ``fastrisk sweep``; returns the exit code."""
    if args.schema:
        from ..sweep.spec import schema_text

        sys.stdout.write(schema_text())
        return 0
    if args.spec is None or args.out is None:
        names = [n for n, v in (("spec", args.spec), ("--out", args.out)) if v is None]
        missing = f"the following arguments are required: {', '.join(names)}"  # as argparse says it
        if ap is not None:
            ap.error(missing)
        return _fail(missing)
    if args.workers is not None and args.workers < 1:
        return _fail(f"--workers must be >= 1, got {args.workers}")
    if args.threads < 1:
        return _fail(f"--threads must be >= 1, got {args.threads}")
    if args.scheduler is not None and args.workers is not None:
        return _fail("give --workers (local pool) or --scheduler (Dask cluster), not both")
    if not args.timeout > 0:
        return _fail(f"--timeout must be > 0, got {args.timeout}")
    if args.batch_seconds is not None and not (math.isfinite(args.batch_seconds) and args.batch_seconds >= 0):
        return _fail(f"--batch-seconds must be a number >= 0, got {args.batch_seconds}")
    if args.max_memory is not None and not (math.isfinite(args.max_memory) and args.max_memory > 0):
        return _fail(f"--max-memory must be a number of GiB > 0, got {args.max_memory}")

    from .. import sweep

    try:
        spec = sweep.parse_spec(args.spec)
        if args.scheduler is None:  # a cluster's memory is checked by run, once it is reached
            w = max(1, sweep.cpu_count() // args.threads) if args.workers is None else args.workers
            size = sweep.measure(spec)
            w = min(w, size.folds + (size.groups if spec.theory else 0))
            size.check(processes=w, new_processes=w > 1, out=args.out, allow_large=args.allow_large,
                       max_memory=None if args.max_memory is None else args.max_memory * 2**30)
        else:
            sweep.measure(spec).check(out=args.out, allow_large=args.allow_large, max_memory=math.inf)
            sweep.check_address(args.scheduler)
        sweep.expand(spec)  # n/p-dependent values validated before a scheduler is contacted
    except (sweep.SpecError, TypeError) as exc:
        return _fail(f"bad spec {args.spec}: {exc}")
    except ImportError as exc:
        return _fail(f"a Dask scheduler needs the dask extra: pip install 'fastrisk[dask]' ({exc})")
    except ValueError as exc:  # too large, or a malformed scheduler address
        return _fail(str(exc))
    client = None
    try:
        if args.scheduler is not None:
            try:
                client = sweep.connect(args.scheduler, timeout=args.timeout)
            except (ConnectionError, ImportError, ValueError) as exc:
                return _fail(str(exc))
        try:
            with _one_line_warnings():
                summary = sweep.run(spec, args.out, workers=args.workers, client=client,
                                    progress=not args.no_progress, threads=args.threads,
                                    max_memory=args.max_memory, allow_large=args.allow_large,
                                    **({} if args.batch_seconds is None else
                                       {"batch_seconds": args.batch_seconds}))
        except (sweep.SpecError, sweep.StoreError, sweep.SweepTooLarge) as exc:
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
    _report(args, spec, summary)
    return 0


def _report(args: argparse.Namespace, spec, summary: dict) -> None:
    """The summary: counts, float32 accuracy flags, and the best penalties (bounds where on an edge)."""
    from ..config import FLOAT32_RTOL
    from ..sweep.summary import summary_lines

    with _one_line_warnings():
        best, counts = summary_lines(summary["out"])
    if args.json:
        summary = dict(summary, best_penalty=counts)
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    print(f"fastrisk sweep: {summary['computed']} task(s) computed, {summary['skipped']} already done, "
          f"{summary['tasks']} in the spec; {summary['rows']} rows in {summary['out']} "
          f"({summary['seconds']:.1f} s, {summary['executor']}, {summary['workers']} worker(s))")
    if spec.dtype == "float32":
        k = summary["flagged_rows"]
        print(f"float32: {k} of {summary['rows']} rows flagged (accuracy_bound above {FLOAT32_RTOL:g}: the "
              "accuracy_flag column" + ("; rerun those penalties with dtype = \"float64\")" if k else ")"))
    for line in best:
        print(line)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
