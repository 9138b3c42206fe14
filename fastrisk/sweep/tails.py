"""``tail = "wishart"`` in a sweep: the compact spectrum and ground truth of a task, never of length p.

With ``tail = "wishart"`` a linear task's spectrum is its preset built with ``compact=True`` (a
:class:`~fastrisk.spectra.FlatTail`: the leading eigenvalues, the tail value and p), theta* is
:meth:`fastrisk.ground_truth.GroundTruth.build_compact` (theta* on the leading coordinates and the l2 norm
of its tail part), and the path is ``RidgePath.from_design(designs, n, lam, seed, tail="wishart")``:
the tail's Gram drawn from its Wishart law, exact in law for every l2 quantity at a cost that does not
grow with p (:mod:`fastrisk.ridge._wishart`). Nothing of a task, its size check, its theory columns or
the manifest holds an array of length p, so p = 10^9 costs what p = 10^4 does.

An isotropic spectrum has no leading coordinate of its own (``FlatTail([], scale, p)``); its first
coordinate is made a leading one (``FlatTail([scale], scale, p)``, the same spectrum) so that theta* =
e_1 lies on a coordinate drawn explicitly.
"""

from __future__ import annotations

import math

import numpy as np

from .. import spectra
from ..ground_truth import GroundTruth
from ..spectra import FlatTail
from .keys import TAILS, WISHART_KINDS

__all__ = ["TAILS", "WISHART_KINDS", "compact_spectrum", "compact_truth", "check_flat", "trace_of",
           "lead_count", "norms"]

def compact_spectrum(kind: str, p: int, params: dict) -> FlatTail:
    """``spectra.<kind>(p, **params, compact=True)``, with at least one leading coordinate when p > 1."""
    s = getattr(spectra, kind)(p, **params, compact=True)
    if s.m == 0 and s.p > 1:
        s = FlatTail([s.tail], s.tail, s.p)
    return s


def check_flat(s: FlatTail) -> str | None:
    """Why the Wishart route cannot simulate ``s`` (None when it can): it needs the tail value on at
    least half of the coordinates (:func:`fastrisk.ridge._wishart.tail_view`)."""
    if s.n_tail < 1 or 2 * s.n_tail < s.p:
        return (f"its flat tail covers {s.n_tail} of its p = {s.p} coordinates ({s.m} leading ones differ), "
                "and tail = \"wishart\" needs at least half of them")
    return None


def compact_truth(truth: GroundTruth | None, signal: float, s: FlatTail, n: int) -> tuple[np.ndarray, float]:
    """``(theta_lead, tail_norm)`` of a task: its ground truth built compactly, or ``signal * e_1``.

    Every l2 quantity of a task depends on theta*'s tail part only through its norm (the tail is
    rotation invariant), so the sign of ``signal`` on a tail coordinate (a one-coordinate spectrum has
    none to spare) is immaterial."""
    if truth is None:
        lead = np.zeros(s.m)
        if s.m:
            lead[0] = signal
            return lead, 0.0
        return lead, abs(float(signal))
    return truth.build_compact(np.asarray(s.lead), s.tail, s.p, n=n)


def trace_of(s) -> float:
    """``tr(Sigma)`` of a spectrum, compact or not."""
    return s.trace if isinstance(s, FlatTail) else float(np.sum(s))


def lead_count(kind: str, p: int, params: dict) -> int:
    """How many leading coordinates the compact spectrum of a task has (0 when its parameters are
    invalid: the grid's expansion reports those)."""
    try:
        return compact_spectrum(kind, p, params).m
    except (TypeError, ValueError):
        return 0


def norms(theta_lead: np.ndarray, tail_norm: float, s: FlatTail) -> tuple[float, float]:
    """``(||theta*||_2, ||theta*||_Sigma)`` from the compact form."""
    l2 = math.sqrt(float(theta_lead @ theta_lead) + tail_norm * tail_norm)
    sig = math.sqrt(float(np.sum(np.asarray(s.lead) * theta_lead * theta_lead)) + s.tail * tail_norm**2)
    return l2, sig
