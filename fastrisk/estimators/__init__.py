"""scikit-learn estimators on fastrisk's spectral core (optional: ``pip install "fastrisk[sklearn]"``).

- :class:`MinNormRegressor`: the minimum-norm least-squares / interpolating linear model;
- :class:`RidgePathCV`: ridge regression whose penalty is chosen by exact leave-one-out (or GCV) over a
  whole grid from one Gram and one eigendecomposition;
- :class:`NTKRidge`: kernel ridge regression on the two-layer ReLU neural tangent kernel.

Each follows scikit-learn's conventions (``fit``/``predict``/``get_params``, input validation, intercept
by centring, ``sample_weight``) and passes ``sklearn.utils.estimator_checks.check_estimator``.
"""

from __future__ import annotations

from .._extras import require

require("fastrisk.estimators", "sklearn")  # scikit-learn (>= 1.6): one line naming the pip install

from .linear import MinNormRegressor, RidgePathCV
from .ntk import NTKRidge

__all__ = ["MinNormRegressor", "RidgePathCV", "NTKRidge"]
