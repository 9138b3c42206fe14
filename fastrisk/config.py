"""Package-wide numerical settings: tolerances, block sizes, JIT flags.

Kept in one place (as stumpy keeps its ``config``) so that a user can tune memory/speed trade-offs
without touching the kernels. Changing a value here never changes a result beyond floating-point
round-off, with one documented exception: :data:`GEN_BLOCK` is part of the definition of the random
stream of :meth:`fastrisk.GaussianDesign.sample`.
"""

from __future__ import annotations

#: Columns of the design drawn from one child ``SeedSequence``. Part of the random-stream definition:
#: the data for a seed is the same whatever block size the caller asks for, because callers' blocks
#: are always whole multiples of this grid. Changing it changes the data for every seed.
GEN_BLOCK: int = 1024

#: Target size in bytes of one temporary block in streaming reductions (the (L, b) slab of
#: coefficients in an l_q norm pass, the (L, m_b) slab of test predictions in an empirical attack).
BLOCK_BYTES: int = 32 * 2**20

#: Largest (g, k, L) matrix of spectral weights (and, on the dual side, its (n, k, L) product with the
#: eigenvectors) that a path with k targets holds; a one-target path always holds its (g, L) weights.
#: Beyond it a feature pass forms each target's slab from the one (g, L) filter matrix, and the other
#: per-target reductions run over groups of targets whose (g, L) temporaries fit this size together.
WEIGHTS_BYTES: int = 128 * 2**20
#: Gram eigenvalues ``s <= RANK_RTOL * max(n, p) * finfo(dtype).eps * max(s)`` count as zero:
#: their directions are dropped from the min-norm (``lam = 0``) solution, as ``numpy.linalg.pinv``
#: drops small singular values. (A Gram eigenvalue is a squared singular value; eigh resolves it only
#: to about ``eps * max(s)``, so this is the tightest meaningful threshold.)
RANK_RTOL: float = 1.0

#: ``fastmath`` is off for the linear-core and NTK kernels: no test has shown it harmless there.
FASTMATH: bool = False

#: fastmath flags of the theory kernels (spectral sums over p up to 10^7): reassociation (vectorised
#: sums), contraction (FMA) and reciprocal multiplication only; no finite-math or NaN assumptions.
#: ``tests/test_theory_kernels.py`` checks every kernel against its plain twin to 1e-13 relative.
THEORY_FASTMATH: set[str] = {"reassoc", "contract", "arcp"}

#: Numba parallel kernels run on one thread below this many element operations per call: the
#: thread pool's wake-up and its spinning against OpenBLAS cost more than they save on small calls.
PARALLEL_MIN_WORK: int = 1 << 20

#: Symmetric eigensolver. ``"numpy"`` (default): ``numpy.linalg.eigh`` (LAPACK syevd, divide and
#: conquer, float32 kept in float32), on the same OpenBLAS thread pool as the NumPy GEMMs around it.
#: ``"evd"``/``"evr"``/``"ev"``: ``scipy.linalg.eigh`` with that driver. SciPy ships its own OpenBLAS:
#: a NumPy Gram followed by a SciPy eigh makes the two pools spin against each other on 2 cores
#: (measured n=200, p=2000: 0.38 s with SciPy's eigh after NumPy's SYRK vs 0.0035 s all-NumPy).
EIGH_DRIVER: str = "numpy"

#: Numba threading layers fastrisk asks for, first available wins, unless the user chose one
#: (``NUMBA_THREADING_LAYER`` or ``numba.config.THREADING_LAYER`` before ``import fastrisk``); see
#: :mod:`fastrisk.runtime`. Both are fork-safe; Numba's own default on Linux without TBB is GNU
#: OpenMP, which is not (a fork pool after any parallel call hangs). The layer is process-wide, so
#: the user's own Numba code shares it: ``"tbb"`` is also thread-safe, ``"workqueue"`` is not
#: (``nogil`` parallel functions called from two threads at once, or nested parallel regions, abort
#: the process; fastrisk's own kernels hold the GIL and never overlap), so workqueue is only the
#: fallback where no TBB runtime exists. ``"omp"`` is skipped on Linux (GNU OpenMP).
#: Speed (``benchmarks/layers.py``: alternating processes, medians of per-round ratios to OpenMP; two
#: runs of 7 rounds on a loaded 2-core machine, provisional): TBB 0.97x / 0.83x (l_inf path n=500,
#: p=5000, L=1000), 0.81x / 0.95x (power-law l2 path), 0.84x / 0.77x (NTK Gram n=1500, d=300),
#: 0.22x / 1.03x (n=300 sweep-sized path); workqueue 0.67x / 0.75x, 0.85x / 0.73x, 0.68x / 0.62x,
#: 0.72x / 1.07x. No layer is slower than OpenMP beyond noise, and TBB and workqueue are within noise
#: of each other, so the choice rests on safety: TBB, the only one both fork- and thread-safe.
THREADING_LAYER: tuple[str, ...] = ("tbb", "workqueue")

#: Accuracy contract of the low-rank filter route (:mod:`fastrisk._lowrank`): every output (standard
#: risk, l_q norm) within this relative distance of the exact route. It is checked a posteriori on
#: every penalty (a rigorous bound from each column's factorisation residual) and on spot columns
#: recomputed exactly (smallest and largest penalty, largest residual); if a check fails the path falls
#: back to an exact route. The factor is grown until each unit-norm column's residual is below
#: ``LOWRANK_RTOL * 1e-3``.
LOWRANK_RTOL: float = 1e-10

#: Largest rank the low-rank factor may reach before the route gives up (falls back to an exact route).
LOWRANK_MAX_RANK: int = 256

#: Gaussian test vectors added per step of the adaptive range finder of the low-rank route.
LOWRANK_BLOCK: int = 16

#: Rank the cost model assumes before the factor exists (about 30 for 1000 penalties at n = 2000).
LOWRANK_RANK_GUESS: int = 48

#: Seed of the low-rank route's test vectors (fixed: the route is deterministic).
LOWRANK_SEED: int = 20240122

#: Symmetric eigensolver for a float32 Gram of at least :data:`EIGH_FLOAT32_MIN_DIM` rows.
#: ``numpy.linalg.eigh`` computes float32 input in float64 (its time equals the float64 eigh), while
#: ``scipy.linalg.eigh(driver="evd")`` runs LAPACK ssyevd in float32: measured n = 2000, one BLAS
#: thread, 0.46x the float64 eigh; the float32 floor (NumPy SYRK + SciPy evd) 0.53x the float64 floor
#: F1 at n = 2000, p = 20000 on two threads, against 0.93x with NumPy's eigh (provisional, busy machine;
#: ``benchmarks/bench_float32.py``). The two OpenBLAS pools' contention (see :data:`EIGH_DRIVER`) is a
#: fixed cost that only small Grams notice, hence the size threshold. ``"numpy"`` restores NumPy's.
EIGH_DRIVER_FLOAT32: str = "evd"

#: Smallest float32 Gram that uses :data:`EIGH_DRIVER_FLOAT32` (below it, :data:`EIGH_DRIVER`).
EIGH_FLOAT32_MIN_DIM: int = 1000
