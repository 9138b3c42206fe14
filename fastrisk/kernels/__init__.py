"""Numba kernels: no validation, no Python objects, plain contiguous arrays in and out.

Every kernel here has a plain-NumPy twin in ``tests/naive.py`` and is compared with it on random
shapes in ``tests/test_kernels.py``. The API layer (``fastrisk.ridge``, ``fastrisk.risk``) validates
arguments once and then calls these.
"""

from .attacks import adversarial_closed_form, adversarial_closed_form_targets, residual_moments
from .norms import finish_norms, reduce_coef_block
from .spectral import colwise_dot, error_sums, filter_matrix, filter_targets, filtered_sums

__all__ = [
    "adversarial_closed_form",
    "adversarial_closed_form_targets",
    "colwise_dot",
    "error_sums",
    "filter_matrix",
    "filter_targets",
    "filtered_sums",
    "finish_norms",
    "reduce_coef_block",
    "residual_moments",
]
