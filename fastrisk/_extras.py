"""Optional dependencies ("extras"): which modules each extra provides, and one error when one is missing.

The core (``pip install fastrisk``) is what the library layer needs: NumPy, SciPy, Numba, threadpoolctl
and Numba's threading layer. Everything else is an extra of ``pyproject.toml``; a module that needs one
calls :func:`require` first, so a missing extra is one line naming the ``pip install`` to run, not a
``ModuleNotFoundError`` from deep inside pyarrow's or pandas' import.
"""

from __future__ import annotations

import importlib.util
import sys

__all__ = ["EXTRAS", "MissingExtraError", "require"]

#: The importable modules each extra installs (only what fastrisk imports from it).
EXTRAS: dict[str, tuple[str, ...]] = {
    "sweep": ("pandas", "pyarrow", "tqdm") + (("tomli",) if sys.version_info < (3, 11) else ()),
    "plot": ("matplotlib",),
    "sklearn": ("sklearn",),
    "dask": ("dask", "distributed"),
}

#: How a module's distribution is called where that differs from the module (for messages).
_DISTRIBUTION = {"sklearn": "scikit-learn"}


class MissingExtraError(ImportError):
    """An optional dependency of fastrisk is not installed.

    ``str(e)`` is one line naming what needs it, what is missing and the ``pip install`` command that
    adds it; :attr:`extras` holds the extras' names (e.g. ``("sweep",)``).

    Examples
    --------
    >>> from fastrisk import MissingExtraError
    >>> try:
    ...     import fastrisk.sweep
    ... except MissingExtraError as e:  # only without the [sweep] extra
    ...     print(e)
    """

    def __init__(self, feature: str, extras: tuple[str, ...], missing: tuple[str, ...]):
        self.feature = feature
        self.extras = tuple(extras)
        self.missing = tuple(missing)
        names = [_DISTRIBUTION.get(m, m) for m in missing]
        super().__init__(
            f"{feature} needs {', '.join(names)}, which {'is' if len(missing) == 1 else 'are'} not "
            f"installed: {install_command(*extras)}", name=missing[0] if missing else None)


def install_command(*extras: str) -> str:
    """The pip command that installs ``extras``, quoted for any shell: ``pip install "fastrisk[a,b]"``."""
    return f'pip install "fastrisk[{",".join(extras)}]"'


def missing_modules(*extras: str) -> tuple[str, ...]:
    """The modules of ``extras`` that cannot be found (looked up, not imported: milliseconds)."""
    out = []
    for extra in extras:
        for mod in EXTRAS[extra]:
            try:
                found = importlib.util.find_spec(mod) is not None
            except (ImportError, ValueError):  # a broken parent package, or a module without a spec
                found = sys.modules.get(mod) is not None
            if not found and mod not in out:
                out.append(mod)
    return tuple(out)


def require(feature: str, *extras: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extras`` is installed.

    Parameters
    ----------
    feature : str
        What needs them, as the message should name it (e.g. ``"fastrisk.sweep"``).
    *extras : str
        Names of extras (keys of :data:`EXTRAS`).

    Raises
    ------
    MissingExtraError
        Naming the missing modules and ``pip install "fastrisk[<extras>]"``.
    """
    missing = missing_modules(*extras)
    if missing:
        need = tuple(e for e in extras if set(EXTRAS[e]) & set(missing))
        raise MissingExtraError(feature, need, missing)
