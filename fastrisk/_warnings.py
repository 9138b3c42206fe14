"""Warning categories of fastrisk (filter them by class with :mod:`warnings`)."""

from __future__ import annotations

__all__ = ["IllConditionedWarning"]


class IllConditionedWarning(RuntimeWarning):
    """The data are too ill-conditioned for the route asked for: a result has lost more than half of
    its digits (e.g. the Gram route of :class:`fastrisk.RidgePath` on an X with a condition number
    beyond about 1e5, where ``method="svd"`` stays exact)."""
