"""Grid axes given as arrays of tables with a ``kind`` (``[[spectrum]]``): each table names a function
of a registry and its keyword arguments, numbers or values that scale with n and p (:class:`Scaled`).

A :class:`KindArray` reads the parameters, their defaults and their JSON Schema from the registry's
function signatures, so a new kind (a new function of :mod:`fastrisk.spectra`) or a new axis (a
``[[theta_star]]`` over a registry of ground truths) needs no new validation code.
"""

from __future__ import annotations

import difflib
import inspect
import math
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .fields import (
    REQUIRED,
    Boolean,
    Field,
    SpecError,
    String,
    finite_float,
    is_int,
    is_real,
    no_duplicates,
    unknown_keys,
    with_doc,
)

__all__ = ["Scaled", "KindSpec", "KindArray", "SCALED_KEYS"]


SCALED_KEYS = ("coef", "n_power", "p_power", "round")


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

    @classmethod
    def parse(cls, v: Mapping, key: str) -> Scaled:
        unknown_keys(v.keys(), SCALED_KEYS, key)
        rnd = Boolean().parse(v.get("round", False), f"{key}.round")
        return cls(coef=finite_float(v.get("coef", 1.0), f"{key}.coef"),
                   n_power=finite_float(v.get("n_power", 0.0), f"{key}.n_power"),
                   p_power=finite_float(v.get("p_power", 0.0), f"{key}.p_power"), round=rnd)

    @staticmethod
    def schema() -> dict:
        return {"type": "object", "additionalProperties": False,
                "description": "coef * n**n_power * p**p_power (rounded to an int with round = true)",
                "properties": {"coef": {"type": "number", "default": 1.0},
                               "n_power": {"type": "number", "default": 0.0},
                               "p_power": {"type": "number", "default": 0.0},
                               "round": {"type": "boolean", "default": False}}}


# ----------------------------------------------------------------------------- kind arrays
@dataclass(frozen=True)
class KindSpec:
    """One table of a :class:`KindArray` (e.g. one ``[[spectrum]]``): ``registry[kind](<implicit
    arguments>, **params)``, its params possibly :class:`Scaled` (resolved per (n, p))."""

    kind: str
    name: str
    params: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)

    def resolve(self, n: int, p: int) -> dict:
        """The keyword arguments at this (n, p)."""
        return {k: (v(n, p) if isinstance(v, Scaled) else v) for k, v in self.params.items()}

    def to_json(self) -> dict:
        out = {"kind": self.kind, "name": self.name,
               "params": {k: (v.to_json() if isinstance(v, Scaled) else v) for k, v in self.params.items()}}
        if self.options:  # only axes that declare common keys have any: older hashes unchanged
            out["options"] = dict(self.options)
        return out


def _param_type(annotation) -> str:
    """``"integer"``, ``"number"`` or ``"string"``: what a kind function's parameter takes in a spec."""
    if isinstance(annotation, str):  # postponed annotations (from __future__ import annotations)
        names = {a.strip() for a in annotation.split("|")}
    else:
        args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) or \
            typing.get_origin(annotation) is typing.Union else (annotation,)
        names = {getattr(a, "__name__", str(a)) for a in args}
    if names & {"str", "PathLike", "os.PathLike", "Path"}:
        return "string"
    return "integer" if "int" in names and "float" not in names else "number"


def _param_schema(annotation) -> dict:
    """JSON Schema of a kind function's parameter: a string, or a number (an integer when annotated int)
    or a Scaled table."""
    t = _param_type(annotation)
    if t == "string":
        return {"type": "string"}
    return {"anyOf": [{"type": t}, {"$ref": "#/definitions/scaled"}]}


class KindArray(Field):
    """A grid axis given as an array of tables, each with a ``kind`` from ``registry`` (name -> function),
    an optional ``name`` (distinct; default the kind) and the function's keyword arguments, each a finite
    number or a :class:`Scaled` table (a string where the function's annotation says ``str``, e.g. a
    file name). ``implicit`` are the function's arguments the sweep supplies itself (``p`` for a
    spectrum). ``common`` declares keys every table of the axis may carry besides its kind's parameters
    (e.g. a scale), each parsed by its :class:`~fastrisk.sweep.fields.Field` into
    :attr:`KindSpec.options`. Parses into a tuple of :class:`KindSpec`. A single table (TOML
    ``[spectrum]``) counts as an array of one.
    """

    def __init__(self, doc="", default=REQUIRED, *, key: str, registry: Mapping[str, Callable],
                 implicit: tuple[str, ...] = ("p",), module: str = "",
                 common: Mapping[str, Field] | None = None, **kw):
        super().__init__(doc, default, **kw)
        self.key, self.registry, self.implicit = key, dict(registry), tuple(implicit)
        self.module = module
        self.common = dict(common or {})

    def params_of(self, kind: str) -> dict[str, inspect.Parameter]:
        sig = inspect.signature(self.registry[kind])
        return {k: prm for k, prm in sig.parameters.items() if k not in self.implicit}

    def parse(self, v, key):
        tabs = [v] if isinstance(v, Mapping) else v
        if not isinstance(tabs, (list, tuple)) or len(tabs) == 0:
            got = "an empty list" if isinstance(tabs, (list, tuple)) else repr(v)
            raise SpecError(f"{key} must be one or more [[{key}]] tables, got {got}")
        out = tuple(self._item(t, f"{key}[{i}]") for i, t in enumerate(tabs))
        no_duplicates([s.name for s in out], f"{key} names (add name = \"...\" to tell them apart; "
                                               f"{key}.name")
        return out

    def _item(self, tab, where: str) -> KindSpec:
        kinds = ", ".join(self.registry)
        if not isinstance(tab, Mapping):
            raise SpecError(f"{where} must be a table with a 'kind' key, got {tab!r}")
        if "kind" not in tab:
            raise SpecError(f"{where} needs a 'kind': one of {kinds}")
        kind = tab["kind"]
        if not isinstance(kind, str) or kind not in self.registry:
            raise SpecError(f"{where}.kind must be one of {kinds}, got {kind!r}")
        known = self.params_of(kind)
        name = String(nonempty=True).parse(tab.get("name", kind), f"{where}.name")
        params, options = {}, {}
        for k, val in tab.items():
            if k in ("kind", "name"):
                continue
            if k in self.common:
                options[k] = self.common[k].parse(val, f"{where}.{k}")
                continue
            if k not in known:
                close = difflib.get_close_matches(k, list(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise SpecError(f"unknown parameter {k!r} of {self.key} kind {kind!r} in {where}{hint}; "
                                f"its parameters: {', '.join(known)}")
            if _param_type(known[k].annotation) == "string":
                params[k] = String(nonempty=True).parse(val, f"{where}.{k}")
            elif isinstance(val, Mapping):
                params[k] = Scaled.parse(val, f"{where}.{k}")
            elif is_real(val) and math.isfinite(float(val)):
                params[k] = int(val) if is_int(val) else float(val)
            else:
                raise SpecError(f"{where}.{k} must be a finite number or a table {{coef, n_power, p_power, "
                                f"round}}, got {val!r}")
        empty = inspect.Parameter.empty
        missing = [k for k, prm in known.items() if prm.default is empty and k not in params]
        if missing:
            raise SpecError(f"{where} (kind {kind!r}) needs parameter(s) {', '.join(missing)}")
        for k, f in self.common.items():
            if k not in options:
                options[k] = f.default
        return KindSpec(kind=kind, name=name, params=params, options=options)

    def value_schema(self):
        cases = []
        for kind, fn in self.registry.items():
            params = self.params_of(kind)
            props: dict = {"kind": {"const": kind}, "name": {"type": "string", "minLength": 1},
                           **{k: f.schema() for k, f in self.common.items()}}
            for k, prm in params.items():
                props[k] = _param_schema(prm.annotation)
                if prm.default is not inspect.Parameter.empty and prm.default is not None:
                    props[k]["default"] = prm.default
            then: dict = {"properties": props, "additionalProperties": False}
            req = [k for k, prm in params.items() if prm.default is inspect.Parameter.empty]
            if req:
                then["required"] = req
            doc = (inspect.getdoc(fn) or "").split("\n", 1)[0]
            cases.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                          "then": with_doc(then, doc)})
        item = {"type": "object", "required": ["kind"],
                "properties": {"kind": {"enum": list(self.registry),
                                        "description": f"a function of {self.module or 'the registry'}"},
                               "name": {"type": "string", "minLength": 1,
                                        "description": f"the {self.key} column's label (default: the kind)"}},
                "allOf": cases}
        return {"anyOf": [{"type": "array", "items": item, "minItems": 1}, item]}
