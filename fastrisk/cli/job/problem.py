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

__all__ = ["SPECTRA", "N_SPIKES", "Problem", "default_p", "build_spectrum", "build_problem"]

SPECTRA = ("two_level", "bllt_log", "spiked", "power_law", "isotropic")
N_SPIKES = 10  # spikes of the "spiked" preset: it needs p >= N_SPIKES


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


def build_spectrum(kind: str, n: int, p: int) -> np.ndarray:
    """Eigenvalues (p,) of the preset ``kind`` at sample size n (two_level's tail mass is sqrt(n))."""
    if kind == "two_level":
        return spectra.two_level(p, math.sqrt(n) / p, tau=2.0)
    if kind == "bllt_log":
        return spectra.bllt_log(p, beta=2.0)
    if kind == "spiked":
        return spectra.spiked(p, N_SPIKES, spike=1.0, tail=0.05)
    if kind == "power_law":
        return spectra.power_law(p, a=1.0)
    return spectra.isotropic(p)


def build_problem(args: argparse.Namespace, p: int) -> Problem:
    """The problem the flags describe, at p features (theta* = e_1, the first eigendirection)."""
    spec = build_spectrum(args.spectrum, args.n, p)
    theta_star = np.zeros(p)
    theta_star[0] = 1.0
    return Problem(spec, theta_star, "e_1")
