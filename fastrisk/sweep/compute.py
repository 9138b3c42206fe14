"""Compute one unit of a sweep: a fold (the tasks sharing one X), a single task, or a group's theory.

This is the only module of :mod:`fastrisk.sweep` that calls the numerical API. Each function takes one
plain dict (from :mod:`fastrisk.sweep.tasks`) and returns a :class:`pyarrow.Table`; it is a pure
function of its argument, so it runs in the calling process, a pool worker or a Dask worker alike.
:func:`compute_batch` computes a batch of units and concatenates their tables in task order.

The data of a task are exactly::

    s = fastrisk.spectra.<kind>(p, **params)
    theta_star = fastrisk.ground_truth.resolve_theta_star(table).build(s, n=n)   # or signal * e_1
    design = fastrisk.GaussianDesign(s, theta_star, noise)
    X, y = design.sample(n, seed=seed)                 # dtype=numpy.float32 with dtype = "float32"
    path = fastrisk.RidgePath(X, y, lam)

and the task's rows are this path's ``standard_risk(design)``, ``adversarial_risk(design, eps, norm,
target)`` (and ``standard_risk_noise_avg``, ``norm2_sq_noise_avg``, ``accuracy_bound``,
``accuracy_flags`` where the spec asks), equal to the stored values to about 1e-12 relative. A fold
computes every task of one (spectrum, n, p, seed) from one path with one column of labels per task:
``RidgePath(X, Y, lam)`` with ``Y[:, t]`` the labels of task t (the same X, the same noise draw z: ``y_t =
X theta*_t + noise_t z`` are the sampled labels bit for bit), which agrees with the one-task path above to
rounding; a fold of one task is that one-task path itself. Linear tasks with ``n * p`` at or above the
spec's ``stream`` threshold build the same path with ``RidgePath.from_design(designs, n, lam, seed)``,
never holding X. With ``tail = "wishart"`` nothing of length p exists::

    s = fastrisk.spectra.<kind>(p, **params, compact=True)   # FlatTail (isotropic: 1 leading coordinate)
    theta_lead, t = resolve_theta_star(table).build_compact(s.lead, s.tail, p, n=n)   # or signal * e_1
    design = fastrisk.GaussianDesign(s, theta_lead, noise, theta_tail_norm=t)
    path = fastrisk.RidgePath.from_design(designs, n, lam, seed, tail="wishart")    # one design per task

the tail's Gram drawn from its Wishart law (:mod:`fastrisk.sweep.tails`), exact in law for the l2
quantities it reports, and the theory columns from the compact spectrum. The test sample
(``test_size`` > 0, and the NTK model) is
``design.sample(test_size, seed=numpy.random.SeedSequence(seed, spawn_key=(2,)))``; PGD random starts
use ``numpy.random.SeedSequence(seed, spawn_key=(3,))``. Rows are ordered norm, target, lam, eps
(eps innermost).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyarrow as pa

from .. import spectra, theory
from .._warnings import Float32AccuracyWarning
from ..design import GaussianDesign, as_seed_sequence
from ..ridge import RidgePath
from ..ridge._build import _fold_signals
from ..spectra import FlatTail
from .rows import TASK_SCHEMA, THEORY_SCHEMA, task_rows, task_schema
from .tails import compact_spectrum, compact_truth
from .truths import truth_from_json

__all__ = ["compute_task", "compute_fold", "compute_theory", "compute_batch", "describe", "task_design",
           "build_theta_star", "test_seed", "attack_seed", "unit_ids", "unit_key", "TASK_SCHEMA",
           "THEORY_SCHEMA", "THEORY_NORMS"]

#: Child key of a task's seed that draws its test sample.
TEST_KEY = 2
#: Child key of a task's seed for randomised attacks (PGD starts).
ATTACK_KEY = 3
#: Attack norms the deterministic equivalents cover; other norms get NaN theory columns.
THEORY_NORMS = (1.0, 2.0, math.inf)


def _wishart(unit: dict) -> bool:
    return unit.get("tail", "explicit") == "wishart"


def _spectrum(unit: dict) -> np.ndarray | FlatTail:
    """The task's spectrum: the preset's array, or with ``tail = "wishart"`` its compact form."""
    if _wishart(unit):
        return compact_spectrum(unit["kind"], unit["p"], unit["params"])
    return getattr(spectra, unit["kind"])(unit["p"], **unit["params"])


def _design(member: dict, s: np.ndarray | FlatTail, n: int, theta=None) -> GaussianDesign:
    """The population of a task (a fold's member with the spec's ``signal``); ``theta`` reuses a theta*
    built for another member with the same ground truth."""
    if theta is None:
        theta = _theta(member, s, n)
    if isinstance(s, FlatTail):
        return GaussianDesign(s, theta[0], member["noise"], theta_tail_norm=theta[1])
    return GaussianDesign(s, theta, member["noise"])


def _theta(member: dict, s: np.ndarray | FlatTail, n: int):
    """theta* of a member: an array, or ``(theta_lead, tail_norm)`` for a compact spectrum."""
    if isinstance(s, FlatTail):
        truth = member.get("truth")
        return compact_truth(None if truth is None else truth_from_json(truth), member["signal"], s, n)
    return build_theta_star(member, s, n)


def build_theta_star(member: dict, s: np.ndarray, n: int) -> np.ndarray:
    """theta* of a task (or a fold's member): its ``[[theta_star]]`` description built for the spectrum
    ``s`` and n, or ``signal * e_1`` (the spec's ``signal``, any sign) when the spec has no table."""
    truth = member.get("truth")
    if truth is None:
        theta = np.zeros(s.size)
        theta[0] = member["signal"]
        return theta
    return truth_from_json(truth).build(s, n=n)


def task_design(task: dict) -> GaussianDesign:
    """The population of a task (or a theory group): ``GaussianDesign(spectra.<kind>(p, **params),
    theta_star, noise)``; with ``tail = "wishart"`` the compact design ``GaussianDesign(spectra.<kind>(p,
    **params, compact=True), theta_lead, noise, theta_tail_norm=t)``."""
    return _design(task, _spectrum(task), task["n"])


def test_seed(seed: int) -> np.random.SeedSequence:
    """Seed of a task's test sample (independent of its training sample)."""
    return np.random.SeedSequence(seed, spawn_key=(TEST_KEY,))


def attack_seed(seed: int) -> np.random.SeedSequence:
    """Seed of a task's randomised attacks (PGD starts)."""
    return np.random.SeedSequence(seed, spawn_key=(ATTACK_KEY,))


# ----------------------------------------------------------------------------- one draw, many labels
def _signals(designs: list[GaussianDesign], X: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """``X theta*`` of every distinct theta* of ``designs`` (u, n), summed in the order of
    :meth:`GaussianDesign.sample` (so the labels below are the sampled ones bit for bit), and the index
    of each design's theta*."""
    keys: dict[bytes, int] = {}
    idx = [keys.setdefault(d.theta_key, len(keys)) for d in designs]
    TS = np.stack([designs[idx.index(u)].theta_star for u in range(len(keys))])
    sig = np.zeros((TS.shape[0], X.shape[0]))
    _fold_signals(sig, X, 0, X.shape[1], TS)
    return sig, idx


def _labels(designs: list[GaussianDesign], X: np.ndarray, seed) -> np.ndarray:
    """(n, k): column t is ``designs[t].sample(n, seed)[1]`` on this X (one noise draw z for all)."""
    ss = as_seed_sequence(seed)
    sig, idx = _signals(designs, X)
    return np.stack([d._labels(sig[idx[t]], ss) for t, d in enumerate(designs)], axis=1)


def _last(values: np.ndarray, multi: bool) -> np.ndarray:
    """A path output with its target axis last, also for a one-target path (1-D y)."""
    return values if multi else values[..., None]


def _linear(unit: dict, designs: list[GaussianDesign], lam: np.ndarray) -> dict:
    """Every output of one linear path for the k designs (one per task of the fold), target axis last."""
    n, seed, k = unit["n"], unit["seed"], len(designs)
    multi = k > 1
    D = designs if multi else designs[0]
    f32 = unit.get("dtype", "float64") == "float32"
    dtype = np.float32 if f32 else np.float64
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Float32AccuracyWarning)  # the rows carry the flags instead
        if _wishart(unit):  # neither is its tail: the tail's Gram drawn from its Wishart law, O(n^2)
            path = RidgePath.from_design(D, n, lam, seed=seed, tail="wishart")
        elif unit["stream"]:  # X is never held: O(n^2 + n * block) memory, blocks regenerated per norm pass
            path = RidgePath.from_design(D, n, lam, seed=seed, dtype=dtype)
        elif not multi:
            path = RidgePath(*designs[0].sample(n, seed=seed, dtype=dtype), lam)
        else:
            X, _ = designs[0].sample(n, seed=seed)
            Y = _labels(designs, X, seed)
            path = RidgePath(X.astype(np.float32) if f32 else X, Y, lam)
            del X
    out: dict = {"R": _last(path.standard_risk(D), multi)}
    eps = np.asarray(unit["eps"], dtype=np.float64)
    test = None
    if unit["test_size"] > 0:
        ts = test_seed(seed)
        if multi:
            Xt, _ = designs[0].sample(unit["test_size"], seed=ts)
            clean = np.stack([Xt @ d.theta_star for d in designs], axis=1)
            test = (Xt, clean, _labels(designs, Xt, ts))
        else:
            Xt, yt = designs[0].sample(unit["test_size"], seed=ts)
            test = (Xt, Xt @ designs[0].theta_star, yt)
    blocks = []
    for norm in unit["norms"]:
        for target in unit["targets"]:
            adv = _last(path.adversarial_risk(D, eps, norm=norm, target=target), multi)
            emp = np.full(adv.shape, np.nan)
            if test is not None and target != "consistent":
                Xt, y_clean, y_noisy = test
                emp = _last(path.empirical_adversarial_risk(Xt, y_clean if target == "clean" else y_noisy,
                                                            eps, norm=norm), multi)
            blocks.append((norm, target, adv, emp))
    out["blocks"] = blocks
    per_lam = {}
    if unit.get("noise_avg"):
        per_lam["standard_risk_noise_avg"] = _last(path.standard_risk_noise_avg(D), multi)
        per_lam["norm2_sq_noise_avg"] = _last(path.norm2_sq_noise_avg(D), multi)
    if f32:
        per_lam["accuracy_bound"] = np.repeat(path.accuracy_bound()[:, None], k, axis=1)
        per_lam["accuracy_flag"] = np.repeat(path.accuracy_flags()[:, None], k, axis=1)
    out["per_lam"] = per_lam
    return out


def _ntk_one(unit: dict, design: GaussianDesign, lam: np.ndarray):
    from .. import ntk

    opts = unit["ntk"]
    X, y = design.sample(unit["n"], seed=unit["seed"])
    Xt, yt = design.sample(opts["test_size"], seed=test_seed(unit["seed"]))
    model = ntk.TwoLayerNTK(width=None, train=opts["train"]).fit(X, y, lam)
    R = model.standard_risk(Xt, theta_star=design.theta_star)
    eps = np.asarray(unit["eps"], dtype=np.float64)
    kw = {"method": opts["method"]}
    if opts["method"] == "pgd":
        kw.update(steps=opts["steps"], restarts=opts["restarts"], seed=attack_seed(unit["seed"]))
    blocks = []
    for norm in unit["norms"]:
        for target in unit["targets"]:
            tgt = {"theta_star": design.theta_star} if target == "clean" else {"f_star": yt}
            adv = ntk.adversarial_risk(model, Xt, eps, norm=norm, **tgt, **kw)
            blocks.append((norm, target, adv, np.full(adv.shape, np.nan)))
    return R, blocks


def _ntk(unit: dict, designs: list[GaussianDesign], lam: np.ndarray) -> dict:
    """The NTK model: one kernel path per task (its Gram depends on X alone, but the model is fitted per
    label vector); outputs with the target axis last, as :func:`_linear`."""
    per = [_ntk_one(unit, d, lam) for d in designs]
    blocks = []
    for b in range(len(per[0][1])):
        norm, target = per[0][1][b][:2]
        blocks.append((norm, target, np.stack([r[1][b][2] for r in per], axis=-1),
                       np.stack([r[1][b][3] for r in per], axis=-1)))
    return {"R": np.stack([r[0] for r in per], axis=-1), "blocks": blocks, "per_lam": {}}


# ----------------------------------------------------------------------------- units
def _as_fold(task: dict) -> dict:
    """A single task as a fold of one member."""
    member = {"id": task["id"], "group": task.get("group", 0), "theta_star": task.get("theta_star", "e1"),
              "truth": task.get("truth"), "noise": task["noise"]}
    return dict(task, members=[member], ids=[task["id"]], kind_of_unit="fold")


def compute_fold(fold: dict) -> pa.Table:
    """Rows of the tasks ``fold["ids"]`` of a fold, in task order (every member is computed: see
    :mod:`fastrisk.sweep.tasks`)."""
    s = _spectrum(fold)
    n = fold["n"]
    thetas: dict = {}
    designs = []
    for m in fold["members"]:
        member = dict(m, signal=fold["signal"])
        if m["theta_star"] not in thetas:
            thetas[m["theta_star"]] = _theta(member, s, n)
        designs.append(_design(member, s, n, thetas[m["theta_star"]]))
    lam = np.asarray(fold["lam"], dtype=np.float64)
    out = (_linear if fold["model"] == "linear" else _ntk)(fold, designs, lam)
    schema = task_schema(**fold.get("columns", {}))
    emit = set(fold["ids"])
    tables = []
    for t, m in enumerate(fold["members"]):
        if m["id"] not in emit:
            continue
        blocks = [(q, tg, a[..., t], e[..., t]) for q, tg, a, e in out["blocks"]]
        per_lam = {c: v[:, t] for c, v in out["per_lam"].items()}
        tables.append(task_rows(fold, m, lam, out["R"][:, t], blocks, per_lam, schema))
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def compute_task(task: dict) -> pa.Table:
    """Rows of one task computed alone (a fold of one member; see the module docstring)."""
    return compute_fold(_as_fold(task))


def compute_theory(group: dict) -> pa.Table:
    """Deterministic-equivalent columns of one group (spectrum, theta_star, n, p, noise), in a task's row
    order.

    ``theory_standard_risk`` is :func:`fastrisk.theory.ridge_equivalent`'s ``risk``;
    ``theory_adversarial_risk`` is :func:`fastrisk.theory.adversarial_equivalent` (norms 1, 2 and inf;
    NaN for other attack norms).
    """
    design = task_design(group)
    lam = np.asarray(group["lam"], dtype=np.float64)
    eps = np.asarray(group["eps"], dtype=np.float64)
    seq = any(v in (1.0, math.inf) for v in group["norms"])
    if design.compact is not None:  # O(m) work and memory: the leading eigenvalues and one tail value
        pop, theta, kw = design.compact, design.theta_lead, {"theta_tail_norm": design.theta_tail_norm}
    else:
        pop, theta, kw = design.cov, design.theta_star, {}
    eq = theory.ridge_equivalent(pop, theta, design.noise, group["n"], lam, sequence_norms=seq, **kw)
    E = eps.size
    std, adv = [], []
    for norm in group["norms"]:
        for target in group["targets"]:
            if norm in THEORY_NORMS:
                a = theory.adversarial_equivalent(pop, theta, design.noise, group["n"], lam, eps, norm=norm,
                                                  target=target, equivalent=eq, **kw)
            else:
                a = np.full((lam.size, E), np.nan)
            adv.append(a.reshape(-1))
            std.append(np.repeat(eq.risk, E))
    return pa.Table.from_arrays([pa.array(np.concatenate(std)), pa.array(np.concatenate(adv))],
                                schema=THEORY_SCHEMA)


def unit_ids(unit: dict) -> list[int]:
    """The ids a unit's rows are stored under: a fold's emitted tasks, a task's id, a theory group."""
    kind = unit["kind_of_unit"]
    if kind == "fold":
        return list(unit["ids"])
    return [unit["id"] if kind == "task" else unit["group"]]


def unit_key(unit: dict) -> int:
    """A number naming the unit among its batch kind (fold, task or group index)."""
    kind = unit["kind_of_unit"]
    return unit["fold"] if kind == "fold" else unit["id"] if kind == "task" else unit["group"]


def describe(unit: dict) -> str:
    """``tasks 0, 8 (spectrum=..., n=..., p=..., seed=...; ...)``, ``task 12 (...)`` or ``theory of group
    3 (...)``."""
    where = f"spectrum={unit['spectrum']!r}, n={unit['n']}, p={unit['p']}"
    kind = unit["kind_of_unit"]
    if kind == "fold":
        ids = [m["id"] for m in unit["members"]]
        noise = sorted({m["noise"] for m in unit["members"]})
        truths = list(dict.fromkeys(m["theta_star"] for m in unit["members"]))
        return (f"task{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))} ({where}, "
                f"seed={unit['seed']}; noise {', '.join(f'{v:g}' for v in noise)}; "
                f"theta_star {', '.join(truths)})")
    where += f", noise={unit['noise']:g}"
    if unit.get("truth") is not None:
        where += f", theta_star={unit['theta_star']!r}"
    if kind == "theory":
        return f"theory of group {unit['group']} ({where})"
    return f"task {unit['id']} ({where}, seed={unit['seed']})"


def compute_unit_table(unit: dict) -> pa.Table:
    """The table of one fold, task or group's theory (``unit["kind_of_unit"]``)."""
    kind = unit["kind_of_unit"]
    if kind == "theory":
        return compute_theory(unit)
    return compute_fold(unit) if kind == "fold" else compute_task(unit)


def compute_batch(batch: dict) -> tuple[pa.Table | None, int, str | None]:
    """Compute the units of a batch in order: ``(table, done, error)``, where ``table`` holds the rows of
    the first ``done`` units (None if none; task rows in task order) and ``error`` names the unit that
    raised, and how, if one did (the units after it are not computed)."""
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
    if batch["kind"] == "task" and table.num_rows:
        task = table.column("task").to_numpy()
        if np.any(task[1:] < task[:-1]):  # folds interleave task ids: store them in canonical order
            table = table.take(np.argsort(task, kind="stable"))
    return table, len(tables), error
