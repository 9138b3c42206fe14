"""How a :class:`~fastrisk.RidgePath` is built without a design matrix in hand: from sufficient
statistics (:meth:`from_gram`) or from a design's seed, X streamed or its flat tail drawn through its
Wishart law (:meth:`from_design`). The dense constructor is :func:`._build.build_dense`."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from . import _build, _wishart

__all__ = ["PathConstructors"]

ArrayLike = Any
Designs = Any
_P = TypeVar("_P", bound="PathConstructors")


class PathConstructors:
    """The alternative constructors of :class:`~fastrisk.RidgePath` (a mixin)."""

    @classmethod
    def from_gram(cls: type[_P], gram: ArrayLike, rhs: ArrayLike, lam: ArrayLike, *, side: str = "dual",
                  X: ArrayLike | None = None, n_samples: int | None = None,
                  n_features: int | None = None) -> _P:
        """Build the path from sufficient statistics, without the design matrix.

        Parameters
        ----------
        gram : array_like (g, g)
            ``X X^T`` (``side="dual"``, g = n) or ``X^T X`` (``side="primal"``, g = p).
        rhs : array_like (g,) or (g, k)
            ``y`` (dual) or ``X^T y`` (primal); one column per target for several targets.
        lam : float or array_like (L,)
            Unnormalised penalties, as in the constructor.
        side : {"dual", "primal"}
        X : array_like (n, p), optional
            The design, if available: a dual path needs it for anything in feature space (``coef``,
            ``predict``, ``norm(q != 2)``, risks against a design). Without it, a dual path still
            gives ``norm(2)``, :meth:`df` and :meth:`standard_risk_from_stats`.
        n_samples, n_features : int, optional
            Recorded for reporting (a primal path takes ``n_features`` from the Gram).

        Returns
        -------
        RidgePath

        Examples
        --------
        >>> import numpy as np
        >>> import fastrisk as fr
        >>> X = np.random.default_rng(0).standard_normal((20, 50)); y = X[:, 0]
        >>> path = fr.RidgePath.from_gram(X @ X.T, y, [0.0, 1.0], X=X)
        >>> np.allclose(path.coef(), fr.RidgePath(X, y, [0.0, 1.0]).coef())
        True
        """
        self = cls.__new__(cls)
        _build.build_from_gram(self, gram, rhs, lam, side, X, n_samples, n_features)
        return self

    @classmethod
    def from_design(cls: type[_P], design: Designs, n: int, lam: ArrayLike, seed, *, dtype=np.float64,
                    block: int | None = None, risk_stats: bool = True, tail: str = "explicit") -> _P:
        """The ridge path on ``design.sample(n, seed)`` without ever holding X (diagonal Sigma).

        X is generated block by block from the seed (the same numbers as :meth:`GaussianDesign.sample`
        for any ``block``), folded into the Gram and discarded: memory is O(n^2 + n * block) however
        large p is (p = 10^7 at n = 1000 needs about 40 MB beyond the Gram). Everything of
        :class:`RidgePath` works; what needs X again (``coef``, ``predict``, l_q norms with q != 2,
        empirical risks) regenerates the blocks, one pass per call.

        Several targets from one draw: pass a list of k designs sharing one covariance (e.g. one
        theta* at several noise levels, or several theta*). Target t has the labels
        ``y_t = X theta*_t + noise_t z`` with the one X and the one noise draw z of the seed, so that
        column t equals ``from_design(design[t], n, lam, seed)`` (its labels bit for bit up to
        ``GEMV_TARGETS`` = 8 distinct theta*, to rounding beyond) while the Gram and the eigh are
        paid once; pass the same list to the risks (``path.standard_risk(designs)``).

        Parameters
        ----------
        design : GaussianDesign, or a list/tuple of k of them sharing one covariance
            A design with a diagonal covariance (one per target for several targets).
        n : int
            Number of training samples (if ``n > p`` the design is small: it is sampled whole).
        lam : float or array_like (L,)
            Unnormalised penalties (see the class).
        seed : int or SeedSequence
            The path equals ``RidgePath(*design.sample(n, seed), lam)``.
        dtype : float64 or float32
            Gram and eigh in that precision, as in the constructor.
        block : int, optional
            Columns generated at once (memory only; never changes the numbers).
        risk_stats : bool
            Also fold, in the same pass, what ``standard_risk(design)`` needs for this design
            (``X Sigma theta*``, ``X theta*``, and the columns where Sigma differs from its commonest
            value, or ``X Sigma X^T`` when there are more than n of them), so that the standard and
            l2 adversarial risks cost no second pass. Exception: for a general Sigma with many
            penalties the low-rank route (one regenerating pass, ``2 n p r`` flops) is cheaper than
            folding ``X Sigma X^T`` (``n^2 p``); that second Gram is then not folded.
        tail : {"explicit", "wishart"}
            ``"explicit"`` (default): X is drawn column by column as above. ``"wishart"``: for a
            flat-tail design (Sigma = a few leading values plus ``c I`` on at least half of the
            coordinates: ``two_level``, ``spiked``, ``isotropic``, or a compact
            :class:`~fastrisk.spectra.FlatTail`), only the leading columns of X are drawn (the same
            numbers as ``design.sample``); the tail enters through its Gram, drawn from its Wishart
            law (Bartlett decomposition), and one Gaussian column per direction of theta*'s tail
            parts, so the cost is one n x n draw and one ``eigh`` whatever p is (p = 10^9 included)
            and memory is O(n^2). The path, ``norm(2)``, the standard risk (and its noise average)
            and the l2 adversarial risks (clean, noisy, consistent) are exact *in law* (the draw
            differs from the explicit one); coefficients, predictions, other norms and attacks, and
            empirical risks need the tail of X and are refused with a one-line error. The random
            stream and the law are documented in :mod:`fastrisk.ridge._wishart`.

        Returns
        -------
        RidgePath

        Examples
        --------
        >>> import numpy as np
        >>> import fastrisk as fr
        >>> s = fr.spectra.two_level(20000, 0.01, k=20)
        >>> design = fr.GaussianDesign(s, fr.make_theta_star("e1", s), noise=1.0)
        >>> path = fr.RidgePath.from_design(design, 200, np.logspace(-2, 2, 20), seed=0)
        >>> path.standard_risk(design).shape
        (20,)
        >>> noisy = [fr.GaussianDesign(design.cov, design.theta_star, noise=s) for s in (0.5, 1, 2)]
        >>> folded = fr.RidgePath.from_design(noisy, 200, np.logspace(-2, 2, 20), seed=0)
        >>> folded.adversarial_risk(noisy, [0.1], target="noisy").shape
        (20, 1, 3)
        """
        if _wishart.check_tail(tail, design) == "wishart":
            return _wishart.build_from_design(cls, design, n, lam, seed, dtype, block, risk_stats)
        return _build.build_from_design(cls, design, n, lam, seed, dtype, block, risk_stats)

