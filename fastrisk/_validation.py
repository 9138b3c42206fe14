"""Every argument check of the public API, in one place.

The API layer calls these once, before any BLAS/LAPACK call (LAPACK can hang or return garbage on
NaN/inf); the kernels never validate. Each error names the argument and says what was expected.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

TARGETS = ("clean", "noisy", "consistent")
_FLOAT_KINDS = "fc"


def as_float_array(a, name: str, *, ndim: int | None = None, dtype=None) -> np.ndarray:
    """Convert to a float array (float32 kept, everything else float64) and check it is finite."""
    if a is None:
        raise TypeError(f"{name} is required, got None")
    arr = np.asarray(a)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {arr.shape}")
    if not _all_finite(arr):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def _no_bool(v, name: str) -> None:
    """``True`` is not the number 1 here: refuse booleans (scalars or arrays) by name."""
    if isinstance(v, (bool, np.bool_)) or np.asarray(v).dtype == bool:
        raise TypeError(f"{name} must be a real number or an array of them, got a boolean {v!r}")


def _all_finite(arr: np.ndarray) -> bool:
    # Large C-contiguous matrices: one parallel Numba pass without the boolean temporary that
    # np.isfinite would allocate (40 MB for a 2000 x 20000 design).
    if arr.ndim == 2 and arr.size >= 1 << 20 and arr.flags.c_contiguous:
        from .kernels.checks import count_nonfinite

        return count_nonfinite(arr) == 0
    return bool(np.all(np.isfinite(arr)))


def check_design_matrix(X, name: str = "X") -> np.ndarray:
    X = as_float_array(X, name, ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty: got shape {X.shape}, need at least one row and column")
    return X


def check_vector(v, length: int, name: str, *, dtype=np.float64) -> np.ndarray:
    v = as_float_array(v, name, dtype=dtype)
    if v.ndim != 1 or v.shape[0] != length:
        raise ValueError(f"{name} must have shape ({length},), got {v.shape}")
    return v


def check_targets(y, n: int, name: str = "y") -> tuple[np.ndarray, bool]:
    """Training targets: ``(n,)`` or ``(n, k)`` (one column per target), finite. Returns the float64
    ``(n, k)`` matrix (k = 1 for 1-D input) and whether the input was 2-D."""
    y = as_float_array(y, name, dtype=np.float64)
    if y.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D (n,) or 2-D (n, k), one column per target; got an array "
                         f"of shape {y.shape}")
    if y.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) or ({n}, k) (one row per sample), got {y.shape}")
    if y.ndim == 1:
        return y[:, None], False
    if y.shape[1] == 0:
        raise ValueError(f"{name} has no columns: shape {y.shape}, need at least one target")
    return y, True


def check_lam(lam) -> np.ndarray:
    """Penalties: a finite scalar or 1-D array, returned as a non-empty float64 1-D array that is a
    fresh copy (never the caller's buffer). Booleans are refused."""
    _no_bool(lam, "lam")
    lam = np.array(as_float_array(lam, "lam", dtype=np.float64), copy=True)
    if lam.ndim > 1:
        raise ValueError(f"lam must be a scalar or a 1-D array, got shape {lam.shape}")
    lam = np.atleast_1d(lam)
    if lam.size == 0:
        raise ValueError("lam is empty: give at least one penalty")
    return np.ascontiguousarray(lam)


def check_eps(eps) -> np.ndarray:
    """Attack radii: finite, >= 0, scalar or 1-D; returned as a non-empty float64 1-D array that is a
    fresh copy. Booleans are refused."""
    _no_bool(eps, "eps")
    eps = np.array(as_float_array(eps, "eps", dtype=np.float64), copy=True)
    if eps.ndim > 1:
        raise ValueError(f"eps must be a scalar or a 1-D array, got shape {eps.shape}")
    eps = np.atleast_1d(eps)
    if eps.size == 0:
        raise ValueError("eps is empty: give at least one attack radius")
    if np.any(eps < 0):
        raise ValueError(f"eps must be >= 0 (an attack radius), got min {float(eps.min())!r}")
    return np.ascontiguousarray(eps)


def check_norm(norm) -> tuple[float, float]:
    """Attack norm p in [1, inf]; returns (p, q) with 1/p + 1/q = 1."""
    if isinstance(norm, str):
        if norm.lower() in ("inf", "infinity", "linf"):
            norm = math.inf
        else:
            raise TypeError(f"norm must be a real number >= 1 or numpy.inf, got {norm!r}")
    if isinstance(norm, bool) or not isinstance(norm, Real):
        raise TypeError(f"norm must be a real number >= 1 or numpy.inf, got {norm!r}")
    p = float(norm)
    if math.isnan(p) or p < 1:
        raise ValueError(f"norm must be >= 1 (the attack ball ||delta||_p <= eps), got {p!r}")
    return p, dual_exponent(p)


def dual_exponent(p: float) -> float:
    """Hoelder conjugate q of p >= 1 (1/p + 1/q = 1): 1 <-> inf, 2 <-> 2, 3 <-> 1.5.

    Parameters
    ----------
    p : float
        The attack norm, >= 1 (``numpy.inf`` for l_inf). Not validated here: the public functions that
        take ``norm=`` validate it first.

    Returns
    -------
    float
        ``q = p / (p - 1)``; ``inf`` for ``p = 1`` and 1 for ``p = inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.risk import dual_exponent
    >>> dual_exponent(2.0), dual_exponent(np.inf), dual_exponent(1.0), dual_exponent(3.0)
    (2.0, 1.0, inf, 1.5)
    """
    if p == 1.0:
        return math.inf
    if math.isinf(p):
        return 1.0
    return p / (p - 1.0)


def check_q(q) -> float:
    """Exponent of a coefficient norm ||theta||_q, q in [1, inf]."""
    if isinstance(q, str) and q.lower() in ("inf", "infinity"):
        q = math.inf
    if isinstance(q, bool) or not isinstance(q, Real):
        raise TypeError(f"q must be a real number >= 1 or numpy.inf, got {q!r}")
    q = float(q)
    if math.isnan(q) or q < 1:
        raise ValueError(f"q must be >= 1, got {q!r}")
    return q


def check_target(target: str, p: float) -> str:
    if not isinstance(target, str) or target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    if target == "consistent" and p != 2.0:
        raise ValueError(
            f"target='consistent' (perturbations orthogonal to theta_star) is defined for norm=2 "
            f"only, got norm={p!r}"
        )
    return target


def check_nonnegative_float(v, name: str, what: str = "") -> float:
    """A finite real scalar >= 0 (bool, strings, arrays and None rejected with the argument's name);
    ``what`` says what it is, e.g. ``" (the label-noise standard deviation)"``."""
    if isinstance(v, bool) or not isinstance(v, Real):
        raise TypeError(f"{name} must be a real number >= 0{what}, got {v!r}")
    f = float(v)
    if not math.isfinite(f) or f < 0:
        raise ValueError(f"{name} must be a finite number >= 0{what}, got {f!r}")
    return f


def check_noise(noise) -> float:
    return check_nonnegative_float(noise, "noise", " (the label-noise standard deviation)")


def check_levels(v, name: str) -> np.ndarray:
    """A non-empty 1-D grid of levels >= 0 (``inf`` allowed, NaN not), float64, sorted ascending."""
    arr = np.asarray(v)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    arr = np.atleast_1d(arr.astype(np.float64))
    if arr.ndim != 1 or arr.size == 0 or np.any(np.isnan(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be a non-empty 1-D array of levels >= 0 (inf allowed)")
    return np.sort(arr)


def check_positive_int(v, name: str, *, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, Integral):
        raise TypeError(f"{name} must be an integer, got {v!r}")
    if v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v!r}")
    return int(v)


def check_spectrum(spectrum, name: str = "spectrum") -> np.ndarray:
    s = as_float_array(spectrum, name, ndim=1, dtype=np.float64)
    if s.size == 0:
        raise ValueError(f"{name} is empty: give at least one eigenvalue")
    if np.any(s < 0):
        raise ValueError(f"{name} must be non-negative (covariance eigenvalues), got min {s.min()!r}")
    return np.ascontiguousarray(s)


def check_cov(cov, p: int | None = None, name: str = "cov") -> np.ndarray:
    """A 1-D non-negative diagonal or a 2-D symmetric positive semi-definite matrix."""
    c = as_float_array(cov, name, dtype=np.float64)
    if c.ndim == 1:
        c = check_spectrum(c, name)
        if p is not None and c.shape[0] != p:
            raise ValueError(f"{name} must have length p={p} (one variance per feature), got {c.shape[0]}")
        return c
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"{name} must be 1-D (diagonal) or a square 2-D matrix, got shape {c.shape}")
    if c.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if p is not None and c.shape[0] != p:
        raise ValueError(f"{name} must be ({p}, {p}) to match the {p} features, got {c.shape}")
    scale = max(float(np.abs(c).max()), np.finfo(np.float64).tiny)
    if not np.allclose(c, c.T, rtol=0.0, atol=1e-10 * scale):
        raise ValueError(f"{name} must be symmetric")
    w = np.linalg.eigvalsh(c)
    if w[0] < -1e-10 * scale * c.shape[0]:
        raise ValueError(f"{name} must be positive semi-definite, smallest eigenvalue {w[0]!r}")
    return np.ascontiguousarray(0.5 * (c + c.T))


def check_sigma_gram(K: np.ndarray, name: str) -> None:
    """A validated square float64 matrix that must be symmetric positive semi-definite (a Gram such
    as ``X Sigma X^T``): symmetric, non-negative diagonal and ``|K_ij| <= sqrt(K_ii K_jj)``, the checks
    that cost O(g^2) (a negative eigenvalue beyond these shows up as a negative quadratic form)."""
    scale = float(np.abs(K).max()) if K.size else 0.0
    tol = 1e-10 * scale
    if not np.allclose(K, K.T, rtol=0.0, atol=tol):
        raise ValueError(f"{name} must be symmetric (a Gram matrix such as X Sigma X^T)")
    d = np.diag(K)
    if np.any(d < -tol):
        raise ValueError(f"{name} must be positive semi-definite: its diagonal has a negative entry "
                         f"{float(d.min())!r}")
    dd = np.sqrt(np.maximum(d, 0.0))
    if np.any(np.abs(K) > np.outer(dd, dd) * (1.0 + 1e-8) + tol):
        raise ValueError(f"{name} must be positive semi-definite: some |K_ij| exceeds "
                         "sqrt(K_ii K_jj)")
