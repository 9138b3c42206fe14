"""Simulations through the sweep layer: each (spectrum, n) setting of an experiment is one sweep.

The sweep store gives what the experiments need for free: every finished task (one seed) is written
atomically the moment it ends, a rerun on the same directory skips what is done, a different spec on it is
refused, and ``client=`` sends the tasks to a Dask cluster.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["simulate"]


def simulate(specs: dict[str, dict], root: Path, *, workers=None, client=None, progress=True):
    """Run each ``specs[key]`` into ``root / key`` (resuming) and return all rows as one DataFrame.

    A ``setting`` column holds the key. Columns as :func:`fastrisk.sweep.load`.
    """
    import pandas as pd

    from .. import sweep

    frames = []
    for key, spec in specs.items():
        out = Path(root) / key
        sweep.run(spec, out, workers=workers, client=client, progress=progress)
        df = sweep.load(out)
        df["setting"] = key
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
