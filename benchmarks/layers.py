"""Numba threading layers compared in one run: alternating subprocesses, medians of ratios.

    python benchmarks/layers.py [--rounds 5] [--layers tbb,omp,workqueue]

Each round starts one fresh process per layer (in rotating order; the layer is fixed per process),
which warms up and then times every workload of ``bench_threads.WORKLOADS`` (best of 3). Ratios are
taken within a round against the first layer listed (the reference, GNU OpenMP by default) and the
median over rounds is printed, so a noisy phase of a shared machine hits both sides of a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CHILD = r"""
import json, sys, time
sys.path[:0] = [{root!r}, {here!r}]
import numba
import fastrisk  # noqa: F401  (the user's NUMBA_THREADING_LAYER wins)
from _common import pin_blas_threads
from bench_threads import WORKLOADS, make_workload
pin_blas_threads()
out = {{}}
for name in WORKLOADS:
    run = make_workload(name)
    run()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter(); run(); best = min(best, time.perf_counter() - t)
    out[name] = best
out["layer"] = numba.threading_layer()
print(json.dumps(out))
"""


def run_child(layer: str) -> dict:
    env = dict(os.environ, NUMBA_THREADING_LAYER=layer)
    code = CHILD.format(root=ROOT, here=HERE)
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=600, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--layers", default="omp,tbb,workqueue")
    args = ap.parse_args()
    layers = args.layers.split(",")
    ref = layers[0]
    rows: list[dict] = []
    t0 = time.perf_counter()
    for r in range(args.rounds):
        order = layers[r % len(layers):] + layers[: r % len(layers)]
        got = {layer: run_child(layer) for layer in order}
        for layer in layers:
            assert got[layer]["layer"] == layer, got[layer]
        rows.append(got)
        print(f"round {r + 1}/{args.rounds} done ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    from bench_threads import WORKLOADS

    print(f"median seconds (best of 3 per process) and median ratio to {ref}, {args.rounds} rounds")
    print(f"{'workload':<16}" + "".join(f"{layer:>22}" for layer in layers))
    for w in WORKLOADS:
        cells = []
        for layer in layers:
            sec = np.median([g[layer][w] for g in rows])
            ratio = np.median([g[layer][w] / g[ref][w] for g in rows])
            cells.append(f"{sec * 1e3:9.1f} ms {ratio:6.2f}x ")
        print(f"{w:<16}" + "".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    sys.path[:0] = [ROOT, HERE]
    main()
