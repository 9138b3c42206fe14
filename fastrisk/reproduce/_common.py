"""What the experiments share: the benign spectra and their scaling with n, atomic writes, summaries.

The spectra are those of the main ``fastrisk`` job, each with the benign scaling of Bartlett, Long,
Lugosi and Tsigler (2020, Thm 6) as a function of n:

- ``two_level``: ``lambda_j = exp(-j / 2) + low``, ``p = round(n^1.5)``, ``low * p = n^0.5``;
- ``bllt_log``: ``lambda_k = 1 / (k ln^2(k + 1))`` truncated at ``p = 20 n``.

Ground truth ``theta* = e_1`` (so ``|theta*|_q = 1`` for every q and the ground truth's clean adversarial
risk is ``eps^2``), label noise ``sigma = 1``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import spectra
from .._files import atomic_write

__all__ = ["SPECTRA", "spectrum_setting", "spectrum_array", "theta_star", "Summary", "write_table",
           "write_json", "read_json", "NOISE", "SIGNAL", "ReproduceError", "sweep_spec", "sweep_specs"]

NOISE = 1.0
SIGNAL = 1.0
SPECTRA = ("two_level", "bllt_log")


class ReproduceError(ValueError):
    """A user-facing problem with a reproduction run (bad experiment name, foreign output directory)."""


def spectrum_setting(kind: str, n: int) -> tuple[int, dict[str, Any]]:
    """``(p, params)`` with ``spectra.<kind>(p, **params)`` the benign instance at sample size n."""
    if kind == "two_level":
        p = int(round(n**1.5))
        return p, {"low": math.sqrt(n) / p, "tau": 2.0}
    if kind == "bllt_log":
        return 20 * n, {"beta": 2.0}
    raise ReproduceError(f"unknown spectrum {kind!r}; expected one of {SPECTRA}")


def spectrum_array(kind: str, n: int) -> np.ndarray:
    """The eigenvalues (diagonal of Sigma) of the benign instance at sample size n."""
    p, params = spectrum_setting(kind, n)
    return getattr(spectra, kind)(p, **params)


def theta_star(p: int) -> np.ndarray:
    """``SIGNAL * e_1``."""
    t = np.zeros(p)
    t[0] = SIGNAL
    return t


def sweep_spec(kind: str, ns, seeds: int, *, lam: list[float] | None = None,
               lam_n: dict | None = None, eps, norm, target=("clean",)) -> dict:
    """A :func:`fastrisk.sweep.run` spec of the benign instance of ``kind`` at every n of ``ns``.

    ``two_level`` is one grid over n (``p_exponent = 1.5`` and the scaled ``low = n^0.5 / p``);
    ``bllt_log`` (``p = 20 n``, not a power of n) takes a single n. ``eps`` is a list of absolute radii or
    a sweep radius table (``{values, n_power, p_power, relative}``).
    """
    ns = [int(v) for v in np.atleast_1d(ns)]
    path: dict[str, Any] = {"eps": dict(eps) if isinstance(eps, dict) else [float(e) for e in eps],
                            "norm": ["inf" if math.isinf(float(q)) else float(q) for q in norm],
                            "target": list(target)}
    if lam is not None:
        path["lam"] = [float(v) for v in lam]
    else:
        path["lam_n"] = dict(lam_n)
    spec: dict[str, Any] = {"model": "linear", "n": ns, "seeds": int(seeds), "noise": [NOISE],
                            "signal": SIGNAL, "path": path}
    if kind == "two_level":
        spec["p_exponent"] = [1.5]
        spec["spectrum"] = [{"kind": kind, "name": kind, "low": {"n_power": 0.5, "p_power": -1.0},
                             "tau": 2.0}]
    elif kind == "bllt_log":
        if len(ns) != 1:
            raise ValueError("bllt_log sweeps take one n (p = 20 n is not a power of n)")
        spec["p"] = [20 * ns[0]]
        spec["spectrum"] = [{"kind": kind, "name": kind, "beta": 2.0}]
    else:
        raise ReproduceError(f"unknown spectrum {kind!r}; expected one of {SPECTRA}")
    return spec


def sweep_specs(kind: str, ns, seeds: int, **kw) -> dict[str, dict]:
    """The sweeps covering ``kind`` at every n of ``ns``: one for two_level, one per n for bllt_log."""
    if kind == "two_level":
        return {kind: sweep_spec(kind, ns, seeds, **kw)}
    return {f"{kind}_n{n}": sweep_spec(kind, [n], seeds, **kw) for n in ns}


@dataclass
class Summary:
    """What an experiment tells the report: its claim, setting, what the numbers show, its files.

    ``figures`` and ``tables`` are paths relative to the output directory.
    """

    name: str
    title: str
    claim: str
    setting: str
    findings: list[str]
    figures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


def write_table(df, path: str | os.PathLike) -> Path:
    """Write a pandas DataFrame as Parquet (pyarrow), atomically."""
    return atomic_write(Path(path), lambda tmp: df.to_parquet(tmp, index=False))


def _strict(o):
    """``o`` with every non-finite float replaced by None (JSON has no NaN or Infinity)."""
    if isinstance(o, dict):
        return {k: _strict(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_strict(v) for v in o]
    if isinstance(o, (float, np.floating)):
        return float(o) if math.isfinite(o) else None
    if isinstance(o, np.integer):
        return int(o)
    return o


def write_json(obj, path: str | os.PathLike) -> Path:
    """Write strict JSON atomically: a non-finite number is written ``null``, never NaN/Infinity."""
    def w(tmp):
        with open(tmp, "w") as f:
            json.dump(_strict(obj), f, indent=1, sort_keys=True, default=float, allow_nan=False)
            f.write("\n")

    return atomic_write(Path(path), w)


def read_json(path: str | os.PathLike):
    with open(path) as f:
        return json.load(f)
