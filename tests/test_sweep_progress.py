"""The progress bar: tqdm with an ETA on stderr when stderr is a terminal (a real pty), never otherwise."""

from __future__ import annotations

import os
import pty
import struct
import subprocess
import sys
from pathlib import Path

import pytest

fcntl = pytest.importorskip("fcntl")
termios = pytest.importorskip("termios")

ROOT = Path(__file__).resolve().parents[1]
SPEC = 'n = [10, 12]\np = 30\nseeds = 3\n[[spectrum]]\nkind = "isotropic"\n[path]\nlam = [0.0, 1.0]\n'


def _run_on_pty(argv: list[str]) -> tuple[int, str]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    try:
        proc = subprocess.Popen([sys.executable, "-m", "fastrisk", *argv], cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the pty
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=120)
        proc.stdout.close()
    finally:
        os.close(master)
    return proc.returncode, b"".join(chunks).decode(errors="replace")


@pytest.mark.slow
def test_progress_bar_on_a_terminal_only(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(SPEC)
    rc, err = _run_on_pty(["sweep", str(spec), "--out", str(tmp_path / "a"), "--workers", "1"])
    assert rc == 0
    assert "fastrisk sweep: 100%" in err and "6/6" in err and "task/s" in err and "<" in err  # rate, ETA
    rc, err = _run_on_pty(["sweep", str(spec), "--out", str(tmp_path / "b"), "--workers", "1",
                           "--no-progress"])
    assert rc == 0 and "6/6" not in err
