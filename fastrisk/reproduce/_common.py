"""What the experiments share: the benign spectra and their scaling with n, atomic writes, summaries.

The spectra are those of the main ``fastrisk`` job, each with the benign scaling of Bartlett, Long,
Lugosi and Tsigler (2020, Thm 6) as a function of n:

- ``two_level``: ``lambda_j = exp(-j / 2) + low``, ``p = round(n^1.5)``, ``low * p = n^0.5``;
- ``bllt_log``: ``lambda_k = 1 / (k ln^2(k + 1))`` truncated at ``p = 20 n``;
- ``spiked`` (the regime map): 10 spikes of 1 and a flat tail of mass ``n^0.5`` over ``p = round(n^1.5)``
  coordinates (``tail * (p - 10) = n^0.5``), the spiked form of two_level's benign scaling.

Ground truth: by default ``theta* = e_1`` (label noise ``sigma = 1``), but every experiment takes any
ground truth of :mod:`fastrisk.ground_truth`, and the ground truth's adversarial risk is always computed
for its target and attack norm (:func:`ground_truth_risk`: ``eps^2 ||theta*||_q^2`` for the clean target,
0 for the consistent one), never assumed; a ratio to it is formed only where it is positive.
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

__all__ = ["SPECTRA", "REGIME_SPECTRA", "spectrum_setting", "spectrum_array", "theta_star", "Summary",
           "write_table", "write_json", "read_json", "pieces_dir", "NOISE", "SIGNAL", "ReproduceError",
           "sweep_spec", "sweep_specs", "ground_truth_risk", "ratio_or_nan", "sweep_signal"]

NOISE = 1.0
SIGNAL = 1.0
SPECTRA = ("two_level", "bllt_log")
#: The spectra of the regime map: flat tails, which the theory reaches at n = 10^5.
REGIME_SPECTRA = ("two_level", "spiked")
N_SPIKES = 10


class ReproduceError(ValueError):
    """A user-facing problem with a reproduction run (bad experiment name, foreign output directory)."""


def spectrum_setting(kind: str, n: int) -> tuple[int, dict[str, Any]]:
    """``(p, params)`` with ``spectra.<kind>(p, **params)`` the benign instance at sample size n."""
    if kind == "two_level":
        p = int(round(n**1.5))
        return p, {"low": math.sqrt(n) / p, "tau": 2.0}
    if kind == "bllt_log":
        return 20 * n, {"beta": 2.0}
    if kind == "spiked":
        p = max(int(round(n**1.5)), N_SPIKES + 1)
        return p, {"n_spikes": N_SPIKES, "spike": 1.0, "tail": math.sqrt(n) / (p - N_SPIKES)}
    raise ReproduceError(f"unknown spectrum {kind!r}; expected one of {SPECTRA + ('spiked',)}")


def spectrum_array(kind: str, n: int) -> np.ndarray:
    """The eigenvalues (diagonal of Sigma) of the benign instance at sample size n."""
    p, params = spectrum_setting(kind, n)
    return getattr(spectra, kind)(p, **params)


def theta_star(p: int) -> np.ndarray:
    """``SIGNAL * e_1``."""
    t = np.zeros(p)
    t[0] = SIGNAL
    return t


def sweep_signal(spec: str, who: str) -> float:
    """The sweep's ``signal`` for a ground truth an experiment simulates through the sweep layer, which
    carries ``theta* = signal * e_1`` only (until the sweep spec takes ``[[theta_star]]``): an ``e1``
    ground truth with ``normalise`` l2 or none gives its scale; anything else is a ReproduceError."""
    from ..ground_truth import resolve_theta_star

    gt = resolve_theta_star(spec)
    if gt.kind != "e1" or gt.normalise == "sigma":
        raise ReproduceError(f"{who} simulates through the sweep layer, which takes theta* = signal * e_1 "
                             f"only; got theta_star {gt.describe()!r} (the regime map simulates any "
                             "ground truth)")
    return gt.scale


def ground_truth_risk(theta_star, eps, norm: float = 2.0, target: str = "clean",
                      noise: float = NOISE) -> np.ndarray:
    """The ground truth's own adversarial risk (E,), computed for its target and attack norm.

    Clean: ``eps^2 ||theta*||_q^2`` (q the dual exponent); consistent: 0; noisy: the Gaussian closed
    form with ``R_0 = 0`` (``fastrisk.risk.ground_truth_adversarial_risk``)."""
    from ..risk import ground_truth_adversarial_risk

    return ground_truth_adversarial_risk(theta_star, eps, norm=norm, target=target, noise=noise)


def ratio_or_nan(num, den):
    """``num / den`` where ``den > 0``, NaN where the ground truth's risk is 0: a ratio to 0 is never
    formed (the consistent target, eps = 0)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def sweep_spec(kind: str, ns, seeds: int, *, lam: list[float] | None = None,
               lam_n: dict | None = None, eps, norm, target=("clean",), signal: float = SIGNAL) -> dict:
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
        path["lam_n"] = dict(lam_n or {})
    spec: dict[str, Any] = {"model": "linear", "n": ns, "seeds": int(seeds), "noise": [NOISE],
                            "signal": float(signal), "path": path}
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
    #: Markdown blocks (a table, a caption) printed after the findings, before the figures.
    sections: list[str] = field(default_factory=list)
    #: One caption per PNG figure (same order), printed under it; may be empty.
    captions: list[str] = field(default_factory=list)

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


def pieces_dir(out, name: str, cfg, what: str) -> tuple[Path, Path]:
    """``(out/name, out/name/pieces)`` for an experiment that writes its own pieces (one per seed or
    setting, skipped on a rerun), with the configuration ``cfg`` (a dataclass) recorded in
    ``pieces/config.json``; pieces of another configuration are refused (ReproduceError naming ``what``)."""
    d = Path(out) / name
    pieces = d / "pieces"
    pieces.mkdir(parents=True, exist_ok=True)
    cfg_json = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(cfg).items()}
    man = pieces / "config.json"
    if man.exists() and read_json(man) != cfg_json:
        raise ReproduceError(f"{pieces} holds {what} results of another configuration; choose another --out")
    write_json(cfg_json, man)
    return d, pieces
