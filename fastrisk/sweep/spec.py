"""Sweep specifications: parse a TOML file or a dict, validate every key once, normalise.

A spec describes a grid of *tasks*, one per (spectrum, n, p, noise, seed), and what each task reports
(penalties, radii, attack norms, targets). :func:`parse_spec` turns a TOML file or a dict of the same
structure into a :class:`Spec`: every value checked, every default filled in, so that two spellings of
the same sweep (``seeds = 3`` and ``seeds = [0, 1, 2]``) have the same :attr:`Spec.hash`.

Errors are :class:`SpecError` (a ``ValueError``) naming the key and what was expected; nothing is computed
or written before the whole spec is valid.

Scaled values (the one piece of arithmetic a spec may hold, no code is ever evaluated): a spectrum
parameter may be a table ``{coef = c, n_power = a, p_power = b, round = false}`` meaning
``c * n**a * p**b`` (rounded to an int when ``round = true``), so that the instances of Bartlett, Long,
Lugosi and Tsigler (2020) -- ``low * p = n**0.5`` -- read ``low = {n_power = 0.5, p_power = -1}``.
Radii may be a table ``{values = [...], n_power = a, p_power = b, relative = false}`` meaning
``eps = value * n**a * p**b`` (times ``sqrt(tr Sigma)`` when ``relative = true``).
"""

from __future__ import annotations

import difflib
import hashlib
import inspect
import json
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real

from .. import spectra

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["Spec", "SpecError", "parse_spec", "load_spec", "SPECTRUM_KINDS", "TOP_KEYS", "PATH_KEYS",
           "NTK_KEYS", "MODELS", "TARGETS", "SPEC_FORMAT"]

#: Version of the normalised form (part of the hash: results of another format never mix).
SPEC_FORMAT = 1

MODELS = ("linear", "ntk")
TARGETS = ("clean", "noisy", "consistent")
SPECTRUM_KINDS = ("isotropic", "power_law", "bllt_log", "two_level", "spiked")
TOP_KEYS = ("model", "n", "p", "p_exponent", "seeds", "noise", "signal", "theory", "test_size", "name",
            "stream", "spectrum", "path", "ntk")
PATH_KEYS = ("lam", "lam_n", "eps", "norm", "target")
NTK_KEYS = ("train", "method", "test_size", "steps", "restarts")
SCALED_KEYS = ("coef", "n_power", "p_power", "round")
EPS_KEYS = ("values", "n_power", "p_power", "relative")
LOGSPACE_KEYS = ("start", "stop", "num", "zero")
NTK_TRAIN = ("first", "second", "both")
NTK_METHODS = ("first_order", "fgsm", "pgd")
#: ``stream = "auto"``: linear tasks with n * p at or above this many entries of X (512 MiB in float64)
#: never hold X (:meth:`fastrisk.RidgePath.from_design`).
STREAM_AUTO_MIN = 2**26
#: Test-sample size of the NTK model when ``[ntk] test_size`` is not given.
NTK_TEST_SIZE = 500


class SpecError(ValueError):
    """A sweep spec that cannot run: the message names the key and what was expected."""


# ----------------------------------------------------------------------------- small checks
def _unknown(keys, known, where: str) -> None:
    for k in keys:
        if k not in known:
            close = difflib.get_close_matches(str(k), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown key {k!r} in {where}{hint}; known keys: {', '.join(known)}")


def _is_int(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _is_real(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _as_list(v, key: str) -> list:
    if isinstance(v, (list, tuple)):
        if len(v) == 0:
            raise SpecError(f"{key} is an empty list: give at least one value")
        return list(v)
    return [v]


def _int_list(v, key: str, minimum: int) -> list[int]:
    out = []
    for x in _as_list(v, key):
        if not _is_int(x):
            raise SpecError(f"{key} must be an integer or a list of integers, got {x!r}")
        if x < minimum:
            raise SpecError(f"{key} must be >= {minimum}, got {x!r}")
        out.append(int(x))
    _no_duplicates(out, key)
    return out


def _float(x, key: str, *, minimum: float | None = None, strict: bool = False) -> float:
    if not _is_real(x) or not math.isfinite(float(x)):
        raise SpecError(f"{key} must be a finite number, got {x!r}")
    x = float(x)
    if minimum is not None and (x < minimum or (strict and x == minimum)):
        raise SpecError(f"{key} must be {'>' if strict else '>='} {minimum:g}, got {x!r}")
    return x


def _float_list(v, key: str, *, minimum: float | None = None, strict: bool = False) -> list[float]:
    out = [_float(x, key, minimum=minimum, strict=strict) for x in _as_list(v, key)]
    _no_duplicates(out, key)
    return out


def _no_duplicates(values: list, key: str) -> None:
    seen = set()
    for x in values:
        if x in seen:
            raise SpecError(f"{key} lists {x!r} twice: every grid value must be distinct")
        seen.add(x)


def _norm(x, key: str) -> float:
    if isinstance(x, str):
        if x.lower() in ("inf", "infinity", "linf"):
            return math.inf
        raise SpecError(f"{key} must be a number >= 1 or \"inf\", got {x!r}")
    if not _is_real(x) or math.isnan(float(x)):
        raise SpecError(f"{key} must be a number >= 1 or \"inf\", got {x!r}")
    if float(x) < 1:
        raise SpecError(f"{key} must be >= 1 (the attack ball ||delta||_p <= eps), got {x!r}")
    return float(x)


# ----------------------------------------------------------------------------- scaled values
@dataclass(frozen=True)
class Scaled:
    """``coef * n**n_power * p**p_power`` (an int when ``round``): an n- or p-dependent value."""

    coef: float = 1.0
    n_power: float = 0.0
    p_power: float = 0.0
    round: bool = False

    def __call__(self, n: int, p: int):
        v = self.coef * float(n) ** self.n_power * float(p) ** self.p_power
        return int(round(v)) if self.round else v

    def to_json(self) -> dict:
        return {"coef": self.coef, "n_power": self.n_power, "p_power": self.p_power, "round": self.round}


def _scaled(v: Mapping, key: str) -> Scaled:
    _unknown(v.keys(), SCALED_KEYS, key)
    rnd = v.get("round", False)
    if not isinstance(rnd, bool):
        raise SpecError(f"{key}.round must be true or false, got {rnd!r}")
    return Scaled(coef=_float(v.get("coef", 1.0), f"{key}.coef"),
                  n_power=_float(v.get("n_power", 0.0), f"{key}.n_power"),
                  p_power=_float(v.get("p_power", 0.0), f"{key}.p_power"), round=rnd)


# ----------------------------------------------------------------------------- the spec
@dataclass(frozen=True)
class SpectrumSpec:
    """One ``[[spectrum]]`` table: ``spectra.<kind>(p, **params)``, params possibly :class:`Scaled`."""

    kind: str
    name: str
    params: dict = field(default_factory=dict)

    def resolve(self, n: int, p: int) -> dict:
        """The keyword arguments of ``spectra.<kind>`` at this (n, p)."""
        return {k: (v(n, p) if isinstance(v, Scaled) else v) for k, v in self.params.items()}

    def to_json(self) -> dict:
        return {"kind": self.kind, "name": self.name,
                "params": {k: (v.to_json() if isinstance(v, Scaled) else v) for k, v in self.params.items()}}


@dataclass(frozen=True)
class Spec:
    """A validated, normalised sweep spec (see the README, "Sweeps", for every key).

    ``lam`` holds the unnormalised penalties when given as ``lam``; ``lam_n`` the normalised ones
    (``lam = n * lam_n``, resolved per task). ``eps_values`` with ``eps_n_power``, ``eps_p_power`` and
    ``eps_relative`` give the absolute radius ``value * n**a * p**b (* sqrt(tr Sigma))``.
    """

    model: str
    n: tuple[int, ...]
    p: tuple[int, ...] | None
    p_exponent: tuple[float, ...] | None
    seeds: tuple[int, ...]
    noise: tuple[float, ...]
    signal: float
    theory: bool
    test_size: int
    name: str
    stream_min: int | None
    spectra: tuple[SpectrumSpec, ...]
    lam: tuple[float, ...] | None
    lam_n: tuple[float, ...] | None
    eps_values: tuple[float, ...]
    eps_n_power: float
    eps_p_power: float
    eps_relative: bool
    norms: tuple[float, ...]
    targets: tuple[str, ...]
    ntk: dict

    def p_values(self, n: int) -> tuple[int, ...]:
        """Feature counts paired with training size n: the ``p`` list, or ``round(n ** e)``."""
        if self.p is not None:
            return self.p
        out = []
        for e in self.p_exponent:
            v = max(1, int(round(float(n) ** e)))
            if v not in out:
                out.append(v)
        return tuple(out)

    def lam_for(self, n: int) -> list[float]:
        """Unnormalised penalties of a task with n training points (``n * lam_n`` or ``lam``)."""
        if self.lam is not None:
            return list(self.lam)
        return [n * v for v in self.lam_n]

    def to_json(self) -> dict:
        """The normalised spec as plain JSON values (inf norms as the string "inf")."""
        return {
            "format": SPEC_FORMAT, "model": self.model, "n": list(self.n),
            "p": None if self.p is None else list(self.p),
            "p_exponent": None if self.p_exponent is None else list(self.p_exponent),
            "seeds": list(self.seeds), "noise": list(self.noise), "signal": self.signal,
            "theory": self.theory, "test_size": self.test_size, "name": self.name,
            "stream_min": self.stream_min,
            "spectrum": [s.to_json() for s in self.spectra],
            "path": {"lam": None if self.lam is None else list(self.lam),
                     "lam_n": None if self.lam_n is None else list(self.lam_n),
                     "eps": {"values": list(self.eps_values), "n_power": self.eps_n_power,
                             "p_power": self.eps_p_power, "relative": self.eps_relative},
                     "norm": ["inf" if math.isinf(v) else v for v in self.norms],
                     "target": list(self.targets)},
            "ntk": dict(self.ntk),
        }

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the normalised spec: equal iff the sweeps are equal."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()


def load_spec(path: str | os.PathLike) -> dict:
    """Read a TOML spec file into a dict (SpecError if missing or not TOML)."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SpecError(f"spec file {os.fspath(path)!r} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"spec file {os.fspath(path)!r} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise SpecError(f"spec file {os.fspath(path)!r} cannot be read: {exc}") from None


def _lam_grid(v, key: str, *, scale_note: str) -> list[float]:
    if isinstance(v, Mapping):
        _unknown(v.keys(), LOGSPACE_KEYS, f"path.{key}")
        for k in ("start", "stop", "num"):
            if k not in v:
                raise SpecError(f"path.{key} as a table needs start, stop and num (log10 bounds and "
                                f"count of {scale_note}); missing {k!r}")
        start = _float(v["start"], f"path.{key}.start")
        stop = _float(v["stop"], f"path.{key}.stop")
        num = v["num"]
        if not _is_int(num) or num < 1:
            raise SpecError(f"path.{key}.num must be an integer >= 1, got {num!r}")
        zero = v.get("zero", False)
        if not isinstance(zero, bool):
            raise SpecError(f"path.{key}.zero must be true or false, got {zero!r}")
        import numpy as np

        grid = np.logspace(start, stop, int(num)).tolist()
        out = ([0.0] if zero else []) + [float(x) for x in grid]
        _no_duplicates(out, f"path.{key}")
        return out
    return _float_list(v, f"path.{key}", minimum=0.0)


def _spectrum(tab, i: int) -> SpectrumSpec:
    where = f"spectrum[{i}]"
    if not isinstance(tab, Mapping):
        raise SpecError(f"{where} must be a table with a 'kind' key, got {tab!r}")
    if "kind" not in tab:
        raise SpecError(f"{where} needs a 'kind': one of {', '.join(SPECTRUM_KINDS)}")
    kind = tab["kind"]
    if kind not in SPECTRUM_KINDS:
        raise SpecError(f"{where}.kind must be one of {', '.join(SPECTRUM_KINDS)}, got {kind!r}")
    sig = inspect.signature(getattr(spectra, kind))
    params_known = [k for k in sig.parameters if k != "p"]
    name = tab.get("name", kind)
    if not isinstance(name, str) or not name:
        raise SpecError(f"{where}.name must be a non-empty string, got {name!r}")
    params = {}
    for k, v in tab.items():
        if k in ("kind", "name"):
            continue
        if k not in params_known:
            close = difflib.get_close_matches(k, params_known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown parameter {k!r} of spectrum kind {kind!r} in {where}{hint}; "
                            f"its parameters: {', '.join(params_known)}")
        if isinstance(v, Mapping):
            params[k] = _scaled(v, f"{where}.{k}")
        elif _is_real(v) and math.isfinite(float(v)):
            params[k] = int(v) if _is_int(v) else float(v)
        else:
            raise SpecError(f"{where}.{k} must be a finite number or a table {{coef, n_power, p_power, "
                            f"round}}, got {v!r}")
    missing = [k for k, prm in sig.parameters.items()
               if k != "p" and prm.default is inspect.Parameter.empty and k not in params]
    if missing:
        raise SpecError(f"{where} (kind {kind!r}) needs parameter(s) {', '.join(missing)}")
    return SpectrumSpec(kind=kind, name=name, params=params)


def parse_spec(spec: Mapping | str | os.PathLike | Spec) -> Spec:
    """Validate and normalise a sweep spec.

    Parameters
    ----------
    spec : dict, str or path-like, or Spec
        A dict with the structure of the TOML file, or the path of a TOML file.

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        Naming the first offending key and what was expected.
    """
    if isinstance(spec, Spec):
        return spec
    if isinstance(spec, (str, os.PathLike)):
        spec = load_spec(spec)
    if not isinstance(spec, Mapping):
        raise TypeError(f"spec must be a dict, a Spec or the path of a TOML file, got {type(spec).__name__}")
    _unknown(spec.keys(), TOP_KEYS, "the spec")

    model = spec.get("model", "linear")
    if model not in MODELS:
        raise SpecError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if "n" not in spec:
        raise SpecError("n is required: a training size or a list of them (integers >= 1)")
    n = _int_list(spec["n"], "n", 1)

    has_p, has_e = "p" in spec, "p_exponent" in spec
    if has_p == has_e:
        raise SpecError("give exactly one of p (feature counts) and p_exponent (p = round(n ** e)), "
                        f"got {'both' if has_p else 'neither'}")
    p = tuple(_int_list(spec["p"], "p", 1)) if has_p else None
    p_exp = tuple(_float_list(spec["p_exponent"], "p_exponent", minimum=0.0, strict=True)) if has_e else None

    seeds = spec.get("seeds", 1)
    if _is_int(seeds):
        if seeds < 1:
            raise SpecError(f"seeds as an int k means seeds 0..k-1 and must be >= 1, got {seeds!r}")
        seeds = list(range(int(seeds)))
    elif isinstance(seeds, (list, tuple)):
        seeds = _int_list(seeds, "seeds", 0)
    else:
        raise SpecError(f"seeds must be an int k (seeds 0..k-1) or a list of non-negative ints, "
                        f"got {seeds!r}")

    noise = _float_list(spec.get("noise", 1.0), "noise", minimum=0.0)
    signal = _float(spec.get("signal", 1.0), "signal")
    theory = spec.get("theory", False)
    if not isinstance(theory, bool):
        raise SpecError(f"theory must be true or false, got {theory!r}")
    if theory and model != "linear":
        raise SpecError("theory = true is available for model = \"linear\" only (deterministic "
                        "equivalents of the ridge path)")
    test_size = spec.get("test_size", 0)
    if not _is_int(test_size) or test_size < 0:
        raise SpecError(f"test_size must be an integer >= 0 (0: no empirical attack), got {test_size!r}")
    name = spec.get("name", "")
    if not isinstance(name, str):
        raise SpecError(f"name must be a string, got {name!r}")
    stream = spec.get("stream", "auto")
    if stream == "auto":
        stream_min = STREAM_AUTO_MIN
    elif isinstance(stream, bool):
        stream_min = 1 if stream else None
    elif _is_int(stream) and stream >= 1:
        stream_min = int(stream)
    else:
        raise SpecError(f"stream must be \"auto\", true, false or an integer >= 1 (stream when n * p is at "
                        f"least that), got {stream!r}")

    if "spectrum" not in spec:
        raise SpecError("spectrum is required: one or more [[spectrum]] tables with a 'kind' "
                        f"({', '.join(SPECTRUM_KINDS)}) and its parameters")
    tabs = spec["spectrum"]
    if isinstance(tabs, Mapping):
        tabs = [tabs]
    if not isinstance(tabs, (list, tuple)) or len(tabs) == 0:
        raise SpecError("spectrum must be one or more [[spectrum]] tables, got an empty list")
    specs = tuple(_spectrum(t, i) for i, t in enumerate(tabs))
    _no_duplicates([s.name for s in specs], "spectrum names (add name = \"...\" to tell them apart;"
                                            " spectrum.name")

    path = spec.get("path", {})
    if not isinstance(path, Mapping):
        raise SpecError(f"path must be a table ([path]), got {path!r}")
    _unknown(path.keys(), PATH_KEYS, "[path]")
    has_lam, has_lam_n = "lam" in path, "lam_n" in path
    if has_lam == has_lam_n:
        raise SpecError("give exactly one of path.lam (unnormalised penalties) and path.lam_n "
                        f"(normalised, lam = n * lam_n), got {'both' if has_lam else 'neither'}")
    lam = tuple(_lam_grid(path["lam"], "lam", scale_note="lam")) if has_lam else None
    lam_n = tuple(_lam_grid(path["lam_n"], "lam_n", scale_note="lam / n")) if has_lam_n else None

    eps = path.get("eps", [0.0])
    if isinstance(eps, Mapping):
        _unknown(eps.keys(), EPS_KEYS, "path.eps")
        if "values" not in eps:
            raise SpecError("path.eps as a table needs 'values' (a list of radii coefficients)")
        eps_values = _float_list(eps["values"], "path.eps.values", minimum=0.0)
        eps_n = _float(eps.get("n_power", 0.0), "path.eps.n_power")
        eps_p = _float(eps.get("p_power", 0.0), "path.eps.p_power")
        rel = eps.get("relative", False)
        if not isinstance(rel, bool):
            raise SpecError(f"path.eps.relative must be true or false, got {rel!r}")
    else:
        eps_values = _float_list(eps, "path.eps", minimum=0.0)
        eps_n, eps_p, rel = 0.0, 0.0, False

    norms = [_norm(x, "path.norm") for x in _as_list(path.get("norm", [2.0]), "path.norm")]
    _no_duplicates(norms, "path.norm")
    targets = _as_list(path.get("target", ["clean"]), "path.target")
    for t in targets:
        if t not in TARGETS:
            raise SpecError(f"path.target must be one of {', '.join(TARGETS)}, got {t!r}")
        if t == "consistent" and any(v != 2.0 for v in norms):
            raise SpecError("path.target \"consistent\" (perturbations orthogonal to theta*) needs "
                            "path.norm = [2] only")
        if t == "consistent" and model == "ntk":
            raise SpecError("path.target \"consistent\" is defined for model = \"linear\" only")
    _no_duplicates(targets, "path.target")

    ntk_tab = spec.get("ntk", {})
    if not isinstance(ntk_tab, Mapping):
        raise SpecError(f"ntk must be a table ([ntk]), got {ntk_tab!r}")
    if ntk_tab and model != "ntk":
        raise SpecError("an [ntk] table needs model = \"ntk\"")
    _unknown(ntk_tab.keys(), NTK_KEYS, "[ntk]")
    ntk = {}
    if model == "ntk":
        train = ntk_tab.get("train", "first")
        if train not in NTK_TRAIN:
            raise SpecError(f"ntk.train must be one of {', '.join(NTK_TRAIN)}, got {train!r}")
        method = ntk_tab.get("method", "first_order")
        if method not in NTK_METHODS:
            raise SpecError(f"ntk.method must be one of {', '.join(NTK_METHODS)}, got {method!r}")
        if method == "pgd" and any(v not in (2.0, math.inf) for v in norms):
            raise SpecError("ntk.method = \"pgd\" supports path.norm 2 and \"inf\" only")
        ts = ntk_tab.get("test_size", test_size or NTK_TEST_SIZE)
        steps = ntk_tab.get("steps", 20)
        restarts = ntk_tab.get("restarts", 1)
        for key, v in (("ntk.test_size", ts), ("ntk.steps", steps), ("ntk.restarts", restarts)):
            if not _is_int(v) or v < 1:
                raise SpecError(f"{key} must be an integer >= 1, got {v!r}")
        ntk = {"train": train, "method": method, "test_size": int(ts), "steps": int(steps),
               "restarts": int(restarts)}

    out = Spec(model=model, n=tuple(n), p=p, p_exponent=p_exp, seeds=tuple(seeds), noise=tuple(noise),
               signal=signal, theory=theory, test_size=int(test_size), name=name, stream_min=stream_min,
               spectra=specs, lam=lam,
               lam_n=lam_n, eps_values=tuple(eps_values), eps_n_power=eps_n, eps_p_power=eps_p,
               eps_relative=rel, norms=tuple(norms), targets=tuple(targets), ntk=ntk)
    return out
