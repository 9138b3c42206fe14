"""Declarative fields: each key of a sweep spec is declared once, and that one declaration both parses a
value (validates it with a one-line :class:`SpecError` naming the key, and normalises it) and describes
it in JSON Schema (:meth:`Field.schema`), so the validator and the published schema cannot drift apart.

A :class:`Table` is an ordered list of entries -- :class:`Field` objects under their keys and
:class:`Rule` objects that relate several keys (``exactly one of p, p_exponent``) -- parsed in order, so
the first offending key of a spec is the one reported. Arrays of tables with a ``kind`` (``[[spectrum]]``)
are in :mod:`~fastrisk.sweep.kinds`; the keys of a sweep spec in :mod:`~fastrisk.sweep.keys`. Nothing
here knows about sweeps.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral, Real

__all__ = ["SpecError", "REQUIRED", "Field", "Integer", "Number", "Boolean", "String", "Choice", "ChoiceList",
           "IntGrid", "FloatGrid", "Table", "Rule", "OneOf", "MAX_AXIS", "unknown_keys", "is_int", "is_real",
           "as_list", "no_duplicates", "finite_float", "with_doc"]

#: The most values one grid axis of a task may hold (penalties, radii): 10^7 float64 values are 80 MB
#: per axis before any result exists; a larger axis cannot be held and is a spec error.
MAX_AXIS = 10**7


class SpecError(ValueError):
    """A sweep spec that cannot run: the message names the key and what was expected."""


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Default of a field that must be given.
REQUIRED = _Required()


def is_int(v) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def is_real(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def unknown_keys(keys, known, where: str) -> None:
    """SpecError for the first key not in ``known``, with the nearest known key as a hint."""
    known = list(known)
    for k in keys:
        if k not in known:
            close = difflib.get_close_matches(str(k), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SpecError(f"unknown key {k!r} in {where}{hint}; known keys: {', '.join(known)}")


def as_list(v, key: str) -> list:
    if isinstance(v, (list, tuple)):
        if len(v) == 0:
            raise SpecError(f"{key} is an empty list: give at least one value")
        return list(v)
    return [v]


def no_duplicates(values: list, key: str) -> None:
    seen = set()
    for x in values:
        if x in seen:
            raise SpecError(f"{key} lists {x!r} twice: every grid value must be distinct")
        seen.add(x)


def with_doc(schema: dict, doc: str) -> dict:
    return dict(schema, description=doc) if doc else schema


# ----------------------------------------------------------------------------- fields
class Field:
    """One key: ``parse(value, key)`` validates and normalises, ``schema()`` describes it.

    Parameters
    ----------
    doc : str
        One line for users (the JSON Schema's ``description``: editors show it).
    default : object
        The value when the key is absent (already normalised), or :data:`REQUIRED`.
    required : str, optional
        The message when a required key is missing (default ``"<key> is required"``).
    """

    def __init__(self, doc: str = "", default=REQUIRED, *, required: str | None = None):
        self.doc = doc
        self.default = default
        self.required_msg = required

    def parse(self, v, key: str):  # pragma: no cover - abstract
        raise NotImplementedError

    def parse_in(self, v, key: str, values: dict):
        """Parse ``v`` inside a table whose earlier keys parsed to ``values`` (a field whose meaning
        depends on them overrides this)."""
        return self.parse(v, key)

    def value_schema(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def schema(self) -> dict:
        s = self.value_schema()
        d = self.json_default()
        if d is not None:
            s = dict(s, default=d)
        return with_doc(s, self.doc)

    def json_default(self):
        """The default as it is written in a spec (None: none to show)."""
        d = self.default
        if d is REQUIRED or d is None or callable(d):
            return None
        return list(d) if isinstance(d, tuple) else d


class Integer(Field):
    """An integer >= ``minimum``; ``hint`` ends the error (e.g. what 0 means)."""

    def __init__(self, doc="", default=REQUIRED, *, minimum: int = 0, hint: str = "", **kw):
        super().__init__(doc, default, **kw)
        self.minimum, self.hint = minimum, hint

    def parse(self, v, key):
        if not is_int(v) or v < self.minimum:
            raise SpecError(f"{key} must be an integer >= {self.minimum}{self.hint}, got {v!r}")
        return int(v)

    def value_schema(self):
        return {"type": "integer", "minimum": self.minimum}


def finite_float(x, key: str, *, minimum: float | None = None, strict: bool = False) -> float:
    if not is_real(x) or not math.isfinite(float(x)):
        raise SpecError(f"{key} must be a finite number, got {x!r}")
    x = float(x)
    if minimum is not None and (x < minimum or (strict and x == minimum)):
        raise SpecError(f"{key} must be {'>' if strict else '>='} {minimum:g}, got {x!r}")
    return x


def _number_schema(minimum: float | None, strict: bool) -> dict:
    s: dict = {"type": "number"}
    if minimum is not None:
        s["exclusiveMinimum" if strict else "minimum"] = minimum
    return s


class Number(Field):
    """A finite number (>= ``minimum``, or > with ``strict``), normalised to float."""

    def __init__(self, doc="", default=REQUIRED, *, minimum: float | None = None, strict: bool = False, **kw):
        super().__init__(doc, default, **kw)
        self.minimum, self.strict = minimum, strict

    def parse(self, v, key):
        return finite_float(v, key, minimum=self.minimum, strict=self.strict)

    def value_schema(self):
        return _number_schema(self.minimum, self.strict)


class Boolean(Field):
    def parse(self, v, key):
        if not isinstance(v, bool):
            raise SpecError(f"{key} must be true or false, got {v!r}")
        return v

    def value_schema(self):
        return {"type": "boolean"}


class String(Field):
    """A string (non-empty with ``nonempty``)."""

    def __init__(self, doc="", default=REQUIRED, *, nonempty: bool = False, **kw):
        super().__init__(doc, default, **kw)
        self.nonempty = nonempty

    def parse(self, v, key):
        if not isinstance(v, str) or (self.nonempty and not v):
            raise SpecError(f"{key} must be a {'non-empty ' if self.nonempty else ''}string, got {v!r}")
        return v

    def value_schema(self):
        return {"type": "string", "minLength": 1} if self.nonempty else {"type": "string"}


class Choice(Field):
    """One of ``options`` (strings)."""

    def __init__(self, doc="", default=REQUIRED, *, options: tuple[str, ...], **kw):
        super().__init__(doc, default, **kw)
        self.options = tuple(options)

    def parse(self, v, key):
        if not isinstance(v, str) or v not in self.options:
            raise SpecError(f"{key} must be one of {', '.join(self.options)}, got {v!r}")
        return v

    def value_schema(self):
        return {"enum": list(self.options)}


class ChoiceList(Choice):
    """One or a list of distinct ``options``."""

    def parse(self, v, key):
        out = as_list(v, key)
        for x in out:
            Choice.parse(self, x, key)
        no_duplicates(out, key)
        return tuple(out)

    def value_schema(self):
        one = {"enum": list(self.options)}
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1, "uniqueItems": True}]}


class IntGrid(Field):
    """A grid axis of integers >= ``minimum``: one value or a non-empty list of distinct values."""

    def __init__(self, doc="", default=REQUIRED, *, minimum: int, **kw):
        super().__init__(doc, default, **kw)
        self.minimum = minimum

    def parse(self, v, key):
        out = []
        for x in as_list(v, key):
            if not is_int(x):
                raise SpecError(f"{key} must be an integer or a list of integers, got {x!r}")
            if x < self.minimum:
                raise SpecError(f"{key} must be >= {self.minimum}, got {x!r}")
            out.append(int(x))
        no_duplicates(out, key)
        return tuple(out)

    def value_schema(self):
        one = {"type": "integer", "minimum": self.minimum}
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1, "uniqueItems": True}]}


class FloatGrid(Field):
    """A grid axis of finite numbers (>= ``minimum``): one value or a non-empty list of distinct values."""

    def __init__(self, doc="", default=REQUIRED, *, minimum: float | None = None, strict: bool = False, **kw):
        super().__init__(doc, default, **kw)
        self.minimum, self.strict = minimum, strict

    def parse(self, v, key):
        out = [finite_float(x, key, minimum=self.minimum, strict=self.strict) for x in as_list(v, key)]
        if len(out) > MAX_AXIS:
            raise SpecError(f"{key} lists {len(out)} values: at most {MAX_AXIS} fit one task")
        no_duplicates(out, key)
        return tuple(out)

    def value_schema(self):
        one = _number_schema(self.minimum, self.strict)
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1, "uniqueItems": True}]}


# ----------------------------------------------------------------------------- tables and rules
@dataclass
class Rule:
    """A relation between keys, checked at its place in a table's order: ``check(raw, values, parent)``
    raises SpecError (``raw``: the table as given; ``values``: its keys parsed so far; ``parent``: the
    keys of the enclosing table parsed so far, or None); ``schema`` is its JSON Schema fragment (merged
    into the table's ``allOf``), if any."""

    check: Callable[[Mapping, dict, dict | None], None]
    schema: dict | None = None


def OneOf(a: str, b: str, message: str, where: str = "") -> Rule:  # noqa: N802 - reads as a declaration
    """Exactly one of keys ``a`` and ``b``; ``message`` is completed with ``", got both"``/``"neither"``."""

    def check(raw, values, parent):
        has_a, has_b = a in raw, b in raw
        if has_a == has_b:
            raise SpecError(f"{message}, got {'both' if has_a else 'neither'}")

    return Rule(check, {"oneOf": [{"required": [a]}, {"required": [b]}]})


class Table(Field):
    """A table of keys (``[path]``, ``[ntk]``, the spec itself): ``entries`` maps each key to its
    :class:`Field`, in the order they are checked; :class:`Rule` objects stand between them under any
    name starting with ``"_"``. ``where`` names the table in messages (``"[path]"``); ``prefix``
    prefixes its keys (``"path."``). Parses into a dict holding every field's value (defaults filled
    in; a field whose default is callable gets ``default(values, parent)`` from the keys parsed before
    it here and in the enclosing table).
    """

    def __init__(self, doc="", default=None, *, entries: dict, where: str, prefix: str = "", **kw):
        super().__init__(doc, {} if default is None else default, **kw)
        self.entries = entries
        self.where, self.prefix = where, prefix

    @property
    def fields(self) -> dict[str, Field]:
        return {k: f for k, f in self.entries.items() if isinstance(f, Field)}

    def parse(self, v, key=None, parent: dict | None = None):
        if not isinstance(v, Mapping):
            raise SpecError(f"{key} must be a table ([{key}]), got {v!r}")
        unknown_keys(v.keys(), self.fields, self.where)
        values: dict = {}
        for k, entry in self.entries.items():
            if isinstance(entry, Rule):
                entry.check(v, values, parent)
            elif k in v:
                values[k] = entry.parse_in(v[k], self.prefix + k, values)
            elif entry.default is REQUIRED:
                raise SpecError(entry.required_msg or f"{self.prefix + k} is required")
            elif isinstance(entry, Table):
                values[k] = entry.parse_in({}, self.prefix + k, values)
            else:
                values[k] = entry.default(values, parent) if callable(entry.default) else entry.default
        return values

    def parse_in(self, v, key, values):
        return self.parse(v, key, parent=values)

    def value_schema(self):
        props = {k: f.schema() for k, f in self.fields.items()}
        s: dict = {"type": "object", "properties": props, "additionalProperties": False}
        req = [k for k, f in self.fields.items() if f.default is REQUIRED]
        if req:
            s["required"] = req
        rules = [r.schema for r in self.entries.values() if isinstance(r, Rule) and r.schema]
        if rules:
            s["allOf"] = rules
        return s

    def json_default(self):
        return None
