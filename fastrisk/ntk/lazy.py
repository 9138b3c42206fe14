"""Lazy training, checked: finite-width networks trained by plain full-batch gradient descent.

A wide network trained from ``theta_0`` by gradient descent with a small step on
``(1/2) sum_i (f(x_i; theta) - y_i)^2`` moves its parameters little ("lazy") and ends at the
minimum-``|theta - theta_0|`` interpolator of its linearisation: the kernel interpolator
``f_0 + k_m(x)^T K_m^{-1} (y - f_0(X))`` of the empirical NTK at init, with squared displacement
``|theta - theta_0|^2 = (y - f_0)^T K_m^{-1} (y - f_0)`` (docs/math.md section 10). The gap closes as m grows
(at rate about m^-1/2). :func:`train_gd` runs the real nonlinear network; :func:`lazy_training_check`
compares it with the kernel predictors over a list of widths.

This trains the real network in NumPy and holds its (n, m) activations: meant for checks at
n up to a few hundred, not for large-scale training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np

from .._validation import check_positive_int, check_vector
from ._common import check_inputs, check_train
from .model import TwoLayerNTK

__all__ = ["GDResult", "train_gd", "lazy_training_check"]

ArrayLike = Any


@dataclass
class GDResult:
    """A network trained by full-batch GD.

    W, a : final parameters (m, d), (m,); W0, a0 : initial ones; losses : (steps + 1,) training loss
    ``(1/2) sum (f - y)^2`` per iterate; lr : the step used; steps : iterations run; converged : whether
    the training residual reached ``tol * |y|``; displacement_sq : ``|W - W0|_F^2 + |a - a0|^2``.

    The result is a predictor: :meth:`predict`, :meth:`input_gradient` (exact a.e. for the finite ReLU
    network) and the protocol :func:`fastrisk.ntk.adversarial_risk` attacks (``L = 1``), e.g.
    ``adversarial_risk(train_gd(X, y, 1024), X_test, eps, theta_star=theta_star, method="pgd")`` -> (1, E).
    """

    W: np.ndarray
    a: np.ndarray
    W0: np.ndarray
    a0: np.ndarray
    losses: np.ndarray
    lr: float
    steps: int
    converged: bool
    displacement_sq: float = field(init=False)

    def __post_init__(self):
        self.displacement_sq = float(np.sum((self.W - self.W0) ** 2) + np.sum((self.a - self.a0) ** 2))

    # ------------------------------------------------------------------ predictor interface
    # The trained network is one predictor (L = 1); it follows the protocol of NTKRegressor and
    # LinearPredictor, so fastrisk.ntk.adversarial_risk(result, ...) attacks the *real* finite network
    # (first order, FGSM or PGD) rather than its kernel approximation.

    @property
    def d(self) -> int:
        """Input dimension."""
        return int(self.W.shape[1])

    @property
    def width(self) -> int:
        """Number of neurons m."""
        return int(self.W.shape[0])

    @property
    def L(self) -> int:
        """Number of predictors (1: the trained network)."""
        return 1

    @property
    def n(self) -> int:
        """Work per evaluated point in units of 8-byte words, as the attacks' block sizing expects: the
        m hidden activations (not a training-set size)."""
        return self.width

    def _eval(self, Z, lidx=None, need_grad=True):
        """Internal, validated input Z (P, d) float64. Returns (f, grad): (P, 1), (P, 1, d) for
        ``lidx=None``, else (P,), (P, d) (every lidx is 0)."""
        H = Z @ self.W.T  # (P, m) pre-activations
        sm = 1.0 / math.sqrt(self.width)
        f = np.maximum(H, 0.0) @ self.a * sm
        g = None
        if need_grad:
            g = ((H > 0) * self.a) @ self.W * sm  # (P, d): sum_r a_r 1{w_r^T x > 0} w_r / sqrt(m)
        if lidx is None:
            return f[:, None], (g[:, None, :] if need_grad else None)
        return f, g

    def predict(self, X_new: ArrayLike) -> np.ndarray:
        """Output of the trained network ``m^-1/2 relu(X W^T) a``, (n_new,)."""
        Z = np.ascontiguousarray(check_inputs(X_new, "X_new", d=self.d), dtype=np.float64)
        return _forward(Z, self.W, self.a)

    def input_gradient(self, X_new: ArrayLike) -> np.ndarray:
        """``grad_x f(x) = m^-1/2 sum_r a_r 1{w_r^T x > 0} w_r`` at the rows of X_new, (n_new, d).

        Exact wherever no pre-activation ``w_r^T x`` is 0 (almost everywhere): the network is piecewise
        linear in x. It lacks the activation-pattern term of the infinite-width kernel gradient, so at
        finite width compare attacks through PGD (which moves across patterns), not through this gradient
        alone.
        """
        Z = np.ascontiguousarray(check_inputs(X_new, "X_new", d=self.d), dtype=np.float64)
        return self._eval(Z, None)[1][:, 0, :]


def _forward(X, W, a):
    return np.maximum(X @ W.T, 0.0) @ a / math.sqrt(W.shape[0])


def train_gd(X: ArrayLike, y: ArrayLike, width: int, train: str = "first", seed=None,
             symmetric_init: bool = True, lr: float | None = None, max_steps: int = 20000,
             tol: float = 1e-6) -> GDResult:
    """Train ``f(x) = m^-1/2 sum_r a_r relu(w_r^T x)`` by full-batch gradient descent (no penalty).

    Parameters
    ----------
    X : array_like (n, d)
        Training inputs.
    y : array_like (n,)
        Training targets.
    width : int
        Number of neurons m (even with ``symmetric_init``).
    train : {"first", "second", "both"}
        Which layers move.
    seed : int, SeedSequence or None
        As in :class:`TwoLayerNTK` (the same seed gives the same init as ``TwoLayerNTK(width, ...)``).
    symmetric_init : bool, default True
        As in :class:`TwoLayerNTK`.
    lr : float, optional
        Step size; default ``1 / lambda_max(K_m)`` of the empirical NTK at init (the linearised
        dynamics ``r <- (I - lr K_m) r`` then contract; a "small step" in the lazy sense).
    max_steps : int
        Iteration cap.
    tol : float
        Stop when ``|f(X) - y|_2 <= tol |y|_2``.

    Returns
    -------
    GDResult
        The trained network (a predictor that :func:`adversarial_risk` attacks), the steps taken and
        whether it converged.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import ntk
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((20, 30))
    >>> net = ntk.train_gd(X, X[:, 0], width=128, seed=0, max_steps=3000)
    >>> net.predict(X).shape, bool(net.converged)
    ((20,), True)
    """
    mode = check_train(train)
    X = np.ascontiguousarray(check_inputs(X, "X"), dtype=np.float64)
    n, d = X.shape
    y = check_vector(y, n, "y")
    width = check_positive_int(width, "width")
    max_steps = check_positive_int(max_steps, "max_steps")
    net = TwoLayerNTK(width=width, train=train, seed=seed, symmetric_init=symmetric_init)
    W0, a0 = net.init_params(d)
    if isinstance(tol, bool) or not isinstance(tol, Real) or not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0 (relative residual), got {tol!r}")
    if lr is None:
        top = float(np.linalg.eigvalsh(net.gram(X))[-1])
        if not top > 0:
            raise ValueError("X gives an all-zero NTK Gram at init (e.g. X is all zero): gradient "
                             "descent cannot move and the default step 1 / lambda_max is undefined")
        lr = 1.0 / top
    elif isinstance(lr, bool) or not (isinstance(lr, Real) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite step size > 0, got {lr!r}")
    lr = float(lr)
    W, a = W0.copy(), a0.copy()
    sm = 1.0 / math.sqrt(width)
    ynorm = float(np.linalg.norm(y)) or 1.0
    losses = []
    converged = False
    t = 0
    while True:
        Z = X @ W.T
        S = (Z > 0).astype(np.float64)
        A = Z * S
        r = A @ a * sm - y
        losses.append(0.5 * float(r @ r))
        if np.linalg.norm(r) <= tol * ynorm:
            converged = True
            break
        if t >= max_steps:
            break
        if mode != 1:
            gW = (S * a).T @ (r[:, None] * X) * sm  # (m, d)
        if mode != 0:
            ga = A.T @ r * sm
            a -= lr * ga
        if mode != 1:
            W -= lr * gW
        t += 1
    return GDResult(W=W, a=a, W0=W0, a0=a0, losses=np.array(losses), lr=float(lr), steps=t,
                    converged=converged)


def lazy_training_check(X: ArrayLike, y: ArrayLike, X_test: ArrayLike, widths, train: str = "first",
                        seed=0, symmetric_init: bool = True, **gd_kwargs) -> dict[str, np.ndarray]:
    """Train networks of several widths by GD and compare them with the kernel interpolators.

    For each width m: train with :func:`train_gd` (same seed), then compare on ``X_test`` with the
    interpolator of the empirical NTK at the same init (``gap_empirical``) and of the infinite-width NTK
    (``gap_infinite``), as relative l2 errors of the predictions; and the squared displacement with
    ``(y - f_0)^T K_m^{-1} (y - f_0)`` (``displacement_sq``, ``rkhs_norm_sq``).

    Parameters
    ----------
    X : array_like (n, d)
        Training inputs.
    y : array_like (n,)
        Training targets.
    X_test : array_like (m, d)
        Inputs on which the predictions are compared.
    widths : sequence of int
        The widths m to train (even with ``symmetric_init``).
    train : {"first", "second", "both"}, default "first"
        Which layers move.
    seed : int, SeedSequence or None, default 0
        Initialisation seed, the same for every width.
    symmetric_init : bool, default True
        As in :class:`TwoLayerNTK`.
    **gd_kwargs
        Passed to :func:`train_gd` (``lr``, ``max_steps``, ``tol``).

    Returns
    -------
    dict
        Arrays of shape (len(widths),): ``width``, ``gap_empirical``, ``gap_infinite``,
        ``displacement_sq``, ``rkhs_norm_sq``, ``steps``, ``converged``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk import ntk
    >>> rng = np.random.default_rng(0)
    >>> X, X_test = rng.standard_normal((20, 30)), rng.standard_normal((10, 30))
    >>> out = ntk.lazy_training_check(X, X[:, 0], X_test, widths=[64, 256], seed=0, max_steps=3000)
    >>> out["width"].tolist(), bool(out["gap_empirical"][1] < out["gap_empirical"][0])
    ([64, 256], True)
    """
    X = np.ascontiguousarray(check_inputs(X, "X"), dtype=np.float64)
    X_test = np.ascontiguousarray(check_inputs(X_test, "X_test", d=X.shape[1]), dtype=np.float64)
    y = check_vector(y, X.shape[0], "y")
    if isinstance(widths, (str, bytes)) or not np.iterable(widths):
        raise TypeError(f"widths must be a sequence of network widths (ints >= 1), got {widths!r}")
    widths = [check_positive_int(m, "widths[i]") for m in widths]
    if not widths:
        raise ValueError("widths is empty: give at least one network width")
    inf_pred = TwoLayerNTK(None, train=train).fit(X, y, 0.0).predict(X_test)[:, 0]
    rows = []
    for m in widths:
        res = train_gd(X, y, m, train=train, seed=seed, symmetric_init=symmetric_init, **gd_kwargs)
        net = TwoLayerNTK(width=m, train=train, seed=seed, symmetric_init=symmetric_init)
        fit = net.fit(X, y, 0.0)
        kp = fit.predict(X_test)[:, 0]
        nn = res.predict(X_test)
        rows.append((m, np.linalg.norm(nn - kp) / np.linalg.norm(kp),
                     np.linalg.norm(nn - inf_pred) / np.linalg.norm(inf_pred),
                     res.displacement_sq, float(fit.rkhs_norm_sq()[0]), res.steps, res.converged))
    names = ["width", "gap_empirical", "gap_infinite", "displacement_sq", "rkhs_norm_sq", "steps",
             "converged"]
    return {k: np.array([row[i] for row in rows]) for i, k in enumerate(names)}
