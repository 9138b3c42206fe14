"""Values of the ground-truth vocabulary: the kinds, their parameters, and the checks that turn a spec's
(or the command line's) values into the canonical ones, each failure one line naming the key."""

from __future__ import annotations

import hashlib
import math
import os
import re
from numbers import Integral, Real
from typing import Any, NoReturn

import numpy as np

#: Kinds a spec or the command line may name (``array`` comes only from an explicit array).
KINDS = ("e1", "top_k", "band", "power", "dense", "file")
#: What ``scale`` states: ``||theta*||_2``, ``||theta*||_Sigma``, or a plain factor of the raw shape.
NORMALISE = ("l2", "sigma", "none")
#: First key of the SeedSequence children of a dense ground truth (apart from the design's streams).
DENSE_STREAM = 0x7468

_COMMON = ("name", "scale", "normalise")
# per kind: parameter -> (type tag, default or _REQUIRED)
_REQUIRED = object()
_PARAMS: dict[str, dict[str, tuple[str, Any]]] = {
    "e1": {},
    "top_k": {"k": ("index", _REQUIRED)},
    "band": {"start": ("index", _REQUIRED), "stop": ("index", _REQUIRED)},
    "power": {"a": ("real", 1.0)},
    "dense": {"seed": ("seed", 0), "dist": ("dist", "sign")},
    "file": {"path": ("path", _REQUIRED), "sha256": ("digest", None)},
    "array": {"sha256": ("digest", _REQUIRED)},
}
_DISTS = ("sign", "gaussian")
_REL = re.compile(r"^(?:(\d+(?:\.\d*)?|\.\d+)\s*\*?\s*)?(k\*|n)$")


def _fail(kind: str | None, msg: str) -> NoReturn:
    where = f"theta_star {kind}" if kind else "theta_star"
    raise ValueError(f"{where}: {msg}")


# ------------------------------------------------------------------------------------------ values
def _as_index(kind: str, key: str, v) -> int | str:
    """An index parameter: an int >= 0, or a relative expression kept as its canonical text."""
    if isinstance(v, (bool, np.bool_)):
        _fail(kind, f"{key} must be an integer >= 0 or relative to k* or n (e.g. 'k*', '2k*', '0.5n'), "
                    f"got {v!r}")
    if isinstance(v, Integral):
        if v < 0:
            _fail(kind, f"{key} must be >= 0, got {int(v)}")
        return int(v)
    if isinstance(v, Real) and not isinstance(v, Integral):
        f = float(v)
        if math.isfinite(f) and f == int(f) and f >= 0:
            return int(f)
        _fail(kind, f"{key} must be an integer >= 0 or relative to k* or n (e.g. 'k*', '2k*', '0.5n'), "
                    f"got {v!r}")
    if isinstance(v, str):
        t = v.strip().replace(" ", "")
        if re.fullmatch(r"\d+", t):
            return int(t)
        m = _REL.match(t)
        if m:
            c = 1.0 if m.group(1) is None else float(m.group(1))
            if c <= 0:
                _fail(kind, f"{key}: the factor of {m.group(2)} must be > 0, got {v!r}")
            return (m.group(2) if c == 1.0 else f"{c:g}{m.group(2)}")
    _fail(kind, f"{key} must be an integer >= 0 or relative to k* or n (e.g. 'k*', '2k*', '0.5n'), "
                f"got {v!r}")


def _as_real(kind: str, key: str, v, *, minimum: float | None = None) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (Real, str)):
        _fail(kind, f"{key} must be a real number, got {v!r}")
    try:
        f = float(v)
    except ValueError:
        _fail(kind, f"{key} must be a real number, got {v!r}")
    if not math.isfinite(f):
        _fail(kind, f"{key} must be finite, got {v!r}")
    if minimum is not None and f < minimum:
        _fail(kind, f"{key} must be >= {minimum:g}, got {v!r}")
    return f


def _as_seed(kind: str, key: str, v) -> int:
    if isinstance(v, (bool, np.bool_)):
        _fail(kind, f"{key} must be an integer >= 0, got {v!r}")
    if isinstance(v, str) and re.fullmatch(r"\s*\d+\s*", v):
        return int(v)
    if isinstance(v, Integral) and int(v) >= 0:
        return int(v)
    _fail(kind, f"{key} must be an integer >= 0, got {v!r}")


def _convert(kind: str, key: str, tag: str, v):
    if tag == "index":
        return _as_index(kind, key, v)
    if tag == "real":
        return _as_real(kind, key, v)
    if tag == "seed":
        return _as_seed(kind, key, v)
    if tag == "dist":
        if not isinstance(v, str) or v.strip().lower() not in _DISTS:
            _fail(kind, f"{key} must be one of {', '.join(_DISTS)}, got {v!r}")
        return v.strip().lower()
    if tag == "path":
        if not isinstance(v, (str, os.PathLike)) or not os.fspath(v).strip():
            _fail(kind, f"{key} must be the path of a .npy file, got {v!r}")
        return os.fspath(v).strip()
    if tag == "digest":
        if not isinstance(v, str) or not re.fullmatch(r"[0-9a-f]{64}", v):
            _fail(kind, f"{key} must be a SHA-256 hex digest, got {v!r}")
        return v
    raise AssertionError(tag)


def _load_npy(path: str) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        _fail("file", f"path {path!r} does not exist")
    except (OSError, ValueError) as exc:
        _fail("file", f"path {path!r} is not a readable .npy array ({exc})")
    return _check_raw(np.asarray(arr), "file", f"the array in {path!r}")


def _check_raw(arr: np.ndarray, kind: str, what: str) -> np.ndarray:
    if arr.dtype == object or arr.dtype.kind not in "biuf" or arr.dtype == bool:
        _fail(kind, f"{what} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1 or arr.size == 0:
        _fail(kind, f"{what} must be a non-empty 1-D array, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        _fail(kind, f"{what} contains NaN or inf")
    return arr


def _digest(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr, dtype="<f8").tobytes()).hexdigest()


def _fmt(v) -> str:
    return repr(v) if isinstance(v, float) else str(v)


def _default_normalise(kind: str) -> str:
    return "none" if kind == "array" else "l2"


def _split_rel(v: str) -> tuple[float, str]:
    m = _REL.match(v)
    if m is None:  # canonical texts always match (they come from _as_index)
        raise ValueError(f"not a relative index: {v!r}")
    return (1.0 if m.group(1) is None else float(m.group(1))), m.group(2)


def _check_normalise(kind: str, v) -> str:
    if not isinstance(v, str) or v.strip().lower() not in NORMALISE:
        _fail(kind, f"normalise must be one of {', '.join(NORMALISE)}, got {v!r}")
    return v.strip().lower()
