"""Shared pieces of the NTK layer: argument checks, kernel modes, the seeded initialisation stream.

Initialisation stream (part of the definition of a finite-width network for a seed): the distinct
first-layer rows ``w_k ~ N(0, I_d)`` and signs ``a_k ~ Unif{+-1}`` are drawn in chunks of
:data:`INIT_CHUNK` rows, chunk ``c`` from ``SeedSequence(entropy, spawn_key=(c,))``, so that any block
of neurons can be regenerated alone and no result depends on the block size. With
``symmetric_init=True`` the network has ``m = 2 m_eff`` neurons in pairs ``(w_k, a_k)``, ``(w_k, -a_k)``
(so ``f(.; W_0) = 0``); otherwise ``m_eff = m``.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from .. import config
from .._validation import as_float_array, check_positive_int

#: Rows of the initial first layer drawn from one child SeedSequence (part of the random stream).
INIT_CHUNK: int = 256

MODES = {"first": 0, "second": 1, "both": 2}


def check_train(train) -> int:
    """``train`` in {"first", "second", "both"} -> kernel mode 0/1/2."""
    if not isinstance(train, str) or train not in MODES:
        raise ValueError(f"train must be one of {tuple(MODES)}, got {train!r}")
    return MODES[train]


def check_width(width, symmetric_init: bool = False) -> int | None:
    """``None`` (infinite width) or an integer >= 1 (even with a symmetric initialisation)."""
    if width is None:
        return None
    if isinstance(width, float) and math.isinf(width) and width > 0:
        return None
    m = check_positive_int(width, "width")
    if symmetric_init and m % 2:
        raise ValueError(f"width must be even with symmetric_init=True (neurons come in +-a pairs), got {m}")
    return m


def seed_entropy(seed) -> int:
    """Entropy of the root SeedSequence: ``seed`` itself (int >= 0, or a SeedSequence of int entropy and
    no spawn key), fresh entropy (None), or, for a spawned child (or list entropy), a 128-bit integer
    drawn from the SeedSequence's own state, so that the children of one root give different networks."""
    if isinstance(seed, np.random.SeedSequence):
        if not seed.spawn_key and isinstance(seed.entropy, (int, np.integer)):
            return int(seed.entropy)
        return int.from_bytes(seed.generate_state(4, np.uint32).tobytes(), "little")
    if seed is None:
        return cast(int, np.random.SeedSequence().entropy)  # a fresh SeedSequence's entropy is an int
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be None, a non-negative int or a numpy SeedSequence, got {seed!r}")
    return int(seed)


def init_rows(entropy: int, d: int, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct initial neurons ``r0 <= k < r1``: (W (r1 - r0, d) float64, a (r1 - r0,) float64)."""
    c0, c1 = r0 // INIT_CHUNK, (r1 - 1) // INIT_CHUNK + 1
    Ws, As = [], []
    for c in range(c0, c1):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(c,))))
        Ws.append(rng.standard_normal((INIT_CHUNK, d)))
        As.append(np.where(rng.random(INIT_CHUNK) < 0.5, -1.0, 1.0))
    W = np.concatenate(Ws)
    a = np.concatenate(As)
    off = c0 * INIT_CHUNK
    return W[r0 - off:r1 - off], a[r0 - off:r1 - off]


def neuron_block(m_eff: int, n_rows: int, mats: int = 1) -> int:
    """Neurons per block so that ``mats`` (n_rows, b) float64 activation blocks fit BLOCK_BYTES;
    a multiple of INIT_CHUNK (blocks are regenerated chunk-aligned)."""
    b = config.BLOCK_BYTES // max(1, 8 * n_rows * mats)
    b = max(INIT_CHUNK, (b // INIT_CHUNK) * INIT_CHUNK)
    return min(b, -(-m_eff // INIT_CHUNK) * INIT_CHUNK)


def check_inputs(X, name: str = "X", d: int | None = None) -> np.ndarray:
    """A finite, non-empty 2-D float array (float32 kept) with ``d`` columns if given, C-contiguous."""
    X = as_float_array(X, name, ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty: got shape {X.shape}, need at least one row and column")
    if d is not None and X.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns (the input dimension), got shape {X.shape}")
    return np.ascontiguousarray(X)
