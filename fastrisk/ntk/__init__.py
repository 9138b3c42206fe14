"""The two-layer ReLU network in the lazy-training (NTK) regime.

``f(x) = m^-1/2 sum_r a_r relu(w_r^T x)``; kernels, the kernel ridge path (interpolation included),
input gradients and adversarial attacks for the nonlinear predictor, the lazy-training check and the
high-dimensional linearisation. Conventions: unnormalised penalty ``(K + lam I)^{-1}``; attack ball
``|delta|_p <= eps``; clean target ``f*(x)`` (values or ``x^T theta*``). See docs/math.md section 10.
"""

from .attacks import METHODS, LinearPredictor, adversarial_risk
from .gram import ntk_gram
from .lazy import GDResult, lazy_training_check, train_gd
from .linearize import implicit_ridge, linearization_coefficients, linearized_gram
from .model import NTKRegressor, TwoLayerNTK
from .path import KernelRidgePath

__all__ = [
    "GDResult",
    "KernelRidgePath",
    "LinearPredictor",
    "METHODS",
    "NTKRegressor",
    "TwoLayerNTK",
    "adversarial_risk",
    "implicit_ridge",
    "lazy_training_check",
    "linearization_coefficients",
    "linearized_gram",
    "ntk_gram",
    "train_gd",
]
