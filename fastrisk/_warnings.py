"""Warning categories of fastrisk (filter them by class with :mod:`warnings`)."""

from __future__ import annotations

import sys
import warnings
from types import FrameType

__all__ = ["IllConditionedWarning", "Float32AccuracyWarning", "warn"]


class IllConditionedWarning(RuntimeWarning):
    """The data are too ill-conditioned for the route asked for: a result has lost more than half of
    its digits (e.g. the Gram route of :class:`fastrisk.RidgePath` on an X with a condition number
    beyond about 1e5, where ``method="svd"`` stays exact)."""


class Float32AccuracyWarning(IllConditionedWarning):
    """A float32 path resolves some penalties less accurately than the documented float32 accuracy
    (``fastrisk.config.FLOAT32_RTOL``): its message names those penalties and their bound, which
    :meth:`fastrisk.RidgePath.accuracy_bound` returns per penalty. Use float64 for them."""


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` attributed to the first caller outside fastrisk (whatever the depth of the
    call inside the package)."""
    frame: FrameType | None = sys._getframe(1)
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "fastrisk":
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
