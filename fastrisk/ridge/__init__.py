"""The ridge path: one Gram + one eigendecomposition, then every penalty from the spectral form.

Objective (unnormalised, scikit-learn's ``alpha``)::

    theta_lam = argmin ||y - X theta||_2^2 + lam ||theta||_2^2

``lam = 0`` is the min-norm interpolator (pseudo-inverse; see :mod:`fastrisk._spectral` for the rank
tolerance); negative ``lam > -s_min`` (smallest Gram eigenvalue) is legal. When ``n <= p`` the Gram
is ``K = X X^T = U diag(s) U^T`` (dual side) and ``theta_lam = X^T U diag(1/(s + lam)) U^T y``; when
``n > p`` it is ``X^T X = V diag(s) V^T`` (primal side) and ``theta_lam = V diag(1/(s + lam)) V^T X^T y``.

``method="svd"`` takes the eigen-pairs from the thin SVD ``X = Q diag(sv) V^T`` instead (no Gram) and
always uses the primal representation with ``V`` (p, min(n, p)); a remainder of theta* outside the span
of V is then formed explicitly.

Both sides are written ``theta_lam = B W[:, lam]`` with ``B`` (p, g) the *representation* (dual:
``X^T U``; primal: ``V``) and ``W[i, lam] = c_i / (s_i + lam)`` (dual: ``c = U^T y``; primal:
``c = V^T X^T y``). Everything below is a reduction of ``W``: ``||theta||_2^2 = sum_i d_i W_i^2``
with ``d = s`` (dual) or 1 (primal), ``theta^T v = sum_i W_i (B^T v)_i``, ``theta^T Sigma theta =
W^T (B^T Sigma B) W``, and l_q norms by a blocked pass over rows of ``B`` that never holds the
(p, L) coefficient matrix.

The standard risk is never ``quad - 2 cross + theta*^T Sigma theta*`` (which loses every digit close to
theta*): with ``P theta* = B zeta`` (the part of theta* in the span of the kept components) and the
remainder ``r = theta* - B zeta``, ``theta_lam - theta* = B e_lam - r`` where
``e_lam = (delta - lam zeta) / (s + lam)`` and ``delta = c - s zeta`` is penalty-independent (noiseless
labels: rounding only, so ``e_lam = -lam zeta / (s + lam)``). The risk is a quadratic form in
``(e_lam, r)``; r is exact on the primal side (null components) and on the dual side is formed by a pass
over X only when theta* lies almost in the row space of X.

Several targets (y of shape (n, k)): ``c`` becomes (g, k) and ``W[i, t, l] = c_it / (s_i + lam_l)``;
the filter ``1 / (s_i + lam)`` is shared, so every reduction above runs for all targets at once (fused
Numba sums over (penalty, target) pairs, one BLAS-3 product per feature block), and quantities of
theta* alone (zeta, the remainder) are formed once per distinct theta*. Each target has its own design
(one shared by all, or one per target with a shared covariance). Linearity in y also gives the exact
averages over the label noise given X (:mod:`~fastrisk.ridge._noise`).

The package, one concern per module (imports point down the list):

- :mod:`~fastrisk.ridge.path`: :class:`RidgePath`, the public surface (validation, then the modules below);
- :mod:`~fastrisk.ridge._build`: construction (dense Gram or SVD, ``from_gram``, ``from_design``),
  Gram checks and the ill-conditioning warning;
- :mod:`~fastrisk.ridge._noise`: exact averages over the label noise given X;
- :mod:`~fastrisk.ridge._routes`: the standard-risk routes and their cost model;
- :mod:`~fastrisk.ridge._norms`: l2 and l_q norms along the path, the dual norm an attack sees;
- :mod:`~fastrisk.ridge._truth`: theta* in the coordinates of the path (the error coordinates);
- :mod:`~fastrisk.ridge._passes`: products of the coefficients with X, a design or new points;
- :mod:`~fastrisk.ridge._targets`: which design (theta*, noise) each target is measured against;
- :mod:`~fastrisk.ridge._features`: the feature source (X held, or regenerated from a seed).
"""

from ._functions import ridge_path_risks
from .path import RidgePath

__all__ = ["RidgePath", "ridge_path_risks"]
