"""Run records of a sweep (its provenance): what computed it, where, when, and from which command.

Every run that computes tasks in a store appends one record to its manifest (``runs``): the versions of
fastrisk, Python, NumPy, SciPy, Numba, pyarrow and the BLAS (through threadpoolctl), Numba's threading
layer, the date, the host name and the command line. A resume with other versions warns
(:class:`VersionChangeWarning`, naming them) rather than refusing -- refusing would strand every store
at each upgrade -- and the table keeps which run wrote each file. None of this enters the spec hash.
"""

from __future__ import annotations

import datetime
import platform
import shlex
import socket
import sys
import warnings

__all__ = ["collect", "versions", "differences", "VersionChangeWarning", "VERSION_KEYS"]

#: The entries of a record that say which code computed the numbers (compared on resume).
VERSION_KEYS = ("fastrisk", "python", "numpy", "scipy", "numba", "pyarrow", "blas", "threading_layer")


class VersionChangeWarning(UserWarning):
    """A store is resumed with other versions than those that computed its finished tasks."""


def _version(module: str) -> str | None:
    try:
        mod = __import__(module)
    except ImportError:
        return None
    return str(getattr(mod, "__version__", None))


def _blas() -> tuple[str, list[dict]]:
    """The BLAS libraries threadpoolctl sees: a one-line summary and their records."""
    try:
        from threadpoolctl import threadpool_info

        libs = [lib for lib in threadpool_info() if lib.get("user_api") == "blas"]
    except Exception:  # noqa: BLE001 - provenance never stops a sweep
        return "unknown", []
    keep = ("internal_api", "version", "architecture", "threading_layer", "prefix", "num_threads")
    records = [{k: lib.get(k) for k in keep if k in lib} for lib in libs]
    summary = ", ".join(sorted({f"{r.get('internal_api')} {r.get('version')} ({r.get('architecture')})"
                                for r in records})) or "none found"
    return summary, records


def _threading_layer() -> str | None:
    try:
        from ..runtime import thread_info

        layer = thread_info().get("layer")
        return None if layer is None else str(layer)
    except Exception:  # noqa: BLE001
        return None


def versions() -> dict:
    """The :data:`VERSION_KEYS` of this process (also what a Dask worker reports)."""
    from .. import __version__

    blas, _ = _blas()
    return {"fastrisk": __version__, "python": platform.python_version(), "numpy": _version("numpy"),
            "scipy": _version("scipy"), "numba": _version("numba"), "pyarrow": _version("pyarrow"),
            "blas": blas, "threading_layer": _threading_layer()}


def collect(argv: list[str] | None = None) -> dict:
    """A provenance record of this process: :func:`versions`, the BLAS libraries in detail, the date
    (UTC, ISO 8601), host name, platform and command line (``argv``, default ``sys.argv``)."""
    rec = versions()
    _, rec["blas_libraries"] = _blas()
    rec["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    rec["host"] = socket.gethostname()
    rec["platform"] = platform.platform()
    argv = list(sys.argv if argv is None else argv)
    rec["command"] = shlex.join(argv) if argv and argv != [""] else None
    return rec


def differences(runs: list[dict], now: dict) -> list[str]:
    """``"numpy 1.26.4 (now 2.4.6)"`` for each version in ``now`` that differs from one of ``runs``."""
    out = []
    for key in VERSION_KEYS:
        before = sorted({str(r.get(key)) for r in runs if key in r} - {str(now.get(key))})
        if before:
            out.append(f"{key} {' / '.join(before)} (now {now.get(key)})")
    return out


def warn_if_changed(out, runs: list[dict], now: dict) -> None:
    """Warn (:class:`VersionChangeWarning`) when ``now`` differs from the versions of earlier runs."""
    diff = differences(runs, now)
    if diff:
        warnings.warn(f"{out} was computed with {'; '.join(diff)}: the tasks computed now may differ from "
                      "the stored ones in the last bits (the manifest records every run)",
                      VersionChangeWarning, stacklevel=3)
