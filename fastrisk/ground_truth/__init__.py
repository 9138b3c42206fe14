"""The ground truth theta* as an input: one vocabulary for the library, the sweep spec, the main command
and the reproduction.

A ground truth is described by a *kind* and its parameters, resolved once into a hashable
:class:`GroundTruth` (the description), and built for a given spectrum (and sample size, for indices
relative to n or to the critical index k*) with :meth:`GroundTruth.build` (docs/math.md section 12).
The same description comes from a spec table (a dict, as in a TOML ``[[theta_star]]`` table), from the
command line's string form ``KIND[:key=value,...]`` (:func:`parse_theta_star`) or from keyword arguments
(:func:`make_theta_star`).

Kinds (coordinates are those of the diagonal Sigma; "the j-th eigen-direction" is the coordinate with
the j-th largest eigenvalue, ties broken by index, so on the presets, whose spectra are non-increasing,
it is coordinate j):

``e1``
    ``theta* = e_1`` (the first coordinate): today's default everywhere.
``top_k`` (``k``)
    Equal weights on the k largest eigen-directions.
``band`` (``start``, ``stop``)
    Equal weights on the eigen-directions ``start, ..., stop - 1`` counted from 0 in decreasing order of
    the eigenvalues: a Python slice of the sorted spectrum, so ``band:start=0,stop=10`` is ``top_k:k=10``.
``power`` (``a``, default 1)
    ``theta*_j`` proportional to ``lambda_j^a`` on every coordinate (dense; ``a = 0`` is uniform).
``dense`` (``seed``, default 0; ``dist``, ``"sign"`` (default) or ``"gaussian"``)
    Seeded random signs or standard Gaussians on every coordinate, drawn in blocks of
    :data:`fastrisk.config.GEN_BLOCK` coordinates, block ``c`` from
    ``numpy.random.SeedSequence(seed, spawn_key=(DENSE_STREAM, c))``: the same numbers whatever p is
    cut into, and any block can be regenerated on its own.
``file`` (``path``)
    A 1-D ``.npy`` array of length p (read without pickles; its SHA-256 is part of the description).
``array``
    An explicit array, from :meth:`GroundTruth.from_array` or :func:`make_theta_star` with an array.

Indices (``k``, ``start``, ``stop``) are integers or relative to the critical index or to n:
``"k*"``, ``"2k*"``, ``"0.5*k*"``, ``"n"``, ``"0.1n"`` mean ``round(c * k*)`` or ``round(c * n)``
(halves rounded up), with ``k* = fastrisk.theory.critical_index(spectrum, n)`` at its default ``b = 1``.
They need ``n`` when the ground truth is built.

Normalisation (the same for every kind): ``normalise="l2"`` (default) scales theta* to
``||theta*||_2 = scale``, ``"sigma"`` to ``||theta*||_Sigma = sqrt(theta*^T Sigma theta*) = scale``, and
``"none"`` multiplies the raw shape by ``scale`` (for ``e1`` all three give ``scale * e_1`` when
``lambda_1 = 1``). ``scale`` defaults to 1.0, so the default of every kind has ``||theta*||_2 = 1``;
``theta* = signal * e_1`` is ``e1`` with ``scale = signal``.

Compact spectra (a flat tail): :meth:`GroundTruth.build_compact` returns theta* over the leading
coordinates of a spectrum given as leading eigenvalues, one tail value and p, plus the l2 norm of its tail
part, without an array of length p (for ``dense`` the tail's norm is streamed block by block). By rotation
invariance one tail direction can carry that norm exactly for every l2 quantity.

Examples
--------
>>> import numpy as np
>>> from fastrisk import spectra
>>> from fastrisk.ground_truth import make_theta_star, parse_theta_star
>>> s = spectra.two_level(1000, 0.01, tau=2.0)
>>> make_theta_star("top_k", s, k=4)[:5]
array([0.5, 0.5, 0.5, 0.5, 0. ])
>>> gt = parse_theta_star("band:start=k*,stop=2k*")
>>> gt.describe()
'band:start=k*,stop=2k*'
>>> t = gt.build(s, n=100)
>>> float(np.linalg.norm(t))
1.0
"""

from __future__ import annotations

import numpy as np

from ._values import DENSE_STREAM, KINDS, NORMALISE
from .description import GroundTruth, _resolve_table, parse_theta_star, resolve_theta_star

__all__ = ["GroundTruth", "KINDS", "NORMALISE", "DENSE_STREAM", "make_theta_star", "parse_theta_star",
           "resolve_theta_star"]


def make_theta_star(kind, spectrum, *, n: int | None = None, scale: float = 1.0, normalise: str = "l2",
                    name: str | None = None, **params) -> np.ndarray:
    """Build theta* (p,) from the ground-truth vocabulary for a given spectrum.

    Parameters
    ----------
    kind : str, mapping, GroundTruth or array_like
        A kind (``"e1"``, ``"top_k"``, ``"band"``, ``"power"``, ``"dense"``, ``"file"``) with its
        parameters as keywords, or anything :func:`resolve_theta_star` takes (then ``params``, ``scale``,
        ``normalise`` and ``name`` must be left at their defaults).
    spectrum : array_like (p,)
        Eigenvalues of the diagonal Sigma, in the coordinates of theta*.
    n : int, optional
        Sample size, for indices relative to n or to ``k* = theory.critical_index(spectrum, n)``.
    scale : float, default 1.0
        The stated norm: ``||theta*||_2 = scale`` (``normalise="l2"``, default) or
        ``||theta*||_Sigma = scale`` (``"sigma"``), or a plain factor (``"none"``).
    normalise : {"l2", "sigma", "none"}
    name : str, optional
        A label (unused by the numbers).
    **params
        The kind's parameters: ``k`` (top_k); ``start``, ``stop`` (band); ``a`` (power); ``seed``,
        ``dist`` (dense); ``path`` (file).

    Returns
    -------
    numpy.ndarray (p,), float64

    Examples
    --------
    >>> import numpy as np
    >>> from fastrisk.ground_truth import make_theta_star
    >>> s = np.array([4.0, 1.0, 0.25, 0.25])
    >>> make_theta_star("power", s, a=1.0, normalise="none")
    array([4.  , 1.  , 0.25, 0.25])
    >>> t = make_theta_star("dense", s, seed=0, scale=2.0)
    >>> float(np.linalg.norm(t)), bool(np.all(np.abs(t) == 1.0))
    (2.0, True)
    >>> make_theta_star("band", s, start="k*", stop="2k*", n=2).round(4)   # k* = 2 here
    array([0.    , 0.    , 0.7071, 0.7071])
    """
    if isinstance(kind, str) and ":" not in kind and kind.strip() in KINDS:
        d = {"kind": kind, **params, "scale": scale, "normalise": normalise}
        if name is not None:
            d["name"] = name
        gt = _resolve_table(d)
    else:
        if params or scale != 1.0 or normalise != "l2" or name is not None:
            raise TypeError("make_theta_star: give the parameters inside the description (a dict or "
                            "'KIND:key=value,...'), or the kind's name with keywords, not both")
        gt = resolve_theta_star(kind)
    return gt.build(spectrum, n=n)
