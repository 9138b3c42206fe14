"""The tables of a sweep: the task table's schema (its optional columns follow the spec) and the assembly
of one task's rows, one per (norm, target, lam, eps), eps innermost.

Columns (always): ``task, model, spectrum, n, p, seed, noise, lam, lam_n, eps, eps_spec, norm, target,
standard_risk, adversarial_risk, empirical_adversarial_risk``. Optional, in this order, and stored only
by the sweeps that ask for them (so every older store keeps its schema):

- ``theta_star`` (after ``spectrum``): the ground truth's label, with ``[[theta_star]]`` tables
  (:func:`fastrisk.sweep.load` adds it, ``"e1"``, to a store without them);
- ``standard_risk_noise_avg``, ``norm2_sq_noise_avg``: with ``noise_avg = true``;
- ``accuracy_bound``, ``accuracy_flag``: with ``dtype = "float32"``
  (:meth:`fastrisk.RidgePath.accuracy_bound` and :meth:`~fastrisk.RidgePath.accuracy_flags` of the
  row's penalty).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["TASK_SCHEMA", "THEORY_SCHEMA", "task_schema", "task_rows", "NOISE_AVG_COLUMNS",
           "ACCURACY_COLUMNS"]

TASK_SCHEMA = pa.schema([
    ("task", pa.int64()), ("model", pa.string()), ("spectrum", pa.string()), ("n", pa.int64()),
    ("p", pa.int64()), ("seed", pa.int64()), ("noise", pa.float64()), ("lam", pa.float64()),
    ("lam_n", pa.float64()), ("eps", pa.float64()), ("eps_spec", pa.float64()), ("norm", pa.float64()),
    ("target", pa.string()), ("standard_risk", pa.float64()), ("adversarial_risk", pa.float64()),
    ("empirical_adversarial_risk", pa.float64()),
])
THEORY_SCHEMA = pa.schema([("theory_standard_risk", pa.float64()),
                           ("theory_adversarial_risk", pa.float64())])
NOISE_AVG_COLUMNS = ("standard_risk_noise_avg", "norm2_sq_noise_avg")
ACCURACY_COLUMNS = ("accuracy_bound", "accuracy_flag")


def task_schema(theta_star: bool = False, noise_avg: bool = False, accuracy: bool = False) -> pa.Schema:
    """The task table of a sweep with these optional columns (all False: :data:`TASK_SCHEMA`)."""
    fields = list(TASK_SCHEMA)
    if theta_star:
        fields.insert(TASK_SCHEMA.get_field_index("spectrum") + 1, pa.field("theta_star", pa.string()))
    if noise_avg:
        fields += [pa.field(c, pa.float64()) for c in NOISE_AVG_COLUMNS]
    if accuracy:
        fields += [pa.field("accuracy_bound", pa.float64()), pa.field("accuracy_flag", pa.bool_())]
    return pa.schema(fields)


def _repeat_str(value: str, n: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value])) \
        .cast(pa.string())


def task_rows(unit: dict, member: dict, lam: np.ndarray, R: np.ndarray,
              blocks: list[tuple[float, str, np.ndarray, np.ndarray]], per_lam: dict[str, np.ndarray],
              schema: pa.Schema) -> pa.Table:
    """The rows of one task: ``unit`` (its task or fold: n, p, seed, radii, ...), ``member`` (its id,
    theta_star label, noise), ``R`` (L,) the standard risk, ``blocks`` one ``(norm, target, adversarial
    (L, E), empirical (L, E))`` per (norm, target) in order, ``per_lam`` the optional per-penalty columns
    ((L,) each, by name)."""
    L, E = lam.size, len(unit["eps"])
    eps = np.asarray(unit["eps"], dtype=np.float64)
    eps_spec = np.asarray(unit["eps_spec"], dtype=np.float64)
    B = len(blocks)
    N = B * L * E
    norm = np.repeat(np.array([b[0] for b in blocks], dtype=np.float64), L * E)
    names = sorted({b[1] for b in blocks})
    codes = np.repeat(np.array([names.index(b[1]) for b in blocks], dtype=np.int32), L * E)
    target = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names, pa.string())).cast(pa.string())
    adv = np.concatenate([b[2].reshape(-1) for b in blocks]) if B else np.empty(0)
    emp = np.concatenate([b[3].reshape(-1) for b in blocks]) if B else np.empty(0)
    lam_col = np.tile(np.repeat(lam, E), B)
    n = unit["n"]

    def per_row(v: np.ndarray) -> np.ndarray:
        return np.tile(np.repeat(v, E), B)

    cols = {
        "task": np.full(N, member["id"], dtype=np.int64), "model": _repeat_str(unit["model"], N),
        "spectrum": _repeat_str(unit["spectrum"], N), "theta_star": _repeat_str(member["theta_star"], N),
        "n": np.full(N, n, dtype=np.int64), "p": np.full(N, unit["p"], dtype=np.int64),
        "seed": np.full(N, unit["seed"], dtype=np.int64),
        "noise": np.full(N, member["noise"], dtype=np.float64), "lam": lam_col, "lam_n": lam_col / n,
        "eps": np.tile(eps, B * L), "eps_spec": np.tile(eps_spec, B * L),
        "norm": norm, "target": target, "standard_risk": per_row(R), "adversarial_risk": adv,
        "empirical_adversarial_risk": emp,
        **{k: per_row(v) for k, v in per_lam.items()},
    }
    return pa.Table.from_arrays([c if isinstance(c, pa.Array) else pa.array(c)
                                 for c in (cols[name] for name in schema.names)], schema=schema)
