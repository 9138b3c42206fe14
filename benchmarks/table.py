"""Write the docs' benchmark page from one run of the ratio suite (:mod:`benchmarks.ratios`).

    python -m benchmarks.table --out docs/benchmarks.md [--rounds 5] [--json run.json]
    python -m benchmarks.table --quick --out /tmp/bench.md        # tiny sizes: a smoke run
    python -m benchmarks.table --from-json run.json --out docs/benchmarks.md   # re-render a saved run
    python -m benchmarks.table --asv-results .asv/results/MACHINE/COMMIT-ENV.json --out ...

The page holds every headline ratio of the suite (median of per-round ratios, the spread over rounds,
the target, the floor's time, the load average) with the machine (CPU model, cores), the date, the
BLAS and Numba thread counts and the versions (fastrisk and its commit, Python, NumPy, SciPy, Numba,
scikit-learn, each BLAS library as threadpoolctl reports it) beside the tables. Nothing on it is typed
by hand: rerun the command to refresh it. ``--asv-results`` renders the ratios that ``asv run``
recorded (``RatioToFloor.track_ratio``, ``Speedup.track_speedup``) with what asv records of the
machine and environment; per-round spreads and loads are then not available.
"""

from __future__ import annotations

import argparse
import ast
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from fastrisk._files import atomic_write

if __package__ in (None, ""):  # run as a file: python benchmarks/table.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "benchmarks"

from . import ratios  # noqa: E402
from ._common import BLAS_THREADS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GROUPS = ["ridge path", "estimators", "NTK", "sweep", "start-up", "peers"]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" with uncommitted changes" if dirty else "")


def environment() -> dict:
    """Where and with what the suite ran (call after the suite: Numba's layer is then launched)."""
    import numba
    import scipy
    import scipy.linalg  # noqa: F401  (loads SciPy's own BLAS, so that threadpoolctl sees it)
    import threadpoolctl

    import fastrisk

    try:
        import sklearn
        skv = sklearn.__version__
    except ImportError:  # pragma: no cover
        skv = "not installed"
    blas = [{k: lib.get(k) for k in ("internal_api", "version", "architecture", "threading_layer",
                                     "num_threads", "filepath")}
            for lib in threadpoolctl.threadpool_info() if lib.get("user_api") == "blas"]
    try:
        layer = numba.threading_layer()
    except ValueError:
        layer = "not launched"
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": cpu_model(), "logical_cores": os.cpu_count(), "usable_cores": usable,
        "platform": platform.platform(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "blas_threads_requested": BLAS_THREADS, "blas": blas,
        "numba_threads": numba.get_num_threads(), "numba_layer": layer,
        "versions": {"fastrisk": fastrisk.__version__, "commit": git_commit(),
                     "python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "numba": numba.__version__, "scikit-learn": skv,
                     "threadpoolctl": threadpoolctl.__version__},
    }


def _blas_line(lib: dict) -> str:
    where = Path(lib.get("filepath") or "").name
    owner = "NumPy" if "numpy" in (lib.get("filepath") or "") else (
        "SciPy" if "scipy" in (lib.get("filepath") or "") else where)
    return (f"{lib.get('internal_api')} {lib.get('version')} ({lib.get('architecture')}, "
            f"{lib.get('threading_layer')}) for {owner}, threads: {lib.get('num_threads')}")


def _fmt(x: float) -> str:
    return f"{x:.3g}" if x < 10 else f"{x:.0f}"


def _row(r: dict, kind: str) -> dict[str, str]:
    """The cells of one result (empty where the run did not record it)."""
    sign = "<=" if kind == "cost" else ">="
    rr = r.get("ratios") or [r["median"]]
    ref = r.get("reference")
    times = (r.get("times") or {}).get(ref)
    load = r.get("load")
    notes = [r.get("info") or ""] + [f"{k} +{m:.0f} MiB" for k, m in (r.get("memory") or {}).items()]
    return {
        "case": r["what"],
        "size": r.get("size", ""),
        "ratio": f"**{_fmt(r['median'])}x**",
        "range over rounds": f"{_fmt(min(rr))}-{_fmt(max(rr))}" if len(rr) > 1 else "",
        "target": f"{sign} {r['target']:g}" if r.get("target") is not None else "",
        "reference time": f"{ref} {float(np.median(times)):.3g} s" if times else "",
        "load": f"{load[0]:.1f}-{load[1]:.1f}" if load else "",
        "notes": "; ".join(s for s in notes if s),
    }


def render(env: dict, results: list[dict], sizes: str, rounds: int | None, command: str) -> str:
    v = env.get("versions", {})
    intro = (
        "Speed is quoted as ratios measured in one run on one machine: fastrisk's time over its floor "
        "(lower is better) or a peer's time over fastrisk's (higher is better). The floor of a ridge path "
        "is F1 = one Gram `X X^T` + one `numpy.linalg.eigh`, which any exact path pays. Each ratio is the "
        "median over rounds of per-round ratios; within a round every side runs once, in an order that "
        "rotates between rounds, so that a noisy phase of a shared machine hits both sides of a ratio. "
        f"Regenerate this page with `{command}`; the same cases are asv `track_` benchmarks "
        "(`benchmarks/ratios.py`: `RatioToFloor.track_ratio`, `Speedup.track_speedup`), so "
        "`asv publish` shows them over commits.")
    lines = [
        "# Benchmarks",
        "",
        f"<!-- generated by `{command}`; do not edit by hand, rerun it -->",
        "",
        textwrap.fill(intro, 110),
        "",
        "## This run",
        "",
        "| | |",
        "|---|---|",
        f"| machine | {env.get('cpu', '?')}, {env.get('logical_cores', '?')} logical cores "
        f"({env.get('usable_cores', '?')} usable); {env.get('platform', '?')} |",
        f"| date | {env.get('date', '?')} |",
    ]
    loads = [r["load"] for r in results if r.get("load")]
    if loads:
        lines.append(f"| load average (1 min) | {loads[0][0]:.1f} at the start, {loads[-1][1]:.1f} at the "
                     f"end, {max(max(x) for x in loads):.1f} at most (beyond the core count, other processes "
                     "competed for the cores) |")
    lines.append(f"| threads | BLAS {env.get('blas_threads_requested', '?')} (threadpoolctl), Numba "
                 f"{env.get('numba_threads', '?')} ({env.get('numba_layer', '?')} layer) |")
    vers = ", ".join(f"{k} {v[k]}" for k in ("python", "numpy", "scipy", "numba", "scikit-learn",
                                              "threadpoolctl") if k in v)
    lines.append(f"| versions | fastrisk {v.get('fastrisk', '?')} (commit {v.get('commit', '?')}); {vers} |")
    for lib in env.get("blas", []):
        lines.append(f"| BLAS | {_blas_line(lib)} |")
    lines.append(f"| sizes | {sizes}" + (f"; {rounds} rounds per ratio |" if rounds else " |"))
    lines.append("")
    for kind, title in (("cost", "fastrisk against its floor (lower is better)"),
                        ("speedup", "Speedup over the usual way (higher is better)")):
        rows = [r for r in results if r["kind"] == kind]
        if not rows:
            continue
        lines += [f"## {title}", ""]
        body = []
        for group in GROUPS + sorted({r["group"] for r in rows} - set(GROUPS)):
            for r in (x for x in rows if x["group"] == group):
                body.append(_row(r, kind))
        head = list(body[0])
        keep = [h for h in head if h in ("case", "ratio") or any(row[h] for row in body)]
        lines += ["| " + " | ".join(keep) + " |", "|" + "---|" * len(keep)]
        lines += ["| " + " | ".join(row[h] for h in keep) + " |" for row in body]
        lines.append("")
    lines += [
        textwrap.fill("Memory (notes column): the peak of NumPy's allocations during one call beyond what "
                      "existed before it (tracemalloc; X itself is not counted). asv's `peakmem_` "
                      "benchmarks (`benchmarks/bench_*.py`) record whole-process peaks.", 110),
        "",
        textwrap.fill("Targets are the project's: every ridge path within 1.15x F1; a float32 path within "
                      "0.6x the float64 F1; `RidgePathCV` within 1.3x F1 and at least 10x faster than "
                      "scikit-learn's `RidgeCV`; the NTK Gram within 1.5x `X X^T` at a small input "
                      "dimension and 1.1x at n = d; the kernel ridge path within 1.3x its Gram + eigh; "
                      "a sweep within 1.15x the loop by hand on one worker, 1.5x its throughput on two.",
                      110),
        "",
    ]
    return "\n".join(lines)


def from_asv(path: Path) -> tuple[dict, list[dict]]:
    """Ratios from one asv results file (and its ``machine.json``)."""
    data = json.loads(path.read_text())
    cols = data.get("result_columns", ["result", "params"])
    machine = {}
    mj = path.parent / "machine.json"
    if mj.exists():
        machine = json.loads(mj.read_text())
    prm = data.get("params", {})
    env = {"cpu": machine.get("cpu", prm.get("cpu", "?")), "logical_cores": machine.get("num_cpu", "?"),
           "usable_cores": machine.get("num_cpu", "?"), "platform": machine.get("os", prm.get("os", "?")),
           "date": _dt.datetime.fromtimestamp(data.get("date", 0) / 1000, _dt.timezone.utc).strftime(
               "%Y-%m-%d %H:%M UTC"),
           "blas_threads_requested": "as set by FASTRISK_BENCH_THREADS (default 2)",
           "numba_threads": "?", "numba_layer": "?",
           "versions": {"fastrisk": "(asv build)", "commit": data.get("commit_hash", "?")[:9],
                        "python": data.get("python", "?"),
                        **{k: (v or "unpinned") for k, v in (data.get("requirements") or {}).items()}}}
    out = []
    for bench, kind in (("ratios.RatioToFloor.track_ratio", "cost"),
                        ("ratios.Speedup.track_speedup", "speedup")):
        row = data.get("results", {}).get(bench)
        if row is None:
            continue
        rec = dict(zip(cols, row, strict=False))
        names = [ast.literal_eval(s) for s in rec["params"][0]]
        for name, val in zip(names, rec["result"], strict=True):
            if val is None or name not in ratios.CASES:
                continue
            c = ratios.CASES[name]
            out.append({"case": name, "kind": kind, "group": c.group, "what": c.what, "target": c.target,
                        "size": "", "median": float(val), "ratios": [float(val)]})
    return env, out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the benchmark page from one run of the ratio suite.")
    ap.add_argument("--out", type=Path, required=True, help="the Markdown file to write")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run, not figures to quote")
    ap.add_argument("--rounds", type=int, default=ratios.ROUNDS,
                    help="rounds per ratio (default %(default)s)")
    ap.add_argument("--only", nargs="+", metavar="SUBSTR", help="only the cases whose name contains one")
    ap.add_argument("--threads", type=int, help="BLAS and Numba threads (default: BLAS "
                    "FASTRISK_BENCH_THREADS, Numba all; --quick: 1)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: process CPU time (with --threads 1 on a loaded machine)")
    ap.add_argument("--json", type=Path, help="also save the raw run (every round's times) as JSON")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--from-json", type=Path, help="render a run saved with --json instead of measuring")
    src.add_argument("--asv-results", type=Path, help="render the ratios of one asv results file")
    args = ap.parse_args(argv)
    command = "python -m benchmarks.table" + (" --asv-results FILE" if args.asv_results else "") + (
        " --quick" if args.quick else "") + (
        f" --threads {args.threads}" if args.threads else "") + (
        " --clock cpu" if args.clock == "cpu" else "") + (
        f" --rounds {args.rounds}" if args.rounds != ratios.ROUNDS else "") + " --out " + (
        str(args.out) if not args.out.is_absolute() else args.out.name)
    if args.asv_results:
        env, results = from_asv(args.asv_results)
        sizes, rounds = "as in the asv run (full unless it ran with FASTRISK_BENCH_SMALL=1)", None
    elif args.from_json:
        saved = json.loads(args.from_json.read_text())
        env, results, sizes, rounds = saved["environment"], saved["results"], saved["sizes"], saved["rounds"]
        command = saved.get("command", command)
    else:
        ratios.set_clock(args.clock)
        sz = ratios.QUICK if args.quick else ratios.default_sizes()
        if args.rounds < 5 and not args.quick:
            print(f"note: {args.rounds} rounds; quote figures from at least 5", file=sys.stderr)
        run = ratios.run_suite(ratios.select(args.only), sz, args.rounds,
                               report=lambda r: print(ratios.format_line(r), flush=True),
                               threads=args.threads)
        env, results = environment(), [r.as_dict() for r in run]
        sizes = f"{sz.name}" + (" (a smoke run: not figures to quote)" if sz is ratios.QUICK else "") + (
            "; clock: process CPU time (one-core ratios on a loaded machine)" if args.clock == "cpu"
            else "; clock: wall")
        rounds = args.rounds
        if args.json:
            raw = json.dumps({"environment": env, "results": results, "sizes": sizes, "rounds": rounds,
                              "command": command}, indent=1)
            atomic_write(args.json, lambda tmp: Path(tmp).write_text(raw, encoding="utf-8"))
    page = render(env, results, sizes, rounds, command)
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
