"""scikit-learn estimators on fastrisk's spectral core (optional: ``pip install "fastrisk[sklearn]"``).

- :class:`MinNormRegressor`: the minimum-norm least-squares / interpolating linear model;
- :class:`RidgePathCV`: ridge regression whose penalty is chosen by exact leave-one-out (or GCV, a
  scikit-learn scorer, or the exact leave-one-out adversarial loss) over a whole grid from one Gram and
  one eigendecomposition;
- :class:`NTKRidge`: kernel ridge regression on the two-layer ReLU neural tangent kernel, and
  :class:`NTKRidgeCV`, its penalty chosen by exact leave-one-out from one eigendecomposition;
- :func:`adversarial_scorer`: the exact adversarial squared loss of held-out points, as a scorer for
  ``GridSearchCV`` / ``cross_val_score``.

All accept 1-D or 2-D y (several targets share one Gram and one eigendecomposition).

Each follows scikit-learn's conventions (``fit``/``predict``/``get_params``, input validation, intercept
by centring, ``sample_weight``) and passes ``sklearn.utils.estimator_checks.check_estimator``.
"""

from __future__ import annotations

from .._extras import require

require("fastrisk.estimators", "sklearn")  # scikit-learn (>= 1.6): one line naming the pip install

from ._scoring import adversarial_scorer
from .linear import MinNormRegressor, RidgePathCV
from .ntk import NTKRidge, NTKRidgeCV

__all__ = ["MinNormRegressor", "RidgePathCV", "NTKRidge", "NTKRidgeCV", "adversarial_scorer"]
