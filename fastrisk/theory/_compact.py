"""Compact flat-tail spectra (:class:`fastrisk.spectra.FlatTail`) in the deterministic equivalents.

A FlatTail stands for ``lead`` on the first m coordinates and ``tail`` on the other ``p - m``; with it,
``theta_star`` holds theta* on the leading coordinates and ``theta_tail_norm`` the l2 norm of its tail
part. The spectral sums see the tail as one atom of multiplicity ``p - m`` and theta*'s tail part as
its squared mass on that atom, so the l2 quantities (risk, bias, variance, ``E||theta||_2^2``,
``E theta^T theta*``) are exact for any tail part. The sequence-model norms ``norm1``/``norm_inf``
depend on how the tail part is spread over the tail coordinates, which the norm does not say: they
are computed for a tail part of 0 and are NaN otherwise (l1 / l_inf attacks are then refused).

The atoms are those of the short array ``(lead, tail)`` with theta* ``(theta_lead, t)``, built by the
solver's own :class:`_Atoms`, with the tail atom's multiplicity raised to ``p - m``: no array of length
p is formed.
"""

from __future__ import annotations

from typing import TypeGuard

import numpy as np

from .._validation import check_nonnegative_float, check_vector
from ..spectra import FlatTail
from . import _scale

__all__ = ["is_compact", "validate", "exponent", "scaled", "atoms"]


def is_compact(spectrum) -> TypeGuard[FlatTail]:
    return isinstance(spectrum, FlatTail)


def validate(spectrum: FlatTail, theta_star, theta_tail_norm) -> tuple[FlatTail, np.ndarray]:
    """``(spectrum, ts)`` with ``ts = (theta_lead, t)`` (length m + 1: the tail part's norm last; m
    without a tail)."""
    ts = check_vector(theta_star, spectrum.m, "theta_star")
    t = 0.0 if theta_tail_norm is None else check_nonnegative_float(
        theta_tail_norm, "theta_tail_norm", " (the l2 norm of theta*'s tail part)")
    if spectrum.n_tail == 0:
        if t > 0:
            raise ValueError(f"theta_tail_norm must be 0: {spectrum!r} has no tail coordinate")
        return spectrum, ts
    return spectrum, np.append(ts, t)


def short(spectrum: FlatTail) -> np.ndarray:
    """The leading eigenvalues and the tail value, (m + 1,) (just the leading ones without a tail)."""
    return np.append(spectrum.lead, spectrum.tail) if spectrum.n_tail else np.asarray(spectrum.lead)


def exponent(spectrum: FlatTail) -> int:
    return _scale.spectrum_exponent(short(spectrum))


def scaled(spectrum: FlatTail, e: int) -> FlatTail:
    """The spectrum times ``2^e`` (exact)."""
    return FlatTail(_scale.ldexp(spectrum.lead, e), _scale.ldexp(spectrum.tail, e), spectrum.p)


def atoms(atoms_cls, spectrum: FlatTail, ts: np.ndarray, n: int, theta_exp: int = 0):
    """The solver's atoms for ``spectrum`` and ``ts = (theta_lead, t)`` (``theta_exp``: as the
    solver's, theta* scaled by ``2^theta_exp`` in its atoms)."""
    at = atoms_cls(short(spectrum), ts, n, theta_exp)
    extra = spectrum.n_tail - 1
    if spectrum.tail > 0 and extra > 0:
        counts = np.array(at.counts(), dtype=np.float64)
        counts[np.flatnonzero(at.lam == spectrum.tail)[0]] += extra
        at.mult = counts
        at.p_plus += extra
        at.trace += spectrum.tail * extra
    return at
