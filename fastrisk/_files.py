"""Atomic file writes: a file that exists under its final name is complete."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | os.PathLike, write, *, suffix: str = ".tmp", prefix: str | None = None) -> Path:
    """Write ``path`` through ``write(tmp)`` on a temporary file beside it, fsync, then rename over it.

    The parent folder is created. After an interruption at any moment ``path`` is either absent, the
    old file or the complete new one; the temporary file is removed on any error. ``suffix`` ends the
    temporary name (e.g. ``".png"`` for writers that read the format from the name) and ``prefix``
    starts it (default ``".<name>."``; a store that cleans up stale temporary files names its own).
    The file is readable by everyone (0644), as outputs are meant to be shared.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}." if prefix is None else prefix,
                               suffix=suffix)
    try:
        os.close(fd)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
