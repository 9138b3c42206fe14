"""Compute one unit of a sweep: a task (simulation rows) or a group's theory columns.

This is the only module of :mod:`fastrisk.sweep` that calls the numerical API. Each function takes one
plain dict (from :mod:`fastrisk.sweep.tasks`) and returns a :class:`pyarrow.Table`; it is a pure
function of its argument, so it runs in the calling process, a pool worker or a Dask worker alike.
:func:`compute_batch` computes a batch of units and concatenates their tables (a batch's rows are its
units' rows in order, whatever the batching).

The data of a task are exactly::

    design = fastrisk.GaussianDesign(fastrisk.spectra.<kind>(p, **params), signal * e_1, noise)
    X, y = design.sample(n, seed=seed)

(linear tasks with ``n * p`` at or above the spec's ``stream`` threshold build the same path with
``RidgePath.from_design(design, n, lam, seed=seed)``, never holding X), and its test sample
(``test_size`` > 0, and the NTK model) is
``design.sample(test_size, seed=numpy.random.SeedSequence(seed, spawn_key=(2,)))``; PGD random starts
use ``numpy.random.SeedSequence(seed, spawn_key=(3,))``. Rows are ordered norm, target, lam, eps
(eps innermost).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from .. import spectra, theory
from ..design import GaussianDesign
from ..ridge import RidgePath

__all__ = ["compute_task", "compute_theory", "compute_batch", "describe", "task_design", "test_seed",
           "attack_seed", "TASK_SCHEMA", "THEORY_SCHEMA", "THEORY_NORMS"]

#: Child key of a task's seed that draws its test sample.
TEST_KEY = 2
#: Child key of a task's seed for randomised attacks (PGD starts).
ATTACK_KEY = 3
#: Attack norms the deterministic equivalents cover; other norms get NaN theory columns.
THEORY_NORMS = (1.0, 2.0, math.inf)

TASK_SCHEMA = pa.schema([
    ("task", pa.int64()), ("model", pa.string()), ("spectrum", pa.string()), ("n", pa.int64()),
    ("p", pa.int64()), ("seed", pa.int64()), ("noise", pa.float64()), ("lam", pa.float64()),
    ("lam_n", pa.float64()), ("eps", pa.float64()), ("eps_spec", pa.float64()), ("norm", pa.float64()),
    ("target", pa.string()), ("standard_risk", pa.float64()), ("adversarial_risk", pa.float64()),
    ("empirical_adversarial_risk", pa.float64()),
])
THEORY_SCHEMA = pa.schema([("theory_standard_risk", pa.float64()),
                           ("theory_adversarial_risk", pa.float64())])


def task_design(task: dict) -> GaussianDesign:
    """The population of a task: ``GaussianDesign(spectra.<kind>(p, **params), signal * e_1, noise)``."""
    s = getattr(spectra, task["kind"])(task["p"], **task["params"])
    theta = np.zeros(task["p"])
    theta[0] = task["signal"]
    return GaussianDesign(s, theta, task["noise"])


def test_seed(seed: int) -> np.random.SeedSequence:
    """Seed of a task's test sample (independent of its training sample)."""
    return np.random.SeedSequence(seed, spawn_key=(TEST_KEY,))


def attack_seed(seed: int) -> np.random.SeedSequence:
    """Seed of a task's randomised attacks (PGD starts)."""
    return np.random.SeedSequence(seed, spawn_key=(ATTACK_KEY,))


def _repeat_str(value: str, n: int) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([value])) \
        .cast(pa.string())


def _rows(task: dict, lam: np.ndarray, R: np.ndarray, blocks: list[tuple[float, str, np.ndarray,
                                                                      np.ndarray]]) -> pa.Table:
    """Assemble the tidy table: one row per (norm, target, lam, eps)."""
    L, E = lam.size, len(task["eps"])
    eps = np.asarray(task["eps"], dtype=np.float64)
    eps_spec = np.asarray(task["eps_spec"], dtype=np.float64)
    B = len(blocks)
    N = B * L * E
    norm = np.repeat(np.array([b[0] for b in blocks], dtype=np.float64), L * E)
    names = sorted({b[1] for b in blocks})
    codes = np.repeat(np.array([names.index(b[1]) for b in blocks], dtype=np.int32), L * E)
    target = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(names, pa.string())).cast(pa.string())
    adv = np.concatenate([b[2].reshape(-1) for b in blocks]) if B else np.empty(0)
    emp = np.concatenate([b[3].reshape(-1) for b in blocks]) if B else np.empty(0)
    lam_col = np.tile(np.repeat(lam, E), B)
    n = task["n"]
    cols = [
        np.full(N, task["id"], dtype=np.int64), _repeat_str(task["model"], N),
        _repeat_str(task["spectrum"], N), np.full(N, n, dtype=np.int64),
        np.full(N, task["p"], dtype=np.int64), np.full(N, task["seed"], dtype=np.int64),
        np.full(N, task["noise"], dtype=np.float64),
        lam_col, lam_col / n, np.tile(eps, B * L), np.tile(eps_spec, B * L), norm, target,
        np.tile(np.repeat(R, E), B), adv, emp,
    ]
    return pa.Table.from_arrays([c if isinstance(c, pa.Array) else pa.array(c) for c in cols],
                                schema=TASK_SCHEMA)


def _linear(task: dict, design: GaussianDesign, lam: np.ndarray):
    if task["stream"]:  # X is never held: O(n^2 + n * block) memory, blocks regenerated per norm pass
        path = RidgePath.from_design(design, task["n"], lam, seed=task["seed"])
    else:
        X, y = design.sample(task["n"], seed=task["seed"])
        path = RidgePath(X, y, lam)
    R = path.standard_risk(design)
    eps = np.asarray(task["eps"], dtype=np.float64)
    test = None
    if task["test_size"] > 0:
        Xt, yt = design.sample(task["test_size"], seed=test_seed(task["seed"]))
        test = (Xt, Xt @ design.theta_star, yt)
    blocks = []
    for norm in task["norms"]:
        for target in task["targets"]:
            adv = path.adversarial_risk(design, eps, norm=norm, target=target)
            emp = np.full(adv.shape, np.nan)
            if test is not None and target != "consistent":
                Xt, y_clean, y_noisy = test
                emp = path.empirical_adversarial_risk(Xt, y_clean if target == "clean" else y_noisy, eps,
                                                      norm=norm)
            blocks.append((norm, target, adv, emp))
    return R, blocks


def _ntk(task: dict, design: GaussianDesign, lam: np.ndarray):
    from .. import ntk

    opts = task["ntk"]
    X, y = design.sample(task["n"], seed=task["seed"])
    Xt, yt = design.sample(opts["test_size"], seed=test_seed(task["seed"]))
    model = ntk.TwoLayerNTK(width=None, train=opts["train"]).fit(X, y, lam)
    R = model.standard_risk(Xt, theta_star=design.theta_star)
    eps = np.asarray(task["eps"], dtype=np.float64)
    kw = {"method": opts["method"]}
    if opts["method"] == "pgd":
        kw.update(steps=opts["steps"], restarts=opts["restarts"], seed=attack_seed(task["seed"]))
    blocks = []
    for norm in task["norms"]:
        for target in task["targets"]:
            tgt = {"theta_star": design.theta_star} if target == "clean" else {"f_star": yt}
            adv = ntk.adversarial_risk(model, Xt, eps, norm=norm, **tgt, **kw)
            blocks.append((norm, target, adv, np.full(adv.shape, np.nan)))
    return R, blocks


def compute_task(task: dict) -> pa.Table:
    """Rows of one task (see the module docstring for its data and row order)."""
    design = task_design(task)
    lam = np.asarray(task["lam"], dtype=np.float64)
    if task["model"] == "linear":
        R, blocks = _linear(task, design, lam)
    else:
        R, blocks = _ntk(task, design, lam)
    return _rows(task, lam, R, blocks)


def compute_theory(group: dict) -> pa.Table:
    """Deterministic-equivalent columns of one group (spectrum, n, p, noise), in a task's row order.

    ``theory_standard_risk`` is :func:`fastrisk.theory.ridge_equivalent`'s ``risk``;
    ``theory_adversarial_risk`` is :func:`fastrisk.theory.adversarial_equivalent` (norms 1, 2 and inf;
    NaN for other attack norms).
    """
    design = task_design(group)
    lam = np.asarray(group["lam"], dtype=np.float64)
    eps = np.asarray(group["eps"], dtype=np.float64)
    seq = any(v in (1.0, math.inf) for v in group["norms"])
    eq = theory.ridge_equivalent(design.cov, design.theta_star, design.noise, group["n"], lam,
                                 sequence_norms=seq)
    E = eps.size
    std, adv = [], []
    for norm in group["norms"]:
        for target in group["targets"]:
            if norm in THEORY_NORMS:
                a = theory.adversarial_equivalent(design.cov, design.theta_star, design.noise, group["n"],
                                                  lam, eps, norm=norm, target=target, equivalent=eq)
            else:
                a = np.full((lam.size, E), np.nan)
            adv.append(a.reshape(-1))
            std.append(np.repeat(eq.risk, E))
    return pa.Table.from_arrays([pa.array(np.concatenate(std)), pa.array(np.concatenate(adv))],
                                schema=THEORY_SCHEMA)


def describe(unit: dict) -> str:
    """``task 12 (spectrum=..., n=..., p=..., noise=..., seed=...)`` or ``theory of group 3 (...)``."""
    where = f"spectrum={unit['spectrum']!r}, n={unit['n']}, p={unit['p']}, noise={unit['noise']:g}"
    if unit["kind_of_unit"] == "theory":
        return f"theory of group {unit['group']} ({where})"
    return f"task {unit['id']} ({where}, seed={unit['seed']})"


def compute_unit_table(unit: dict) -> pa.Table:
    """The table of one task or one group's theory (``unit["kind_of_unit"]``)."""
    return compute_theory(unit) if unit["kind_of_unit"] == "theory" else compute_task(unit)


def compute_batch(batch: dict) -> tuple[pa.Table | None, int, str | None]:
    """Compute the units of a batch in order: ``(table, done, error)``, where ``table`` holds the rows of
    the first ``done`` units (None if none) and ``error`` names the unit that raised, and how, if one
    did (the units after it are not computed)."""
    tables = []
    error = None
    for u in batch["items"]:
        try:
            tables.append(compute_unit_table(u))
        except Exception as exc:  # noqa: BLE001 - reported, with the unit, to the caller
            error = f"{describe(u)} failed: {type(exc).__name__}: {exc}"
            break
    if not tables:
        return None, 0, error
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables)
    return table, len(tables), error
