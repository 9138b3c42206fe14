"""The raw shapes of each kind (before normalisation), on a full spectrum or a compact one (leading
eigenvalues + a flat tail), and the resolution of relative indices (k*, n)."""

from __future__ import annotations

import math

import numpy as np

from .. import config
from .._validation import check_positive_int
from ..kernels.theory import non_increasing
from ._values import DENSE_STREAM, _digest, _fail, _load_npy, _split_rel


def _kstar_array(s: np.ndarray, n) -> int:
    from ..theory.ranks import critical_index  # the theory layer (scipy.optimize) only when asked

    return critical_index(s, check_positive_int(n, "n"))


def _kstar_compact(lead: np.ndarray, tail: float, p: int, n) -> int:
    """``critical_index`` of ``lead`` + ``(p - m) x tail`` without the long array (b = 1).

    Runs of equal eigenvalues in decreasing order; within a run r_k decreases with k, so k* is the first
    position of the first run whose first position qualifies (or p)."""
    n = check_positive_int(n, "n")
    vals = np.concatenate([lead, [tail]]) if p > lead.size else lead.copy()
    cnts = np.concatenate([np.ones(lead.size), [p - lead.size]]) if p > lead.size else np.ones(lead.size)
    order = np.argsort(-vals, kind="stable")
    vals, cnts = vals[order], cnts[order]
    after = np.concatenate([np.cumsum((vals * cnts)[::-1])[::-1][1:], [0.0]])
    start = 0
    for v, c, rest in zip(vals, cnts, after, strict=True):
        if v > 0 and (c * v + rest) / v >= n:
            return int(start)
        start += int(c)
    return int(p)


def _power(s: np.ndarray, a: float) -> np.ndarray:
    """``lambda^a`` (0 where lambda = 0 and a < 0); the common exponents without ``pow``."""
    if a == 1.0:
        out = s.astype(np.float64, copy=True)
    elif a == 0.5:
        out = np.sqrt(s)
    elif a == 0.0:
        out = np.ones_like(s, dtype=np.float64)
    elif a < 0:
        out = np.zeros_like(s, dtype=np.float64)
        with np.errstate(divide="ignore", over="ignore"):
            np.power(s, a, where=s > 0, out=out)
    else:
        with np.errstate(over="ignore"):
            out = np.power(s, a)
    if not np.all(np.isfinite(out)):
        _fail("power", f"lambda^a overflows for a = {a!r} on this spectrum")
    return out


def _block_rng(seed: int, c: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DENSE_STREAM, c)))


def _dense_block(seed: int, dist: str, c: int, size: int) -> np.ndarray:
    g = _block_rng(seed, c)
    if dist == "sign":
        return np.where(g.random(size) < 0.5, -1.0, 1.0)
    return g.standard_normal(size)


def _dense(seed: int, dist: str, lo: int, hi: int) -> np.ndarray:
    """Entries lo..hi-1 of the dense stream (whole generation blocks drawn, then cut)."""
    g = config.GEN_BLOCK
    out = np.empty(hi - lo)
    for c in range(lo // g, -(-hi // g)):
        b0 = c * g
        blk = _dense_block(seed, dist, c, g)
        a, b = max(lo, b0), min(hi, b0 + g)
        out[a - lo:b - lo] = blk[a - b0:b - b0]
    return out


def _dense_sumsq(seed: int, lo: int, hi: int) -> float:
    """Sum of squares of the Gaussian stream's entries lo..hi-1, one block at a time (O(block) memory)."""
    g = config.GEN_BLOCK
    chunk = 256 * g
    tot = 0.0
    for a in range(lo, hi, chunk):
        v = _dense(seed, "gaussian", a, min(hi, a + chunk))
        tot += float(v @ v)
    return tot


def indices(gt, kstar, n, p) -> dict[str, int]:
    out = {}
    for key in ("k", "start", "stop"):
        if key not in dict(gt.params):
            continue
        v = gt.param(key)
        if isinstance(v, int):
            out[key] = v
            continue
        c, ref = _split_rel(v)
        if n is None:
            _fail(gt.kind, f"{key}={v!r} is relative to {ref} and needs n (the sample size)")
        base = kstar() if ref == "k*" else check_positive_int(n, "n")
        out[key] = int(math.floor(c * base + 0.5))
    if gt.kind == "top_k":
        if not 1 <= out["k"] <= p:
            _fail(gt.kind, f"k must be in [1, p = {p}], got {out['k']}"
                  + (f" (k = {gt.param('k')})" if isinstance(gt.param("k"), str) else ""))
    if gt.kind == "band":
        a, b = out["start"], out["stop"]
        if not 0 <= a < b <= p:
            rel = f" (start = {gt.param('start')}, stop = {gt.param('stop')})" \
                if any(isinstance(gt.param(x), str) for x in ("start", "stop")) else ""
            _fail(gt.kind, f"needs 0 <= start < stop <= p = {p}, got start = {a}, stop = {b}{rel}")
    return out


def positions(gt, s: np.ndarray, n) -> np.ndarray:
    """Coordinates of the eigen-directions the kind weights (top_k, band)."""
    idx = indices(gt, lambda: _kstar_array(s, n), n, s.size)
    a, b = (0, idx["k"]) if gt.kind == "top_k" else (idx["start"], idx["stop"])
    if s.size < 2 or non_increasing(s):
        return np.arange(a, b)
    return np.argsort(-s, kind="stable")[a:b]


def raw_full(gt, s: np.ndarray, n) -> np.ndarray:
    p = s.size
    k = gt.kind
    if k == "e1":
        out = np.zeros(p)
        out[0] = 1.0
        return out
    if k in ("top_k", "band"):
        out = np.zeros(p)
        out[positions(gt, s, n)] = 1.0
        return out
    if k == "power":
        return _power(s, gt.param("a"))
    if k == "dense":
        return _dense(gt.param("seed"), gt.param("dist"), 0, p)
    return _explicit(gt, p).copy()


def raw_compact(gt, lead, tail, p, n) -> tuple[np.ndarray, float]:
    """Raw (unnormalised) theta* on the lead and the squared l2 norm of its tail part."""
    m, rest = lead.size, p - lead.size
    k = gt.kind
    if k == "e1":
        if m == 0:
            _fail(k, "a compact spectrum needs at least one leading eigenvalue for e1")
        out = np.zeros(m)
        out[0] = 1.0
        return out, 0.0
    if k in ("top_k", "band"):
        idx = indices(gt, lambda: _kstar_compact(lead, tail, p, n), n, p)
        a, b = (0, idx["k"]) if k == "top_k" else (idx["start"], idx["stop"])
        # decreasing order: leading values above the tail (stable), the tail block, then the rest
        order = np.argsort(-lead, kind="stable")
        above = order[lead[order] >= tail]
        below = order[lead[order] < tail]
        out = np.zeros(m)
        out[above[a:b]] = 1.0
        t0, t1 = above.size, above.size + rest
        n_tail = max(0, min(b, t1) - max(a, t0))
        lo, hi = max(a - t1, 0), max(b - t1, 0)
        out[below[lo:hi]] = 1.0
        return out, float(n_tail)
    if k == "power":
        a = gt.param("a")
        return _power(lead, a), float(rest) * (_power(np.array([tail]), a)[0] ** 2 if rest else 0.0)
    if k == "dense":
        seed, dist = gt.param("seed"), gt.param("dist")
        out = _dense(seed, dist, 0, m)
        if dist == "sign":
            return out, float(rest)
        return out, _dense_sumsq(seed, m, p)
    arr = _explicit(gt, p)
    return arr[:m].copy(), float(arr[m:] @ arr[m:])


def _explicit(gt, p: int) -> np.ndarray:
    """The array of a ``file`` or ``array`` ground truth, checked against its digest and p."""
    arr = gt._array if gt._array is not None else _load_npy(gt.param("path"))
    if gt.kind == "file" and _digest(arr) != gt.param("sha256"):
        _fail(gt.kind, f"{gt.param('path')!r} changed since it was described (SHA-256 differs)")
    if arr.size != p:
        _fail(gt.kind, f"has {arr.size} entries, the spectrum {p}")
    return arr
