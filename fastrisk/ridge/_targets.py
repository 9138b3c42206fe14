"""Which population each target of a path is measured against.

A path holds k right-hand sides (the columns of Y, k = 1 for 1-D y). A risk needs a population
(Sigma, theta*, noise) for every target. Two conventions:

- one :class:`~fastrisk.GaussianDesign`: shared by every target (one theta*, one noise level);
- a sequence of k designs, one per target, sharing one covariance (X is one draw): target t is
  measured against ``designs[t]`` (its theta* and, for the ``"noisy"`` convention, its noise).

Targets whose designs have the same theta* (e.g. noise levels folded onto one draw) form one *group*:
what depends on theta* alone (its projections on the path, the remainder outside the row space, the
noiseless risk) is computed once per group.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import config
from ..design import GaussianDesign, _as_design

__all__ = ["Targets", "check_designs", "target_groups"]


class Targets:
    """k targets against their designs, grouped by theta*.

    Attributes
    ----------
    design : GaussianDesign, the first design (every design has its covariance)
    groups : list of GaussianDesign, one per distinct theta* (first occurrence)
    idx : ndarray (k,) int, the group of each target
    noise : ndarray (k,) float64, the noise level of each target's design
    key : bytes, the covariance and every target's theta* (the standard risk depends on nothing else)
    """

    def __init__(self, designs: list[GaussianDesign], k: int):
        if len(designs) == 1 and k > 1:
            designs = designs * k
        self.design = designs[0]
        self.groups: list[GaussianDesign] = []
        seen: dict[bytes, int] = {}
        idx = []
        for d in designs:
            u = seen.get(d.theta_key)
            if u is None:
                u = seen[d.theta_key] = len(self.groups)
                self.groups.append(d)
            idx.append(u)
        self.idx = np.array(idx, dtype=np.intp)
        self.noise = np.array([d.noise for d in designs], dtype=np.float64)
        self.key = self.design.cov_key + b"".join(self.groups[u].theta_key for u in idx)

    @property
    def k(self) -> int:
        return int(self.idx.shape[0])

    @property
    def u(self) -> int:
        """Number of distinct theta*."""
        return len(self.groups)

    def theta_star(self, t: int) -> np.ndarray:
        """theta* of target t, (p,)."""
        return self.groups[self.idx[t]].theta_star

    def theta_stars(self, cols=slice(None)) -> np.ndarray:
        """theta* of every group restricted to ``cols`` (features), shape (len(cols), u)."""
        return np.stack([d.theta_star[cols] for d in self.groups], axis=1)


def check_designs(design, k: int, p: int | None) -> Targets:
    """Validate ``design`` (a GaussianDesign, or a list/tuple of k of them sharing one covariance)
    against a path with k targets and p features."""
    if isinstance(design, (list, tuple)):
        designs = [_as_design(d) for d in design]
        if len(designs) not in (1, k):
            raise ValueError(f"design must be one GaussianDesign (shared by every target) or a sequence "
                             f"of {k} (one per target of this path), got a sequence of {len(designs)}")
    else:
        designs = [_as_design(design)]
    for j, d in enumerate(designs):
        if d.p != p:
            what = "design" if len(designs) == 1 else f"design[{j}]"
            raise ValueError(f"{what} has p={d.p} features but X has p={p}")
        if d.cov_key != designs[0].cov_key:
            raise ValueError(f"the designs of one path must share one covariance (X is one draw): "
                             f"design[{j}] has another covariance than design[0]")
    return Targets(designs, k)


def target_groups(k: int, bytes_per_target: float) -> Iterator[tuple[int, int]]:
    """Ranges ``(t0, t1)`` of targets whose temporaries (``bytes_per_target`` each) fit
    :data:`fastrisk.config.WEIGHTS_BYTES` together (at least one target per range)."""
    tb = max(1, int(config.WEIGHTS_BYTES // max(1.0, bytes_per_target)))
    for t0 in range(0, k, tb):
        yield t0, min(k, t0 + tb)
