"""Expand a :class:`~fastrisk.sweep.spec.Spec` into tasks: plain, picklable dicts.

A *task* is one (spectrum, n, p, noise, seed); a *group* is one (spectrum, n, p, noise), the tasks that
differ only in the seed (the theory columns are computed once per group). Order is canonical and part
of the store's layout: spectrum, then n, then p, then noise, then seed (innermost), numbered from 0.

Everything a task needs travels in it (resolved spectrum parameters, the unnormalised penalties, the
absolute radii), so it runs in any process of any machine without the spec.
"""

from __future__ import annotations

import math

import numpy as np

from .. import spectra
from .spec import Spec, SpecError

__all__ = ["expand", "Grid"]


class Grid:
    """The expanded sweep: ``tasks`` (one dict per task) and ``groups`` (one dict per group)."""

    def __init__(self, tasks: list[dict], groups: list[dict]):
        self.tasks = tasks
        self.groups = groups

    @property
    def rows_per_task(self) -> int:
        t = self.tasks[0]
        return len(t["lam"]) * len(t["eps"]) * len(t["norms"]) * len(t["targets"])


def _resolve_spectrum(sp, i: int, n: int, p: int) -> tuple[dict, np.ndarray]:
    params = sp.resolve(n, p)
    try:
        s = getattr(spectra, sp.kind)(p, **params)
    except (TypeError, ValueError) as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in params.items())
        raise SpecError(f"spectrum[{i}] ({sp.kind}) is invalid at n={n}, p={p} ({shown}): {exc}") from None
    if not np.all(np.isfinite(s)) or float(np.sum(s)) <= 0:
        raise SpecError(f"spectrum[{i}] ({sp.kind}) at n={n}, p={p} has no positive finite mass")
    return params, s


def expand(spec: Spec) -> Grid:
    """All tasks and groups of ``spec`` in canonical order (validates the n/p-dependent values)."""
    tasks: list[dict] = []
    groups: list[dict] = []
    for i, sp in enumerate(spec.spectra):
        for n in spec.n:
            for p in spec.p_values(n):
                params, s = _resolve_spectrum(sp, i, n, p)
                scale = float(n) ** spec.eps_n_power * float(p) ** spec.eps_p_power
                if spec.eps_relative:
                    scale *= math.sqrt(float(np.sum(s)))
                eps = [v * scale for v in spec.eps_values]
                if not all(math.isfinite(e) for e in eps):
                    raise SpecError(f"path.eps is not finite at n={n}, p={p}")
                lam = spec.lam_for(n)
                for noise in spec.noise:
                    g = len(groups)
                    base = {
                        "group": g, "model": spec.model, "spectrum": sp.name, "kind": sp.kind,
                        "params": params, "n": n, "p": p, "noise": noise, "signal": spec.signal,
                        "lam": lam, "eps": eps, "eps_spec": list(spec.eps_values),
                        "norms": list(spec.norms), "targets": list(spec.targets),
                        "test_size": spec.test_size, "ntk": dict(spec.ntk),
                        "stream": (spec.model == "linear" and spec.stream_min is not None and n <= p
                                   and n * p >= spec.stream_min),
                    }
                    groups.append(dict(base, kind_of_unit="theory"))
                    for seed in spec.seeds:
                        tasks.append(dict(base, id=len(tasks), seed=seed, kind_of_unit="task"))
    return Grid(tasks, groups)
