"""The main job's problem: the spectrum presets, the default p, and the ground truth theta*.

One place builds the problem from the parsed flags (:func:`build_problem`), so a new flag that changes the
problem (another ground truth, a parameter of a preset) changes this module and its flags in
:mod:`.args`, nothing else: :mod:`.compute` runs whatever problem it gets, and the table, the JSON and the
figure print its labels.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np

from ... import spectra

__all__ = ["SPECTRA", "N_SPIKES", "Problem", "default_p", "build_spectrum", "build_problem",
           "SPECTRUM_PARAMS", "n_spikes"]

SPECTRA = ("two_level", "bllt_log", "spiked", "power_law", "isotropic")
N_SPIKES = 10  # spikes of the "spiked" preset: it needs p >= N_SPIKES
#: The keyword arguments of each preset that ``--spectrum-param`` may set (the rest are fixed by n, p).
SPECTRUM_PARAMS = {"two_level": ("low", "tau", "high"), "bllt_log": ("beta", "a", "scale"),
                   "spiked": ("n_spikes", "spike", "tail"), "power_law": ("a", "scale"),
                   "isotropic": ("scale",)}
_INTEGER_PARAMS = ("n_spikes",)


@dataclass(frozen=True)
class Problem:
    """A resolved problem: the covariance eigenvalues (p,), theta* (p,) and how to name theta*."""

    spectrum: np.ndarray
    theta_star: np.ndarray
    theta_star_label: str

    @property
    def p(self) -> int:
        return int(self.spectrum.size)


def default_p(kind: str, n: int) -> int:
    """The preset's number of features at sample size n (overparameterised: p > n for every preset)."""
    return {"two_level": int(round(n**1.5)), "bllt_log": 20 * n, "spiked": 5 * n,
            "power_law": 10 * n, "isotropic": 2 * n}[kind]


def resolve_p(args: argparse.Namespace) -> int:
    """p from ``--p``, or the preset's default."""
    return args.p or default_p(args.spectrum, args.n)


def n_spikes(args: argparse.Namespace) -> int:
    """The spikes of the ``spiked`` preset (``--spectrum-param n_spikes=...``, default 10)."""
    for key, v in getattr(args, "spectrum_param", []):
        if key == "n_spikes":
            return int(v)
    return N_SPIKES


def build_spectrum(kind: str, n: int, p: int, **params) -> np.ndarray:
    """Eigenvalues (p,) of the preset ``kind`` at sample size n (two_level's tail mass is sqrt(n)), with
    ``params`` (a subset of :data:`SPECTRUM_PARAMS`) replacing the defaults."""
    if kind == "two_level":
        kw = {"low": math.sqrt(n) / p, "tau": 2.0, **params}
        return spectra.two_level(p, kw.pop("low"), **kw)
    if kind == "bllt_log":
        return spectra.bllt_log(p, **{"beta": 2.0, **params})
    if kind == "spiked":
        kw = {"n_spikes": N_SPIKES, "spike": 1.0, "tail": 0.05, **params}
        return spectra.spiked(p, kw.pop("n_spikes"), **kw)
    if kind == "power_law":
        return spectra.power_law(p, **{"a": 1.0, **params})
    return spectra.isotropic(p, **params)


def build_problem(args: argparse.Namespace, p: int) -> Problem:
    """The problem the flags describe, at p features: the preset with ``--spectrum-param`` and theta*
    from ``--theta-star`` (default ``e1``, the first eigendirection), built by
    :func:`fastrisk.make_theta_star`'s vocabulary. A value the preset or the ground truth refuses is a
    UsageError naming its flag."""
    from .args import UsageError

    params = {}
    for key, v in getattr(args, "spectrum_param", []):
        if key in _INTEGER_PARAMS:
            if v != int(v):
                raise UsageError(f"argument --spectrum-param: {key} must be an integer, got {v:g}")
            v = int(v)
        params[key] = v
    try:
        spec = build_spectrum(args.spectrum, args.n, p, **params)
    except (ValueError, TypeError) as e:
        raise UsageError(f"argument --spectrum-param: --spectrum {args.spectrum}: {e}") from None
    gt = getattr(args, "theta_star", None)
    if gt is None:  # the default: e_1, labelled as always
        theta_star = np.zeros(p)
        theta_star[0] = 1.0
        return Problem(spec, theta_star, "e_1")
    try:
        theta_star = gt.build(spec, n=args.n)
    except ValueError as e:
        raise UsageError(f"argument --theta-star: {str(e).removeprefix('theta_star ')}") from None
    return Problem(spec, theta_star, gt.describe())
