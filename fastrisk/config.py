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

#: Gram eigenvalues ``s <= RANK_RTOL * max(n, p) * finfo(dtype).eps * max(s)`` count as zero:
#: their directions are dropped from the min-norm (``lam = 0``) solution, as ``numpy.linalg.pinv``
#: drops small singular values. (A Gram eigenvalue is a squared singular value; eigh resolves it only
#: to about ``eps * max(s)``, so this is the tightest meaningful threshold.)
RANK_RTOL: float = 1.0

#: ``fastmath`` is off for every kernel: no test has shown it harmless for the reductions here.
FASTMATH: bool = False

#: SciPy eigh driver. ``"evd"`` (divide and conquer) keeps float32 in float32 and is the fastest
#: measured driver on these machines (see shared/research/baselines.md).
EIGH_DRIVER: str = "evd"
