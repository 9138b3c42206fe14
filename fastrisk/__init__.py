"""fastrisk: exact, fast standard and adversarial risks of min-norm, ridge and NTK estimators.

Conventions: unnormalised ridge ``||y - X theta||^2 + lam ||theta||^2``; attack ball
``||delta||_p <= eps``; standard risk ``||theta - theta_star||_Sigma^2``. See docs/guide/conventions.md.
"""

from . import ground_truth, ntk, risk, spectra, theory
from ._extras import MissingExtraError
from ._warnings import Float32AccuracyWarning, IllConditionedWarning
from .design import GaussianDesign
from .ground_truth import make_theta_star
from .ridge import RidgePath, design_path_risks, ridge_path_risks
from .runtime import set_threads, thread_info, threads

__version__ = "0.1.0"

__all__ = ["Float32AccuracyWarning", "GaussianDesign", "IllConditionedWarning", "MissingExtraError",
           "RidgePath", "ridge_path_risks", "design_path_risks", "ntk", "risk", "spectra", "theory",
           "ground_truth", "make_theta_star", "set_threads", "thread_info", "threads", "__version__"]
