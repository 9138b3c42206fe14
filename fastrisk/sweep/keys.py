"""The keys of a sweep spec, declared once: :data:`SPEC_TABLE` parses a spec (the first offending key
reported in one line) and generates its JSON Schema (:func:`fastrisk.sweep.spec.json_schema`).

To add a key, declare it here with its field type, default and one line of documentation (the rest of
the recipe is in :mod:`fastrisk.sweep.spec`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping

from .. import spectra
from .fields import (
    MAX_AXIS,
    Boolean,
    Choice,
    ChoiceList,
    Field,
    FloatGrid,
    Integer,
    IntGrid,
    Number,
    OneOf,
    Rule,
    SpecError,
    String,
    Table,
    as_list,
    finite_float,
    is_int,
    is_real,
    no_duplicates,
    unknown_keys,
)
from .kinds import KindArray
from .truths import TruthArray

__all__ = ["SPEC_TABLE", "PATH_TABLE", "NTK_TABLE", "TOP_KEYS", "PATH_KEYS", "NTK_KEYS", "MODELS", "TARGETS",
           "SPECTRUM_KINDS", "NTK_TRAIN", "NTK_METHODS", "STREAM_AUTO_MIN", "NTK_TEST_SIZE", "DTYPES",
           "TAILS", "WISHART_KINDS"]

MODELS = ("linear", "ntk")
TARGETS = ("clean", "noisy", "consistent")
SPECTRUM_KINDS = ("isotropic", "power_law", "bllt_log", "two_level", "spiked")
NTK_TRAIN = ("first", "second", "both")
NTK_METHODS = ("first_order", "fgsm", "pgd")
#: Precision of the Gram and the eigendecomposition of linear tasks (every reduction after it is float64).
DTYPES = ("float64", "float32")
#: How a linear task draws X's flat tail: X itself, or the tail's Gram from its Wishart law.
TAILS = ("explicit", "wishart")
#: Spectrum kinds with a flat tail (the presets that take ``compact=True``): those ``tail = "wishart"`` takes.
WISHART_KINDS = ("two_level", "spiked", "isotropic")
#: ``stream = "auto"``: linear tasks with n * p at or above this many entries of X (512 MiB in float64)
#: never hold X (:meth:`fastrisk.RidgePath.from_design`).
STREAM_AUTO_MIN = 2**26
#: Test-sample size of the NTK model when ``[ntk] test_size`` is not given.
NTK_TEST_SIZE = 500


# ----------------------------------------------------------------------------- field types of this spec
class Seeds(Field):
    """``seeds = k`` (seeds 0..k-1, kept as a ``range``: never expanded here) or a list of seeds."""

    def parse(self, v, key):
        if is_int(v):
            if v < 1:
                raise SpecError(f"seeds as an int k means seeds 0..k-1 and must be >= 1, got {v!r}")
            return range(int(v))
        if isinstance(v, (list, tuple)):
            return IntGrid(minimum=0).parse(v, key)
        raise SpecError(f"seeds must be an int k (seeds 0..k-1) or a list of non-negative ints, got {v!r}")

    def value_schema(self):
        return {"anyOf": [{"type": "integer", "minimum": 1},
                          {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1,
                           "uniqueItems": True}]}

    def json_default(self):
        return 1


class Stream(Field):
    """``"auto"``, true, false or an int: parsed to the threshold on n * p (None: never stream)."""

    def parse(self, v, key):
        if v == "auto":
            return STREAM_AUTO_MIN
        if isinstance(v, bool):
            return 1 if v else None
        if is_int(v) and v >= 1:
            return int(v)
        raise SpecError(f"stream must be \"auto\", true, false or an integer >= 1 (stream when n * p is at "
                        f"least that), got {v!r}")

    def value_schema(self):
        return {"anyOf": [{"const": "auto"}, {"type": "boolean"}, {"type": "integer", "minimum": 1}]}

    def json_default(self):
        return "auto"


LOGSPACE_KEYS = ("start", "stop", "num", "zero")


class PenaltyGrid(Field):
    """Penalties: a list (>= 0), or ``{start, stop, num, zero}`` for ``[0] + logspace(start, stop, num)``."""

    def __init__(self, doc="", default=None, *, note: str, **kw):
        super().__init__(doc, default, **kw)
        self.note = note

    def parse(self, v, key):
        if not isinstance(v, Mapping):
            return FloatGrid(minimum=0.0).parse(v, key)
        unknown_keys(v.keys(), LOGSPACE_KEYS, key)
        for k in ("start", "stop", "num"):
            if k not in v:
                raise SpecError(f"{key} as a table needs start, stop and num (log10 bounds and count of "
                                f"{self.note}); missing {k!r}")
        start = finite_float(v["start"], f"{key}.start")
        stop = finite_float(v["stop"], f"{key}.stop")
        num = v["num"]
        if not is_int(num) or num < 1:
            raise SpecError(f"{key}.num must be an integer >= 1, got {num!r}")
        if num > MAX_AXIS:
            raise SpecError(f"{key}.num = {num} penalties cannot be held: at most {MAX_AXIS} per task")
        zero = Boolean().parse(v.get("zero", False), f"{key}.zero")
        import numpy as np

        out = ([0.0] if zero else []) + [float(x) for x in np.logspace(start, stop, int(num))]
        no_duplicates(out, key)
        return tuple(out)

    def value_schema(self):
        return {"anyOf": [
            {"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": 1, "uniqueItems": True},
            {"type": "object", "additionalProperties": False, "required": ["start", "stop", "num"],
             "description": f"[0] (with zero = true) + logspace(start, stop, num) of {self.note}",
             "properties": {"start": {"type": "number", "description": "log10 of the smallest"},
                            "stop": {"type": "number", "description": "log10 of the largest"},
                            "num": {"type": "integer", "minimum": 1, "maximum": MAX_AXIS},
                            "zero": {"type": "boolean", "default": False,
                                     "description": "add 0, the min-norm interpolator"}}}]}


EPS_KEYS = ("values", "n_power", "p_power", "relative")


class Radii(Field):
    """Radii: a list (>= 0) of absolute radii, or ``{values, n_power, p_power, relative}``."""

    def parse(self, v, key):
        if not isinstance(v, Mapping):
            return {"values": FloatGrid(minimum=0.0).parse(v, key), "n_power": 0.0, "p_power": 0.0,
                    "relative": False}
        unknown_keys(v.keys(), EPS_KEYS, key)
        if "values" not in v:
            raise SpecError(f"{key} as a table needs 'values' (a list of radii coefficients)")
        return {"values": FloatGrid(minimum=0.0).parse(v["values"], f"{key}.values"),
                "n_power": finite_float(v.get("n_power", 0.0), f"{key}.n_power"),
                "p_power": finite_float(v.get("p_power", 0.0), f"{key}.p_power"),
                "relative": Boolean().parse(v.get("relative", False), f"{key}.relative")}

    def value_schema(self):
        values = {"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": 1,
                  "uniqueItems": True}
        return {"anyOf": [values, {"type": "number", "minimum": 0}, {
            "type": "object", "additionalProperties": False, "required": ["values"],
            "description": "eps = value * n**n_power * p**p_power (* sqrt(tr Sigma) with relative = true)",
            "properties": {"values": values, "n_power": {"type": "number", "default": 0.0},
                           "p_power": {"type": "number", "default": 0.0},
                           "relative": {"type": "boolean", "default": False}}}]}

    def json_default(self):
        return [0.0]


class Norms(Field):
    """Attack norms p >= 1, ``"inf"`` for l_inf: one or a list of distinct values."""

    @staticmethod
    def one(x, key):
        if isinstance(x, str):
            if x.lower() in ("inf", "infinity", "linf"):
                return math.inf
            raise SpecError(f"{key} must be a number >= 1 or \"inf\", got {x!r}")
        if not is_real(x) or math.isnan(float(x)):
            raise SpecError(f"{key} must be a number >= 1 or \"inf\", got {x!r}")
        if float(x) < 1:
            raise SpecError(f"{key} must be >= 1 (the attack ball ||delta||_p <= eps), got {x!r}")
        return float(x)

    def parse(self, v, key):
        out = [self.one(x, key) for x in as_list(v, key)]
        no_duplicates(out, key)
        return tuple(out)

    def value_schema(self):
        inf = "^([iI][nN][fF]([iI][nN][iI][tT][yY])?|[lL][iI][nN][fF])$"  # inf, infinity, linf; any case
        one = {"anyOf": [{"type": "number", "minimum": 1}, {"type": "string", "pattern": inf}]}
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1, "uniqueItems": True}]}


class NtkTable(Table):
    """``[ntk]``: only with ``model = "ntk"``, whose defaults it then fills in."""

    def parse_in(self, v, key, values):
        return self.parse(v, key, parent=values) if values["model"] == "ntk" else {}


# ----------------------------------------------------------------------------- rules between keys
def _theory_linear(raw, values, parent):
    if values["theory"] and values["model"] != "linear":
        raise SpecError("theory = true is available for model = \"linear\" only (deterministic "
                        "equivalents of the ridge path)")


def _consistent_target(raw, values, parent):
    if "consistent" in values["target"]:
        if any(v != 2.0 for v in values["norm"]):
            raise SpecError("path.target \"consistent\" (perturbations orthogonal to theta*) needs "
                            "path.norm = [2] only")
        if parent["model"] == "ntk":
            raise SpecError("path.target \"consistent\" is defined for model = \"linear\" only")


def _signal_or_truth(raw, values, parent):
    if "signal" in raw and "theta_star" in raw:
        raise SpecError("give signal (theta* = signal * e_1) or [[theta_star]] tables, not both (an e1 "
                        "table with scale = ... is theta* = scale * e_1)")


def _linear_only(key: str, default, what: str) -> Rule:
    """``key`` away from its default needs model = "linear"."""

    def check(raw, values, parent):
        if values[key] != default and values["model"] != "linear":
            raise SpecError(f"{key} = {json.dumps(raw[key])} ({what}) is available for model = \"linear\" "
                            "only")

    return Rule(check, {"if": {"properties": {"model": {"const": "ntk"}}, "required": ["model"]},
                        "then": {"properties": {key: {"const": default}}}})


def _wishart_tail(raw, values, parent):
    """``tail = "wishart"`` carries l2 quantities of flat-tail spectra only (the tail of X never exists)."""
    if values["tail"] != "wishart":
        return
    bad = [v for v in values["path"]["norm"] if v != 2.0]
    if bad:
        shown = "\"inf\"" if math.isinf(bad[0]) else f"{bad[0]:g}"
        raise SpecError(f"tail = \"wishart\" is exact in law for l2 quantities only: path.norm must be [2], "
                        f"got {shown} (use tail = \"explicit\" for other attack norms)")
    if values["test_size"]:
        raise SpecError(f"tail = \"wishart\" never forms the tail of X, so it has no test sample to attack: "
                        f"test_size must be 0, got {values['test_size']} (use tail = \"explicit\")")
    if values["dtype"] != "float64":
        raise SpecError(f"tail = \"wishart\" computes in float64 only: dtype must be \"float64\", got "
                        f"{json.dumps(values['dtype'])}")
    for i, sp in enumerate(values["spectrum"]):
        if sp.kind not in WISHART_KINDS:
            flat = ", ".join(WISHART_KINDS)
            raise SpecError(f"tail = \"wishart\" needs a spectrum with a flat tail ({flat}): spectrum[{i}] "
                            f"is kind {sp.kind!r} (use tail = \"explicit\")")


def _wishart_schema() -> dict:
    one_kind = {"type": "object", "properties": {"kind": {"enum": list(WISHART_KINDS)}}}
    two = {"anyOf": [{"const": 2}, {"type": "array", "items": {"const": 2}}]}
    return {"if": {"properties": {"tail": {"const": "wishart"}}, "required": ["tail"]},
            "then": {"properties": {"test_size": {"const": 0}, "dtype": {"const": "float64"},
                                    "path": {"properties": {"norm": two}},
                                    "spectrum": {"anyOf": [{"type": "array", "items": one_kind}, one_kind]}}}}


def _ntk_needs_model(raw, values, parent):
    tab = raw.get("ntk", {})
    if not isinstance(tab, Mapping):
        raise SpecError(f"ntk must be a table ([ntk]), got {tab!r}")
    if tab and values["model"] != "ntk":
        raise SpecError("an [ntk] table needs model = \"ntk\"")


def _pgd_norms(raw, values, parent):
    if values["method"] == "pgd" and any(v not in (2.0, math.inf) for v in parent["path"]["norm"]):
        raise SpecError("ntk.method = \"pgd\" supports path.norm 2 and \"inf\" only")


def _ntk_test_size(values, parent) -> int:
    return parent["test_size"] or NTK_TEST_SIZE


# ----------------------------------------------------------------------------- the spec's keys, declared once
PATH_TABLE = Table(
    "The ridge path of every task: penalties, radii, attack norms, targets.",
    where="[path]", prefix="path.",
    entries={
        "_lam": OneOf("lam", "lam_n", "give exactly one of path.lam (unnormalised penalties) and path.lam_n "
                                      "(normalised, lam = n * lam_n)"),
        "lam": PenaltyGrid("Unnormalised penalties, as RidgePath takes them (>= 0).", note="lam"),
        "lam_n": PenaltyGrid("Normalised penalties: lam = n * lam_n.", note="lam / n"),
        "eps": Radii("Attack radii: absolute values, or a table scaling them with n, p and sqrt(tr Sigma).",
                     {"values": (0.0,), "n_power": 0.0, "p_power": 0.0, "relative": False}),
        "norm": Norms("Attack norms p >= 1 (the ball ||delta||_p <= eps); \"inf\" for l_inf.", (2.0,)),
        "target": ChoiceList("Targets: clean (x^T theta*), noisy (y), consistent (l2, linear only).",
                             ("clean",), options=TARGETS),
        "_consistent": Rule(_consistent_target),
    })

NTK_TABLE = NtkTable(
    "The two-layer NTK model (model = \"ntk\" only).",
    where="[ntk]", prefix="ntk.",
    entries={
        "train": Choice("Which layer is trained.", "first", options=NTK_TRAIN),
        "method": Choice("Attack: first-order closed form, FGSM or PGD.", "first_order", options=NTK_METHODS),
        "_pgd": Rule(_pgd_norms),
        "test_size": Integer("Test sample for the NTK's standard risk and attack (default: the spec's "
                             f"test_size, else {NTK_TEST_SIZE}).", _ntk_test_size, minimum=1),
        "steps": Integer("PGD iterations per start.", 20, minimum=1),
        "restarts": Integer("PGD random starts (seeded per task).", 1, minimum=1),
    })

SPEC_TABLE = Table(
    "A fastrisk sweep: a grid of tasks, one per (spectrum, theta_star, n, p, noise, seed), each a whole "
    "ridge path.",
    where="the spec",
    entries={
        "model": Choice("linear (ridge path, Gaussian closed forms) or ntk (kernel ridge path on the "
                        "infinite-width NTK Gram of the same data).", "linear", options=MODELS),
        "n": IntGrid("Training sizes.", minimum=1,
                     required="n is required: a training size or a list of them (integers >= 1)"),
        "_p": OneOf("p", "p_exponent",
                    "give exactly one of p (feature counts) and p_exponent (p = round(n ** e))"),
        "p": IntGrid("Feature counts (or give p_exponent).", None, minimum=1),
        "p_exponent": FloatGrid("Exponents e with p = round(n ** e) (or give p).", None, minimum=0.0,
                                strict=True),
        "seeds": Seeds("Seeds: an int k (seeds 0..k-1) or a list of seeds.", range(1)),
        "noise": FloatGrid("Label-noise standard deviations sigma.", (1.0,), minimum=0.0),
        "signal": Number("theta* = signal * e_1 (or give [[theta_star]] tables).", 1.0),
        "theta_star": TruthArray(
            "Ground truths, a grid axis: one table per theta* with kind (e1, top_k, band, power, dense, "
            "file), its parameters (k; start, stop, possibly relative as \"k*\", \"2k*\", \"0.1n\"; a; "
            "seed, dist; path), optional name (the theta_star column) and scale (its stated norm, default "
            "1.0, an l2 norm unless normalise says sigma or none); not with signal.", None),
        "_truth": Rule(_signal_or_truth, {"not": {"required": ["signal", "theta_star"]}}),
        "theory": Boolean("Add the deterministic equivalents theory_standard_risk and "
                          "theory_adversarial_risk beside every row (linear model only).", False),
        "_theory": Rule(_theory_linear, {
            "if": {"properties": {"model": {"const": "ntk"}}, "required": ["model"]},
            "then": {"properties": {"theory": {"const": False}}}}),
        "test_size": Integer("Linear model: also attack a fresh test sample of this size "
                             "(empirical_adversarial_risk).", 0, minimum=0,
                             hint=" (0: no empirical attack)"),
        "noise_avg": Boolean("Linear model: add the exact averages over the label noise given X, "
                             "standard_risk_noise_avg and norm2_sq_noise_avg, beside every row.", False),
        "_noise_avg": _linear_only("noise_avg", False, "exact noise averages"),
        "name": String("A label kept in the manifest.", ""),
        "stream": Stream("Linear tasks never hold X (RidgePath.from_design): true, false, an int (stream "
                         "when n * p is at least that) or \"auto\" (from 2^26 entries).", STREAM_AUTO_MIN),
        "dtype": Choice("Linear model: precision of the Gram and the eigendecomposition; float32 adds "
                        "accuracy_bound and accuracy_flag beside every row.", "float64", options=DTYPES),
        "_dtype": _linear_only("dtype", "float64", "the precision of the eigendecomposition"),
        "tail": Choice("Linear model: how X's flat tail is drawn: explicit (X itself) or wishart (the "
                       "tail's Gram from its Wishart law: l2 quantities exact in law at a cost that does "
                       "not grow with p, no array of length p; spectra two_level, spiked, isotropic; "
                       "path.norm 2, test_size 0, float64).", "explicit", options=TAILS),
        "_tail": _linear_only("tail", "explicit", "the flat tail drawn through its Wishart law"),
        "spectrum": KindArray(
            "One table per spectrum: kind, optional name (the spectrum column), and the keyword arguments "
            "of fastrisk.spectra.<kind> (numbers, or {coef, n_power, p_power, round} tables).",
            key="spectrum", module="fastrisk.spectra", implicit=("p", "compact"),
            registry={k: getattr(spectra, k) for k in SPECTRUM_KINDS},
            required="spectrum is required: one or more [[spectrum]] tables with a 'kind' "
                     f"({', '.join(SPECTRUM_KINDS)}) and its parameters"),
        "path": PATH_TABLE,
        "_wishart": Rule(_wishart_tail, _wishart_schema()),
        "_ntk": Rule(_ntk_needs_model, {
            "if": {"properties": {"ntk": {"minProperties": 1}}, "required": ["ntk"]},
            "then": {"properties": {"model": {"const": "ntk"}}, "required": ["model"]}}),
        "ntk": NTK_TABLE,
    })
TOP_KEYS = tuple(SPEC_TABLE.fields)
PATH_KEYS = tuple(PATH_TABLE.fields)
NTK_KEYS = tuple(NTK_TABLE.fields)
