"""The description of a ground truth (:class:`GroundTruth`) and the two ways in: a spec table or the command
line's ``KIND[:key=value,...]``."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validation import as_float_array, check_positive_int, check_spectrum
from ..spectra import FlatTail
from ._shapes import _kstar_array, _kstar_compact, indices, raw_compact, raw_full
from ._values import (
    _COMMON,
    _PARAMS,
    _REQUIRED,
    KINDS,
    _as_real,
    _check_normalise,
    _check_raw,
    _convert,
    _default_normalise,
    _digest,
    _fail,
    _fmt,
    _load_npy,
)

__all__ = ["GroundTruth", "parse_theta_star", "resolve_theta_star"]


@dataclass(frozen=True)
class GroundTruth:
    """A resolved, hashable description of a ground truth theta* (no array of length p).

    Build one with :func:`resolve_theta_star` (from a dict, a CLI string or another description),
    :func:`parse_theta_star` (the CLI form) or :meth:`from_array`; never positionally.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`, or ``"array"``.
    params : tuple of (str, value) pairs
        The kind's parameters with defaults filled in, sorted by name (values are int, float or str;
        relative indices stay as their canonical text, e.g. ``"2k*"``).
    scale : float
        The stated norm of theta* (see ``normalise``), >= 0.
    normalise : {"l2", "sigma", "none"}
        ``scale`` is ``||theta*||_2`` (default), ``||theta*||_Sigma``, or a plain factor.
    name : str
        The label (a table's ``theta_star`` column); default the kind.

    Examples
    --------
    >>> from fastrisk.ground_truth import resolve_theta_star
    >>> gt = resolve_theta_star({"kind": "dense", "seed": 3})
    >>> gt.describe(), gt.label
    ('dense:dist=sign,seed=3', 'dense')
    >>> gt == resolve_theta_star("dense:seed=3")
    True
    """

    kind: str
    params: tuple = ()
    scale: float = 1.0
    normalise: str = "l2"
    name: str = ""
    _array: np.ndarray | None = field(default=None, compare=False, hash=False, repr=False)

    # ---------------------------------------------------------------------------- construction
    @classmethod
    def from_array(cls, values, *, scale: float | None = None, normalise: str = "none",
                   name: str = "array") -> GroundTruth:
        """An explicit ground truth. By default used as given (``normalise="none"``, ``scale=1``);
        ``normalise="l2"``/``"sigma"`` rescales it to ``||theta*|| = scale`` (default 1).

        Examples
        --------
        >>> import numpy as np
        >>> from fastrisk.ground_truth import GroundTruth
        >>> GroundTruth.from_array(np.array([3.0, 4.0])).build([1.0, 1.0])
        array([3., 4.])
        >>> GroundTruth.from_array(np.array([3.0, 4.0]), normalise="l2").build([1.0, 1.0])
        array([0.6, 0.8])
        """
        arr = _check_raw(np.asarray(values), "array", "values")
        arr.setflags(write=False)
        sc = 1.0 if scale is None else _as_real("array", "scale", scale, minimum=0.0)
        norm = _check_normalise("array", normalise)
        return cls("array", (("sha256", _digest(arr)),), sc, norm, str(name), arr)

    # --------------------------------------------------------------------------------- views
    @property
    def label(self) -> str:
        """The name, or the kind when none was given."""
        return self.name or self.kind

    def param(self, key: str):
        """The value of one parameter (KeyError if the kind has none of that name)."""
        return dict(self.params)[key]

    def to_dict(self) -> dict:
        """The description as a spec table: ``resolve_theta_star(gt.to_dict()) == gt`` (except for an
        explicit array, which a dict cannot carry: its digest is recorded instead).

        Examples
        --------
        >>> from fastrisk.ground_truth import parse_theta_star
        >>> parse_theta_star("power:a=0.5").to_dict()
        {'kind': 'power', 'a': 0.5, 'scale': 1.0, 'normalise': 'l2', 'name': 'power'}
        """
        return {"kind": self.kind, **dict(self.params), "scale": self.scale, "normalise": self.normalise,
                "name": self.label}

    def describe(self) -> str:
        """The canonical command-line form ``KIND[:key=value,...]`` (defaults of scale, normalise and
        name left out); ``parse_theta_star(gt.describe()) == gt`` up to the name."""
        bits = [f"{k}={_fmt(v)}" for k, v in self.params]
        if self.scale != 1.0:
            bits.append(f"scale={self.scale!r}")
        if self.normalise != _default_normalise(self.kind):
            bits.append(f"normalise={self.normalise}")
        return self.kind + (":" + ",".join(bits) if bits else "")

    def __str__(self) -> str:
        return self.describe()

    # --------------------------------------------------------------------------------- build
    def indices(self, spectrum, n: int | None = None) -> dict[str, int]:
        """The integer values of the index parameters (``k``, ``start``, ``stop``) for this spectrum
        and n: what a relative index such as ``"2k*"`` resolves to (empty for other kinds). ``spectrum``
        may be a compact :class:`~fastrisk.spectra.FlatTail` (as for :meth:`build_compact`)."""
        if isinstance(spectrum, FlatTail):
            c = spectrum
            return indices(self, lambda: _kstar_compact(np.asarray(c.lead), c.tail, c.p, n), n, c.p)
        s = check_spectrum(spectrum)
        return indices(self, lambda: _kstar_array(s, n), n, s.size)

    def build(self, spectrum, *, n: int | None = None) -> np.ndarray:
        """theta* for the diagonal Sigma with eigenvalues ``spectrum`` (p,), shape (p,), float64.

        Parameters
        ----------
        spectrum : array_like (p,)
            Eigenvalues of the diagonal Sigma (>= 0), in the coordinates of theta*.
        n : int, optional
            Sample size; needed only by indices relative to n or k*.

        Returns
        -------
        numpy.ndarray (p,)
            With ``||theta*||_2 = scale`` (``normalise="l2"``), ``||theta*||_Sigma = scale``
            (``"sigma"``) or ``scale`` times the raw shape (``"none"``).

        Examples
        --------
        >>> import numpy as np
        >>> from fastrisk.ground_truth import resolve_theta_star
        >>> resolve_theta_star({"kind": "e1", "scale": 2.0}).build(np.array([4.0, 1.0, 1.0]))
        array([2., 0., 0.])
        >>> resolve_theta_star("e1:normalise=sigma").build(np.array([4.0, 1.0, 1.0]))
        array([0.5, 0. , 0. ])
        """
        s = check_spectrum(spectrum)
        p = s.size
        raw = raw_full(self, s, n)
        return self._normalised(raw, lambda v: float(np.sum(s * v * v)), p)

    def build_compact(self, lead, tail: float, p: int, *, n: int | None = None) -> tuple[np.ndarray, float]:
        """theta* for a spectrum with a flat tail, without an array of length p.

        The spectrum is ``lead`` (m leading eigenvalues, coordinates 0..m-1) followed by ``p - m``
        eigenvalues equal to ``tail``.

        Returns
        -------
        (theta_lead, tail_norm)
            theta* on the m leading coordinates, and the l2 norm of theta* on the other ``p - m``
            (normalised as :meth:`build`): exactly ``build(full)[:m]`` and
            ``norm(build(full)[m:])`` (to rounding).

        Examples
        --------
        >>> import numpy as np
        >>> from fastrisk.ground_truth import resolve_theta_star
        >>> lead, t = resolve_theta_star("top_k:k=4").build_compact(np.array([1.0, 0.5]), 0.1, 10)
        >>> lead, round(t, 12)
        (array([0.5, 0.5]), 0.707106781187)
        """
        lead = np.ascontiguousarray(as_float_array(lead, "lead", ndim=1, dtype=np.float64))
        m = lead.size
        if np.any(lead < 0):
            raise ValueError("lead must be >= 0 (eigenvalues)")
        tail = float(tail)
        if not math.isfinite(tail) or tail < 0:
            raise ValueError(f"tail must be a finite eigenvalue >= 0, got {tail!r}")
        p = check_positive_int(p, "p")
        if m > p:
            raise ValueError(f"lead has {m} eigenvalues, more than p = {p}")
        rest = p - m
        raw_lead, tail_sq = raw_compact(self, lead, tail, p, n)
        tot2 = float(raw_lead @ raw_lead) + tail_sq
        sig2 = float(np.sum(lead * raw_lead**2)) + tail * tail_sq
        f = self._factor(math.sqrt(tot2), math.sqrt(sig2), rest + m)
        return raw_lead * f, math.sqrt(tail_sq) * f

    # ------------------------------------------------------------------------------ internals
    def _factor(self, l2: float, sig: float, p: int) -> float:
        if self.normalise == "none" or self.scale == 0.0:
            return self.scale
        den = l2 if self.normalise == "l2" else sig
        if not den > 0:
            what = "||theta*||_2" if self.normalise == "l2" else "||theta*||_Sigma"
            _fail(self.kind, f"{what} of the raw shape is 0 on this spectrum (p = {p}): nothing to "
                             f"normalise (normalise={self.normalise!r})")
        return self.scale / den

    def _normalised(self, raw: np.ndarray, sigma_sq, p: int) -> np.ndarray:
        l2 = float(np.linalg.norm(raw)) if self.normalise == "l2" else 0.0
        sig = math.sqrt(sigma_sq(raw)) if self.normalise == "sigma" else 0.0
        f = self._factor(l2, sig, p)
        if f != 1.0:
            raw *= f
        return raw


def _resolve_table(d: Mapping) -> GroundTruth:
    if "kind" not in d:
        _fail(None, f"a ground-truth table needs 'kind' (one of {', '.join(KINDS)}); got keys "
                    f"{sorted(map(str, d))}")
    kind = d["kind"]
    if not isinstance(kind, str) or kind.strip() not in KINDS:
        near = difflib.get_close_matches(str(kind), KINDS, n=1)
        _fail(None, f"unknown kind {kind!r}" + (f" (did you mean {near[0]!r}?)" if near else "")
              + f"; expected one of {', '.join(KINDS)}")
    kind = kind.strip()
    spec = _PARAMS[kind]
    for key in d:
        if key == "kind":
            continue
        if not isinstance(key, str) or (key not in spec and key not in _COMMON):
            allowed = list(spec) + list(_COMMON)
            near = difflib.get_close_matches(str(key), allowed, n=1)
            _fail(kind, f"unknown parameter {key!r}" + (f" (did you mean {near[0]!r}?)" if near else "")
                  + f"; {kind} takes {', '.join(allowed)}")
    params = []
    for key, (tag, default) in spec.items():
        if key in d:
            params.append((key, _convert(kind, key, tag, d[key])))
        elif default is _REQUIRED:
            _fail(kind, f"needs {key}" + (" (e.g. band:start=k*,stop=2k*)" if kind == "band" else
                                          " (e.g. top_k:k=10)" if kind == "top_k" else ""))
        elif default is not None:
            params.append((key, default))
    if kind == "top_k" and isinstance(dict(params)["k"], int) and dict(params)["k"] < 1:
        _fail(kind, f"k must be >= 1, got {dict(params)['k']}")
    if kind == "band":
        a, b = dict(params)["start"], dict(params)["stop"]
        if isinstance(a, int) and isinstance(b, int) and not a < b:
            _fail(kind, f"needs start < stop, got start = {a}, stop = {b}")
    scale = _as_real(kind, "scale", d.get("scale", 1.0), minimum=0.0)
    normalise = _check_normalise(kind, d.get("normalise", "l2"))
    name = d.get("name", "")
    if not isinstance(name, str):
        _fail(kind, f"name must be a string, got {name!r}")
    name = "" if name.strip() == kind else name.strip()
    if kind == "file":
        got = _digest(_load_npy(dict(params)["path"]))
        pinned = dict(params).get("sha256")
        if pinned is not None and pinned != got:
            _fail(kind, f"the array in {dict(params)['path']!r} has SHA-256 {got[:12]}..., not the "
                        f"sha256 = {pinned[:12]}... the spec pins")
        params = [kv for kv in params if kv[0] != "sha256"] + [("sha256", got)]
    return GroundTruth(kind, tuple(sorted(params)), scale, normalise, name)


def parse_theta_star(text: str) -> GroundTruth:
    """The command line's ground truth ``KIND[:key=value,...]`` as a :class:`GroundTruth`.

    Parameters
    ----------
    text : str
        E.g. ``"e1"``, ``"top_k:k=10"``, ``"band:start=k*,stop=2k*"``, ``"power:a=0.5"``,
        ``"dense:seed=3,dist=gaussian"``, ``"file:path=theta.npy"``; any kind also takes ``scale``,
        ``normalise`` and ``name``.

    Returns
    -------
    GroundTruth
        The same description :func:`resolve_theta_star` gives for the equivalent table.

    Raises
    ------
    ValueError
        One line naming the bad kind, key or value.

    Examples
    --------
    >>> from fastrisk.ground_truth import parse_theta_star
    >>> parse_theta_star("dense:seed=3,scale=2").to_dict()["scale"]
    2.0
    >>> parse_theta_star("power:b=1")
    Traceback (most recent call last):
    ...
    ValueError: theta_star power: unknown parameter 'b'; power takes a, name, scale, normalise
    """
    if not isinstance(text, str):
        raise TypeError(f"theta_star must be a string KIND[:key=value,...], got {type(text).__name__}")
    t = text.strip()
    if not t:
        _fail(None, f"empty; expected KIND[:key=value,...] with KIND one of {', '.join(KINDS)}")
    kind, _, rest = t.partition(":")
    d: dict[str, Any] = {"kind": kind.strip()}
    if _ and not rest.strip():
        _fail(kind.strip() or None, f"nothing after ':' in {text!r}; expected KIND:key=value[,key=value...]")
    if rest.strip():
        for item in rest.split(","):
            key, eq, val = item.partition("=")
            key, val = key.strip(), val.strip()
            if not eq or not key or not val:
                _fail(kind.strip() or None, f"expected key=value, got {item.strip()!r} in {text!r}")
            if key in d:
                _fail(kind.strip() or None, f"{key} given twice in {text!r}")
            d[key] = val
    return _resolve_table(d)


def resolve_theta_star(spec) -> GroundTruth:
    """Validate a ground-truth spec once and return its resolved, hashable description.

    Parameters
    ----------
    spec : GroundTruth, str, mapping or array_like
        A description (returned as is), the command-line form ``KIND[:key=value,...]``
        (:func:`parse_theta_star`), a spec table (``{"kind": ..., <params>, "scale", "normalise",
        "name"}``, as a TOML ``[[theta_star]]`` table reads), or an explicit 1-D array
        (:meth:`GroundTruth.from_array`, used as given).

    Returns
    -------
    GroundTruth

    Raises
    ------
    ValueError, TypeError
        One line naming the bad kind, key or value; nothing is built.

    Examples
    --------
    >>> from fastrisk.ground_truth import resolve_theta_star
    >>> resolve_theta_star({"kind": "band", "start": "k*", "stop": "2k*"}).params
    (('start', 'k*'), ('stop', '2k*'))
    >>> resolve_theta_star({"kind": "top_k", "k": 0})
    Traceback (most recent call last):
    ...
    ValueError: theta_star top_k: k must be >= 1, got 0
    """
    if isinstance(spec, GroundTruth):
        return spec
    if isinstance(spec, str):
        return parse_theta_star(spec)
    if isinstance(spec, Mapping):
        return _resolve_table(spec)
    if isinstance(spec, (np.ndarray, list, tuple)):
        return GroundTruth.from_array(spec)
    raise TypeError(f"theta_star must be a kind string, a table (dict), a GroundTruth or an array, got "
                    f"{type(spec).__name__}")
