"""A visible first run: while kernels compile the command says so (on a terminal), the seconds spent
compiling are measured apart from the computation, and a warm run (every kernel in the on-disk cache)
says nothing and compiles nothing."""

from __future__ import annotations

import io
import json
import os
import pathlib
import pty
import select
import subprocess
import sys
import time

import numpy as np
import pytest
from numba import njit

from fastrisk.runtime import compile_notice

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTICE = "compiling kernels (first run only)..."


def _fresh_kernel():
    """A kernel no process has compiled yet (no cache), so calling it compiles."""
    @njit(cache=False)
    def k(a):
        s = 0.0
        for i in range(a.shape[0]):
            s += a[i] * a[i] + 0.5
        return s

    return k


def test_notice_while_compiling_and_seconds_measured():
    k = _fresh_kernel()
    out = io.StringIO()
    with compile_notice(NOTICE, delay=0.0, stream=out, enabled=True) as setup:
        assert k(np.ones(4)) == 6.0
        time.sleep(0.3)  # the watcher polls every 0.1 s
    assert out.getvalue() == NOTICE + "\n" and setup.notified
    assert setup.compiled >= 1 and setup.compile_s > 0.0
    assert setup.setup_s >= setup.compile_s  # compile-or-load covers the compilation


def test_no_notice_and_no_seconds_when_nothing_compiles():
    k = _fresh_kernel()
    k(np.ones(3))  # compiled before the block
    out = io.StringIO()
    with compile_notice(NOTICE, delay=0.0, stream=out, enabled=True) as setup:
        for _ in range(3):
            k(np.ones(5))
        time.sleep(0.3)  # a block that runs long but compiles nothing stays quiet
    assert out.getvalue() == "" and not setup.notified
    assert setup.compiled == 0 and setup.compile_s == 0.0


def test_notice_waits_for_its_delay_and_stays_off_a_non_terminal():
    k = _fresh_kernel()
    out = io.StringIO()
    with compile_notice(NOTICE, delay=60.0, stream=out, enabled=True) as setup:
        k(np.ones(2))
    assert out.getvalue() == "" and setup.compile_s > 0.0  # compiling took far less than a minute
    k2 = _fresh_kernel()
    with compile_notice(NOTICE, delay=0.0, stream=out) as setup:  # default: only on a terminal
        k2(np.ones(2))
        time.sleep(0.3)
    assert out.getvalue() == "" and setup.compile_s > 0.0


def _run_on_a_terminal(argv: list[str], env: dict) -> tuple[int, str, str]:
    """``python -m fastrisk argv`` with stderr on a pseudo-terminal (as a user sees it); stdout piped."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "fastrisk", *argv], stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
    os.close(slave)
    err = b""
    while True:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            err += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.stdout.close()
    os.close(master)
    return proc.wait(timeout=600), out, err.decode(errors="replace")


@pytest.mark.slow
def test_first_run_says_it_is_compiling_and_a_warm_run_does_not(tmp_path):
    # a cold on-disk cache of its own: this run compiles every kernel it uses, as on a fresh install
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    argv = ["--n", "80", "--n-lam", "6", "--json"]
    code, out, err = _run_on_a_terminal(argv, env)
    assert code == 0, err
    first = json.loads(out)["timing"]
    assert f"fastrisk: {NOTICE}" in err and err.count(NOTICE) == 1
    assert first["compile_s"] > 1.0  # several kernels, each well over 0.1 s
    assert any((tmp_path / "numba-cache").rglob("*.nbi"))  # the cache the next run reuses
    code, out, err = _run_on_a_terminal(argv, env)
    assert code == 0, err
    warm = json.loads(out)["timing"]
    assert NOTICE not in err and warm["compile_s"] == 0.0
