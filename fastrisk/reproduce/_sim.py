"""Simulations through the sweep layer: each (spectrum, n) setting of an experiment is one sweep.

The sweep store gives what the experiments need for free: every finished task (one seed) is written
atomically the moment it ends, a rerun on the same directory skips what is done, a different spec on it is
refused, and ``client=`` sends the tasks to a Dask cluster.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["simulate"]


def simulate(specs: dict[str, dict], root: Path, *, workers=None, client=None, progress=True):
    """Run each ``specs[key]`` into ``root / key`` (resuming) and return all rows as one DataFrame.

    A ``setting`` column holds the key. Columns as :func:`fastrisk.sweep.load`.
    """
    import pandas as pd

    from .. import sweep

    frames = []
    for key, spec in specs.items():
        out = Path(root) / key
        sweep.run(spec, out, workers=workers, client=client, progress=progress)
        df = sweep.load(out)
        df["setting"] = key
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


#: How the reproduction's direct simulations draw the design by default: ``"explicit"`` (X drawn block
#: by block, :meth:`fastrisk.RidgePath.from_design`) or ``"wishart"`` (a flat tail's Gram from its
#: Wishart law, ``RidgePath.from_design(..., tail="wishart")``: l2 risks only). The regime map chooses
#: per attack (:attr:`fastrisk.reproduce.regime.Config.sim_tail`).
SIM_TAIL = "explicit"
#: From this many entries of X (n * p) on, the design is streamed rather than held (512 MiB of float64).
STREAM_ENTRIES = 1 << 26


def simulate_path(spectrum, theta_star, n: int, seed: int, lam, attacks, eps, *, noise: float = 1.0,
                  tail: str | None = None):
    """One simulated ridge path and its risks for every attack and radius: the reproduction's one entry
    to direct simulation (any ground truth; the sweep layer carries theta* = signal e_1 only).

    Parameters
    ----------
    spectrum, theta_star : numpy.ndarray (p,)
        The diagonal Sigma and the ground truth (from :mod:`fastrisk.ground_truth`).
    n, seed : int
        The sample is ``GaussianDesign(spectrum, theta_star, noise).sample(n, seed=seed)``.
    lam : array_like (L,)
        Unnormalised penalties.
    attacks : sequence of (norm, target)
        E.g. ``[(2, "clean"), (2, "consistent"), (inf, "clean")]``.
    eps : array_like (E,)
        Radii (absolute), the same for every attack.
    tail : {"explicit", "wishart"}, optional
        Default :data:`SIM_TAIL`.

    Returns
    -------
    dict
        ``standard_risk`` (L,) and, per attack ``(norm, target)``, ``adversarial_risk`` (L, E).
    """
    from ..design import GaussianDesign
    from ..ridge import RidgePath

    tail = SIM_TAIL if tail is None else tail
    design = GaussianDesign(spectrum, theta_star, noise=noise)
    p = design.p
    if tail == "explicit":
        if n * p >= STREAM_ENTRIES:
            path = RidgePath.from_design(design, n, lam, seed=seed)
        else:
            path = RidgePath(*design.sample(n, seed=seed), lam)
    else:  # the Wishart route: l2 risks from the tail's Wishart law, whatever p is
        path = RidgePath.from_design(design, n, lam, seed=seed, tail=tail)
    out: dict = {"standard_risk": path.standard_risk(design)}
    for norm, target in attacks:
        out[(float(norm), target)] = path.adversarial_risk(design, eps, norm=norm, target=target)
    return out
