"""The ``[[theta_star]]`` axis of a sweep spec: ground truths from the package's one vocabulary
(:mod:`fastrisk.ground_truth`), a grid axis like ``[[spectrum]]``.

Each table is validated by :func:`fastrisk.ground_truth.resolve_theta_star` itself (the library, the main
command's ``--theta-star`` and the sweep read the same words and give the same one-line errors, here
prefixed with the table's place, ``theta_star[1]``) and parsed into a hashable
:class:`~fastrisk.ground_truth.GroundTruth`. Its canonical form (:meth:`GroundTruth.to_dict`: every
default filled in, a file's SHA-256 pinned) enters the spec hash, so two spellings of one ground truth
are one sweep and a changed ``.npy`` file is another. The JSON Schema is generated from the vocabulary's
parameter table, so a new kind needs nothing here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..ground_truth import GroundTruth, resolve_theta_star
from ..ground_truth._values import _COMMON, _DISTS, _PARAMS, _REQUIRED, KINDS, NORMALISE
from .fields import Field, SpecError, no_duplicates

__all__ = ["TruthArray", "truth_from_json", "SIGNAL_LABEL"]

#: The ``theta_star`` label of a spec without ``[[theta_star]]`` tables (theta* = signal * e_1).
SIGNAL_LABEL = "e1"

#: What an index parameter (k, start, stop) may be: an integer >= 0, or relative to k* or n.
_RELATIVE = r"^\s*((\d+(\.\d*)?|\.\d+)\s*\*?\s*)?(k\*|n)\s*$"
_TAG_SCHEMA = {
    "index": {"anyOf": [{"type": "integer", "minimum": 0},
                        {"type": "string", "pattern": _RELATIVE,
                         "description": "relative to k* = theory.critical_index(spectrum, n) or to n: "
                                        "\"k*\", \"2k*\", \"0.5*k*\", \"n\", \"0.1n\""}]},
    "real": {"type": "number"},
    "seed": {"type": "integer", "minimum": 0},
    "dist": {"enum": list(_DISTS)},
    "path": {"type": "string", "minLength": 1},
    "digest": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}
_DOCS = {
    "e1": "theta* = e_1 (the first coordinate).",
    "top_k": "Equal weights on the k largest eigen-directions.",
    "band": "Equal weights on the eigen-directions start .. stop - 1 (decreasing eigenvalues, from 0).",
    "power": "theta*_j proportional to lambda_j^a on every coordinate.",
    "dense": "Seeded random signs (dist = \"sign\") or standard Gaussians on every coordinate.",
    "file": "A 1-D .npy array of length p (its SHA-256 is part of the spec hash).",
}


def _where(i: int, exc: Exception) -> SpecError:
    """The vocabulary's one-line error, placed: ``theta_star[1] top_k: k must be >= 1, got 0``."""
    msg = str(exc)
    if msg.startswith("theta_star"):
        msg = msg[len("theta_star"):].lstrip(":")
        return SpecError(f"theta_star[{i}]{'' if msg.startswith(' ') else ': '}{msg}")
    return SpecError(f"theta_star[{i}]: {msg}")


def truth_from_json(d: Mapping) -> GroundTruth:
    """A :class:`GroundTruth` from its canonical form (:meth:`GroundTruth.to_dict`), as a manifest stores
    it. A ``file`` ground truth whose array is no longer readable is rebuilt from its pinned digest (a
    store can be read without its inputs; computing with it fails later, naming the file)."""
    if d.get("kind") == "file" and "sha256" in d and not os.path.isfile(os.fspath(d.get("path", ""))):
        params = tuple(sorted((k, v) for k, v in d.items() if k not in ("kind", *_COMMON)))
        name = d.get("name", "file")
        return GroundTruth("file", params, float(d.get("scale", 1.0)), str(d.get("normalise", "l2")),
                           "" if name == "file" else str(name))
    return resolve_theta_star(dict(d))


class TruthArray(Field):
    """``[[theta_star]]``: one or more tables ``{kind, <parameters>, name, scale, normalise}`` (a single
    table counts as an array of one); parses into a tuple of :class:`GroundTruth` with distinct labels,
    or None when the key is absent (theta* = signal * e_1)."""

    def parse(self, v, key):
        tabs = [v] if isinstance(v, Mapping) else v
        if not isinstance(tabs, (list, tuple)) or len(tabs) == 0:
            got = "an empty list" if isinstance(tabs, (list, tuple)) else repr(v)
            raise SpecError(f"{key} must be one or more [[{key}]] tables with a 'kind' "
                            f"({', '.join(KINDS)}), got {got}")
        out = []
        for i, tab in enumerate(tabs):
            if not isinstance(tab, Mapping):
                raise SpecError(f"{key}[{i}] must be a table with a 'kind' key, got {tab!r}")
            try:
                out.append(truth_from_json(tab))
            except (ValueError, TypeError) as exc:
                raise _where(i, exc) from None
        no_duplicates([t.label for t in out], f"{key} names (add name = \"...\" to tell them apart; "
                                                f"{key}.name")
        return tuple(out)

    def value_schema(self):
        common = {"name": {"type": "string", "minLength": 1,
                           "description": "the theta_star column's label (default: the kind)"},
                  "scale": {"type": "number", "minimum": 0, "default": 1.0,
                            "description": "the stated norm of theta* (see normalise)"},
                  "normalise": {"enum": list(NORMALISE), "default": "l2",
                                "description": "scale is ||theta*||_2 (l2), ||theta*||_Sigma (sigma) or a "
                                               "plain factor of the raw shape (none)"}}
        cases = []
        for kind in KINDS:
            params = _PARAMS[kind]
            props: dict = {"kind": {"const": kind}, **common}
            for k, (tag, default) in params.items():
                props[k] = dict(_TAG_SCHEMA[tag])
                if default is not _REQUIRED and default is not None:
                    props[k]["default"] = default
            then: dict = {"properties": props, "additionalProperties": False, "description": _DOCS[kind]}
            req = [k for k, (_, default) in params.items() if default is _REQUIRED]
            if req:
                then["required"] = req
            cases.append({"if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                          "then": then})
        item = {"type": "object", "required": ["kind"],
                "properties": {"kind": {"enum": list(KINDS),
                                        "description": "a kind of fastrisk.ground_truth"}, **common},
                "allOf": cases}
        return {"anyOf": [{"type": "array", "items": item, "minItems": 1}, item]}

    def json_default(self):
        return None
