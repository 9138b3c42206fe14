"""How finely a path resolves each penalty: the per-penalty accuracy bound and the float32 warning.

A Gram eigendecomposition computed in precision ``eps`` (float32: the Gram and ``eigh`` both in
float32) resolves every eigenvalue only to an absolute error of about ``eps * s_max``, however small
the eigenvalue (measured on every spectrum preset: at most 0.4, 3.5 and 4 ``eps * s_max`` for float32
Grams of size g = 200, 1000 and 1500, growing about like g). The ridge filter ``1 / (s_i + lam)`` is
therefore resolved to ::

    b(lam) = eps * s_max / (s_min + lam)        relative (s_min: the smallest kept eigenvalue)

and every output of the path (standard and adversarial risks, l_q norms, degrees of freedom) to ::

    a(lam) = config.ACCURACY_C * g * (eps + b(lam))      relative.

The ``eps`` term is the rounding every output carries even where the filter is resolved exactly (the
float32 eigenvectors; the degrees of freedom at large penalties, which are the trace of the Gram
divided by lam). ``config.ACCURACY_C`` is measured: over every preset at n = 200, 1000 and 1500
(p = 10 n; ``benchmarks/float32_accuracy.py``, docs/guide/accuracy.md) the worst error is below a third of
``a(lam)``. Two things set it: the eigenvalue error growing like g, and the risk's sensitivity
``2 sqrt(theta^T Sigma theta / R)`` to a relative error in theta (about 10 near the best penalty).
l_q norms: ``| ||theta'||_q - ||theta||_q | <= ||theta' - theta||_q``, which for a perturbation spread
over the features is of the size of the l2 one relative to each norm (measured within the same
bound for q = 1, 2, inf); the worst case (a perturbation concentrated where theta is not) can exceed it
by the norm-equivalence factor ``p^|1/q - 1/2|``, not seen on any preset.

``method="svd"`` resolves singular values, not their squares, to ``eps * sigma_max``: its ``b(lam)`` is
``max_i 2 eps sqrt(s_max s_i) / (s_i + lam)`` over the kept eigenvalues, with the same ``a(lam)``.

The bound is per penalty, never a dropped-mass criterion: a few badly resolved small eigenvalues carry
most of the min-norm interpolator's error through ``1 / s_i``, while large penalties damp them. A
float32 path warns (:class:`fastrisk.Float32AccuracyWarning`) once, at construction, naming the
penalties whose ``a(lam)`` exceeds the documented float32 accuracy ``config.FLOAT32_RTOL``. The check
costs O(L) after the eigendecomposition (nothing is refined in float64).
"""

from __future__ import annotations

import math

import numpy as np

from .. import config
from .._warnings import Float32AccuracyWarning, warn

__all__ = ["filter_resolution", "accuracy_bound", "accuracy_flags", "accuracy_note", "flag_note",
           "warn_float32"]


def filter_resolution(path) -> np.ndarray:
    """``b(lam)`` (L,): the relative resolution of the filter ``1 / (s_i + lam)`` at each penalty."""
    sp = path.spec
    eps = float(np.finfo(sp.dtype).eps)
    lam = np.asarray(path.lam, dtype=np.float64)
    if sp.rank == 0:
        return np.zeros(lam.shape)
    s_min, s_max = float(sp.s[sp.start]), float(sp.s[-1])
    if getattr(path, "method", "gram") == "svd":  # singular values resolved to eps * sigma_max
        s_star = np.clip(lam, s_min, s_max)  # the kept s maximising sqrt(s) / (s + lam)
        with np.errstate(divide="ignore"):
            return 2.0 * eps * np.sqrt(s_max * s_star) / (s_star + lam)
    with np.errstate(divide="ignore"):
        return eps * s_max / (s_min + lam)


def accuracy_bound(path) -> np.ndarray:
    """``a(lam)`` (L,): relative accuracy of every output at each penalty (see the module notes)."""
    eps = float(np.finfo(path.spec.dtype).eps)
    return config.ACCURACY_C * path.spec.dim * (eps + filter_resolution(path))


def accuracy_flags(path) -> np.ndarray:
    """(L,) bool: the penalties of a float32 path whose bound exceeds ``config.FLOAT32_RTOL`` (all
    False on a float64 path, whose accuracy the ill-conditioning warning covers)."""
    if path.spec.dtype != np.float32:
        return np.zeros(path.lam.shape, dtype=bool)
    return accuracy_bound(path) > config.FLOAT32_RTOL


def accuracy_note(path) -> str | None:
    """One line naming the flagged penalties of a float32 path and their worst bound, or None when
    none is flagged (what the warning says, and what ``fastrisk --json`` records in ``notes``)."""
    if path.spec.dtype != np.float32:
        return None
    return flag_note(path.lam, accuracy_bound(path), path.n)


def flag_note(lam: np.ndarray, bound: np.ndarray, n: int | None = None) -> str | None:
    """The note for penalties ``lam`` (L,) of a float32 path with bounds ``bound`` (L,) (e.g. from
    :func:`fastrisk.ridge_path_risks`): None when no bound exceeds ``config.FLOAT32_RTOL``."""
    flags = bound > config.FLOAT32_RTOL
    if not flags.any():
        return None
    lam = np.asarray(lam)[flags]
    lo, hi = float(lam.min()), float(lam.max())
    span = f"lam = {lo:.3g}" if lo == hi else f"lam in [{lo:.3g}, {hi:.3g}]"
    per_n = f", lam/n up to {hi / n:.3g}" if n else ""
    return (f"this float32 path resolves {int(flags.sum())} of {flags.size} penalties ({span}{per_n}) "
            f"only to {_fmt(float(bound[flags].max()))} relative, coarser than the documented float32 "
            f"accuracy {config.FLOAT32_RTOL:g}: use float64 for these penalties")


def warn_float32(path) -> None:
    """Warn (:class:`fastrisk.Float32AccuracyWarning`) when a float32 path flags any penalty."""
    note = accuracy_note(path)
    if note is not None:
        warn(note, Float32AccuracyWarning)


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:.2g}"
