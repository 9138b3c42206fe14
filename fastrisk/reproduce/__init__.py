"""The paper's three results reproduced: experiments, figures with theory overlays, one report.

``fastrisk reproduce`` (and :func:`run`) runs the experiments of Hao & Zhang (2024, arXiv:2401.12236) on the
sweep layer, so every simulation resumes after an interruption, shows progress and can run on a Dask
cluster. Each experiment module holds its settings (``config(quick)``), its simulations (a sweep spec),
its theory overlay, its figure and the sentences the report prints:

- :mod:`.e1_minnorm` (E1): the min-norm interpolator, benign yet adversarially vulnerable;
- :mod:`.e2_tradeoff` (E2): the ridge trade-off, oracle frontier, harm and product;
- :mod:`.regime` (regime): the regime map -- where the trade-off stays strict, grows or fades as n grows
  to 10^5, per attack, radius scaling, target and ground truth (it replaces the radius experiment);
- :mod:`.e3_ntk` (E3): the same story for the two-layer NTK model in lazy training.

Output layout: ``DIR/REPORT.md``, ``DIR/reproduce.json`` (what this directory holds) and one folder per
experiment with its figure (PNG + PDF), tables (Parquet/CSV), ``summary.json`` and ``sweeps/`` (the sweep
stores, which make the run resumable).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .._extras import require

require("fastrisk.reproduce", "sweep")  # its simulations are sweeps (figures need [plot], checked later)

from ._common import ReproduceError, Summary, read_json, write_json
from .report import ORDER, write_report

__all__ = ["run", "EXPERIMENTS", "parse_only", "ReproduceError", "Summary", "check_out", "MANIFEST"]

#: What a reproduction output directory holds (its presence marks the directory as ours).
MANIFEST = "reproduce.json"
FORMAT = 1


def _modules():
    from . import e1_minnorm, e2_tradeoff, e3_ntk, regime

    return {"E1": e1_minnorm, "E2": e2_tradeoff, "regime": regime, "E3": e3_ntk}


#: Experiment names accepted by ``--only`` (case-insensitive), in run order.
EXPERIMENTS = tuple(n for n in ORDER if n in _modules())


def parse_only(only: str | list[str] | None) -> list[str]:
    """``"E1,E2"`` (or a list) -> canonical names in run order; ReproduceError on unknown names.

    Parameters
    ----------
    only : str, list of str or None
        Experiment names, comma-separated or as a list; None means all.

    Returns
    -------
    list of str
        The canonical names, in run order.

    Examples
    --------
    >>> from fastrisk.reproduce import parse_only
    >>> parse_only("E3,e1")
    ['E1', 'E3']
    """
    if only is None:
        return list(EXPERIMENTS)
    items = only.split(",") if isinstance(only, str) else list(only)
    canon = {n.lower(): n for n in EXPERIMENTS}
    picked = set()
    for it in items:
        key = str(it).strip().lower()
        if not key:
            continue
        if key == "radius" and "regime" in canon:
            raise ReproduceError("the radius experiment is now part of the regime map: --only regime")
        if key not in canon:
            raise ReproduceError(f"unknown experiment {str(it).strip()!r}; "
                                 f"choose from {', '.join(EXPERIMENTS)}")
        picked.add(canon[key])
    if not picked:
        raise ReproduceError(f"no experiment named; choose from {', '.join(EXPERIMENTS)}")
    return [n for n in EXPERIMENTS if n in picked]


def check_out(out: str | os.PathLike, size: str) -> Path:
    """Make sure ``out`` is new, empty, or holds a reproduction of the same size; write its manifest.

    Parameters
    ----------
    out : path-like
        The output directory.
    size : {"quick", "default"}
        The size of the run (a directory holds one size).

    Returns
    -------
    pathlib.Path
        ``out``, created if needed.

    Examples
    --------
    >>> import tempfile
    >>> from fastrisk.reproduce import check_out
    >>> out = check_out(tempfile.mkdtemp(), "quick")
    >>> sorted(p.name for p in out.iterdir())
    ['reproduce.json']
    """
    out = Path(out)
    man = out / MANIFEST
    if out.exists() and not out.is_dir():
        raise ReproduceError(f"--out {os.fspath(out)!r} is a file, not a directory")
    if man.exists():
        try:
            m = read_json(man)
        except (OSError, ValueError):
            raise ReproduceError(f"{os.fspath(man)!r} is unreadable; choose another --out") from None
        if m.get("tool") != "fastrisk reproduce" or m.get("format") != FORMAT:
            raise ReproduceError(f"{os.fspath(out)!r} holds results of another tool or format; "
                                 "choose another --out")
        if m.get("size") != size:
            flag = "--quick" if m.get("size") == "quick" else "the default size"
            this = "--quick" if size == "quick" else "the default size"
            raise ReproduceError(f"{os.fspath(out)!r} holds results of `fastrisk reproduce` at {flag}; "
                                 f"this run is {this}: choose another --out")
        return out
    if out.exists() and any(out.iterdir()):
        raise ReproduceError(f"{os.fspath(out)!r} is not empty and holds no fastrisk reproduce results (no "
                             f"{MANIFEST}); choose a new or empty --out")
    try:
        write_json({"tool": "fastrisk reproduce", "format": FORMAT, "size": size}, man)
    except OSError as exc:  # a parent that is a file, a read-only or missing file system
        raise ReproduceError(f"cannot write to --out {os.fspath(out)!r}: {exc.strerror or exc}") from None
    return out


def run(out: str | os.PathLike, *, only=None, quick: bool = False, workers: int | None = None, client=None,
        progress: bool = True, figures_dir: str | os.PathLike | None = None, log=None) -> dict[str, Summary]:
    """Run the experiments into ``out`` (resuming what is there) and write ``out/REPORT.md``.

    Parameters
    ----------
    out : path-like
        Output directory (new, empty, or an earlier run of the same size, which is resumed).
    only : str or list of str, optional
        Experiment names (``"E1,E2,regime,E3"``); default all.
    quick : bool
        Smaller n and fewer seeds (same shapes of curves): a few minutes on 2 cores.
    workers : int, optional
        Local worker processes, passed to :func:`fastrisk.sweep.run`.
    client : distributed.Client, optional
        A Dask client, passed to :func:`fastrisk.sweep.run` instead of local processes.
    progress : bool
        Progress bars of the sweeps (on a terminal).
    figures_dir : path-like, optional
        Also copy each experiment's PNG figure there (for the README's ``docs/``).
    log : callable, optional
        Called with one line per finished experiment.

    Returns
    -------
    dict name -> Summary
        One summary per experiment run: its findings, figure and table paths.

    Examples
    --------
    >>> import tempfile
    >>> from fastrisk import reproduce
    >>> out = tempfile.mkdtemp()
    >>> # about a minute on 2 cores, so not run as a doctest:
    >>> summaries = reproduce.run(out, only="regime", quick=True, workers=1, progress=False)  # doctest: +SKIP
    >>> sorted(summaries)                                                                  # doctest: +SKIP
    ['regime']
    """
    from . import figures

    names = parse_only(only)
    figures.pyplot()  # fail before computing anything when matplotlib is missing
    size = "quick" if quick else "full"
    if figures_dir is not None and Path(figures_dir).exists() and not Path(figures_dir).is_dir():
        raise ReproduceError(f"--figures-dir {os.fspath(figures_dir)!r} is a file, not a directory")
    out = check_out(out, size)
    mods = _modules()
    done = {}
    from ..sweep import SpecError, StoreError

    for name in names:
        try:
            s = mods[name].run(out, quick=quick, workers=workers, client=client, progress=progress)
        except (StoreError, SpecError) as exc:
            raise ReproduceError(f"{name}: {exc}") from None
        done[name] = s
        write_report(out, size=size)
        if figures_dir is not None:
            fd = Path(figures_dir)
            fd.mkdir(parents=True, exist_ok=True)
            for f in s.figures:
                if f.endswith(".png"):
                    shutil.copyfile(out / f, fd / Path(f).name)
        if log is not None:
            log(f"{name}: done in {s.seconds:.0f} s -> {out / s.figures[0]}")
    write_report(out, size=size)
    return done
