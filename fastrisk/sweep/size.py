"""How large a sweep is, known before anything is expanded or written: tasks, rows, memory per unit of
work (a fold: the tasks sharing one X) and the store's size; :class:`SweepTooLarge` for what would not
finish.

:func:`measure` reads only the spec's lists (never a seed range, never a length-p spectrum), so a sweep
of 10^8 seeds or of p = 10^8 features is measured in microseconds. :meth:`Size.check` refuses, with one line,

- more than :data:`MAX_TASKS` tasks;
- an estimated peak memory (per fold -- the tasks sharing one X, computed together -- times the
  processes computing at once, plus each worker process's own footprint) above ``max_memory`` -- by
  default the memory available now;
- an estimated store larger than the free space of its file system;

unless ``allow_large`` (``fastrisk sweep --allow-large``). The estimates are deliberately generous
upper bounds (measured peaks of real tasks lie below them), so what they let through fits. With
``tail = "wishart"`` a fold's memory is O(n^2) whatever p is (the route's own estimate,
:func:`fastrisk.ridge._wishart.estimate_bytes`, from the compact spectrum's leading coordinates: a few
hundred numbers are built, never p).
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..ridge._wishart import estimate_bytes as wishart_bytes
from .spec import Spec
from .tails import lead_count

__all__ = ["Size", "SweepTooLarge", "measure", "available_memory", "MAX_TASKS", "PROCESS_BYTES",
           "STORE_BYTES_PER_ROW", "gib"]

#: The most tasks a sweep may have without ``allow_large`` (the driver keeps a few bytes per task, the
#: store a footer entry per file; 10^6 tasks of one second each are 11 days on one core).
MAX_TASKS = 10**6
#: Memory of one worker process before its first task (an interpreter with NumPy, SciPy, Numba, pyarrow).
PROCESS_BYTES = 250 * 2**20
#: Bytes a row takes in the store (Parquet, measured 30-45 on typical sweeps; theory columns included).
STORE_BYTES_PER_ROW = 64
#: Memory of the libraries' lazily loaded code and workspaces at a task's first call.
TASK_OVERHEAD = 128 * 2**20


class SweepTooLarge(ValueError):
    """A sweep refused before it starts: too many tasks, more memory than allowed, a store larger than
    the free disk (the message says which and how to proceed)."""


def gib(b: float) -> str:
    return f"{b / 2**30:.1f} GiB"


def available_memory() -> int:
    """Memory available to new processes now, in bytes (``MemAvailable`` on Linux; free physical pages
    elsewhere)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    try:  # pragma: no cover - macOS and other POSIX systems
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - Windows
        return 2**62


def _task_bytes(spec: Spec, n_: int, p_: int, rows: int) -> tuple[float, str]:
    """Upper estimate of one fold's peak memory above its process's own, and how it runs.

    A fold computes k = (ground truths x noise levels) tasks from one X: the design, the Gram and its
    eigendecomposition once; per target its labels, its (penalty, radius) results and its rows."""
    n, p = float(n_), float(p_)
    L = float(spec.n_penalties)
    E = float(len(spec.eps_values))
    k = float(len(spec.truth_labels) * len(spec.noise))
    B = float(len(spec.norms) * len(spec.targets))
    # the rows table (numpy, Arrow, Parquet buffers) and the path's per-target results
    out = k * rows * 400.0 + k * L * E * 64.0 + 8.0 * k * (4 * n + L * (8 + 2 * E * B)) + TASK_OVERHEAD
    if k > 1:  # the (g, k, L) spectral weights, held while they fit config.WEIGHTS_BYTES
        out += min(float(config.WEIGHTS_BYTES), 8.0 * n * k * L)
    if spec.model == "ntk":
        t = float(spec.ntk["test_size"])
        arrays = 1.5 * n * p + 1.5 * t * p + 6 * n * n + 3 * n * t + p * L * min(t, 256.0)
        return 8.0 * arrays + out, "ntk"
    if spec.tail == "wishart":  # O(n^2): the Gram and its eigh; no array of length p anywhere
        m = float(max(lead_count(sp.kind, p_, sp.resolve(n_, p_)) for sp in spec.spectra))
        route = wishart_bytes(n_, int(spec.n_penalties), int(m) + int(k))
        # the leading columns' generator chunk (n x GEN_BLOCK) and the labels and signals per target
        return route + 8.0 * (n * config.GEN_BLOCK + 4 * n * k) + out, "wishart"
    t = float(spec.test_size)
    test = 1.5 * t * p + (3 * t * k if k > 1 else 0.0)
    if spec.stream_min is not None and n <= p and n * p >= spec.stream_min:
        return 8.0 * (6 * n * n + 4 * p * (1 + k) + test) + 4.0 * config.BLOCK_BYTES + out, "streamed"
    # X held (a float32 path holds the float64 draw and its float32 copy: 12 n p bytes)
    return 8.0 * (1.5 * n * p + test + 6 * n * n + 4 * p * (1 + k)) + out, "X held"


def _theory_bytes(spec: Spec, n: int, p: int, rows: int) -> float:
    if spec.tail == "wishart":  # compact: the leading eigenvalues and one tail value
        p = 1 + max(lead_count(sp.kind, p, sp.resolve(n, p)) for sp in spec.spectra)
    return 8.0 * (16 * float(p) + 4 * rows) + TASK_OVERHEAD


@dataclass(frozen=True)
class Size:
    """The size of a sweep (see :func:`measure`). Bytes are upper estimates."""

    tasks: int
    groups: int
    folds: int
    rows_per_task: int
    task_bytes: float
    largest: str
    theory_bytes: float

    @property
    def rows(self) -> int:
        return self.tasks * self.rows_per_task

    @property
    def store_bytes(self) -> float:
        return float(self.rows) * STORE_BYTES_PER_ROW

    def memory(self, processes: int, *, new_processes: bool) -> float:
        """Peak memory of ``processes`` computing at once (each a new worker process, or this one)."""
        per = max(self.task_bytes, self.theory_bytes) + (PROCESS_BYTES if new_processes else 0.0)
        return processes * per

    def check(self, *, processes: int = 1, new_processes: bool = False, max_memory: float | None = None,
              out=None, allow_large: bool = False) -> None:
        """Raise :class:`SweepTooLarge` unless the sweep fits (see the module docstring).

        Parameters
        ----------
        processes : int
            How many tasks are computed at once here (the local workers; 1 in this process).
        new_processes : bool
            Whether each of them is a new worker process (its own interpreter's memory counts too).
        max_memory : float, optional
            The limit in bytes (default: :func:`available_memory`).
        out : path-like, optional
            The store's directory: its file system must hold the store.
        allow_large : bool
            Skip every check (the user confirms).
        """
        if allow_large:
            return
        confirm = "(allow_large=True / --allow-large runs it anyway)"
        if self.tasks > MAX_TASKS:
            raise SweepTooLarge(f"the sweep has {self.tasks:,} tasks, more than the {MAX_TASKS:,} allowed "
                                f"{confirm}")
        limit = float(available_memory() if max_memory is None else max_memory)
        need = self.memory(processes, new_processes=new_processes)
        if need > limit:
            who = f"{processes} worker(s) x " if processes > 1 or new_processes else ""
            what = "the memory available now" if max_memory is None else "max_memory / --max-memory"
            raise SweepTooLarge(
                f"the sweep needs about {gib(need)} ({who}{gib(need / processes)} for its largest unit of "
                f"work, {self.largest}) but the limit is {gib(limit)} ({what}): use fewer workers or smaller "
                f"n/p {confirm}")
        if out is not None:
            free, have = _disk_room(Path(out))
            if self.store_bytes > free + have:
                raise SweepTooLarge(f"the sweep's store needs about {gib(self.store_bytes)} ({self.rows:,} "
                                    f"rows) but {os.fspath(out)!r} has {gib(free + have)} free {confirm}")


def _disk_room(out: Path) -> tuple[float, float]:
    """Free bytes on the file system of ``out`` (its nearest existing ancestor) and the bytes its
    store's files already use (a resumed store needs only the rest)."""
    probe = out
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        free = float(shutil.disk_usage(probe).free)
    except OSError:  # pragma: no cover
        return math.inf, 0.0
    have = 0.0
    for sub in ("tasks", "theory"):
        d = out / sub
        if d.is_dir():
            with os.scandir(d) as it:
                have += sum(e.stat().st_size for e in it if e.is_file())
    return free, have


def measure(spec: Spec) -> Size:
    """The :class:`Size` of ``spec`` from its lists alone (no seed range or spectrum is built).

    Parameters
    ----------
    spec : Spec
        A validated spec (:func:`fastrisk.sweep.parse_spec`).

    Returns
    -------
    Size
        ``tasks``, ``groups``, ``rows_per_task``, the estimated peak bytes of the largest task
        (``task_bytes``, ``largest``) and of the theory (``theory_bytes``).

    Examples
    --------
    >>> import fastrisk.sweep as sw
    >>> spec = sw.parse_spec({"n": [20, 40], "p": 60, "seeds": 100_000_000, "spectrum": {"kind": "isotropic"},
    ...                       "path": {"lam": [0.0, 1.0]}})
    >>> sw.measure(spec).tasks          # counted, never expanded
    200000000
    """
    rows = spec.n_penalties * len(spec.eps_values) * len(spec.norms) * len(spec.targets)
    pairs = [(n, p) for n in spec.n for p in spec.p_values(n)]
    groups = len(spec.spectra) * len(spec.truth_labels) * len(pairs) * len(spec.noise)
    worst, largest, theory = 0.0, "", 0.0
    for n, p in pairs:
        b, how = _task_bytes(spec, n, p, rows)
        if b > worst:
            worst, largest = b, f"n={n}, p={p}, {how}"
        if spec.theory:
            theory = max(theory, _theory_bytes(spec, n, p, rows))
    return Size(tasks=groups * len(spec.seeds), groups=groups,
                folds=len(spec.spectra) * len(pairs) * len(spec.seeds), rows_per_task=rows, task_bytes=worst,
                largest=largest, theory_bytes=theory)
