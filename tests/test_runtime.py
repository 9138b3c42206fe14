"""Fork safety (a real fork pool after parallel fastrisk calls) and thread control.

The fork tests run in a fresh subprocess with a timeout: a regression (GNU OpenMP back as Numba's
layer) hangs the pool, which then fails the test instead of hanging CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_info

import fastrisk as fr
from fastrisk import spectra

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A workload that runs fastrisk's parallel kernels on every thread (l_inf norm pass over 2000
# penalties: far above config.PARALLEL_MIN_WORK), in the parent and again in each forked worker.
WORK = """
import numpy as np
import fastrisk as fr
from fastrisk import spectra
p, n = 3000, 300
ts = np.zeros(p); ts[0] = 1.0
D = fr.GaussianDesign(spectra.power_law(p), ts, noise=1.0)
def work(seed):
    X, y = D.sample(n, seed=seed)
    path = fr.RidgePath(X, y, np.logspace(0, 4, 2000))
    return float(path.adversarial_risk(D, eps=np.linspace(0, 1, 50), norm=np.inf).sum())
"""


def run_python(code: str, env_extra: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter importing fastrisk from this tree (no inherited Numba
    threading-layer setting unless ``env_extra`` gives one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_THREADING_LAYER")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    try:
        return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"subprocess hung for {timeout} s (fork-unsafe threading layer?); stderr: {e.stderr}")


def last_json(r: subprocess.CompletedProcess) -> dict:
    assert r.returncode == 0, r.stderr[-3000:]
    assert "unsafe" not in r.stderr, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def _tbb_installed() -> bool:
    try:
        metadata.version("tbb")
    except metadata.PackageNotFoundError:
        return False
    return sys.platform.startswith("linux")


@pytest.mark.slow
@pytest.mark.parametrize("pool", ["multiprocessing", "executor"])
def test_fork_pool_after_parallel_calls(pool):
    code = WORK + f"""
import json, multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
if __name__ == "__main__":
    parent = [work(s) for s in range(3)]
    ctx = mp.get_context("fork")
    if {pool!r} == "multiprocessing":
        with ctx.Pool(2) as p:
            child = p.map(work, range(3))
    else:
        with ProcessPoolExecutor(2, mp_context=ctx) as ex:
            child = list(ex.map(work, range(3)))
    import numba
    print(json.dumps({{"parent": parent, "child": child, "layer": numba.threading_layer()}}))
"""
    out = last_json(run_python(code, timeout=300))
    assert out["layer"] in ("tbb", "workqueue")
    # the forked workers compute exactly what the parent computes
    assert out["child"] == out["parent"]


@pytest.mark.slow
def test_layer_is_tbb_when_the_wheel_is_installed():
    if not _tbb_installed():
        pytest.skip("no tbb distribution installed (Linux)")
    out = last_json(run_python("""
        import json, numba, fastrisk as fr
        from numba.np.ufunc import parallel
        before = bool(parallel._is_initialized)
        numba.get_num_threads()          # launches the layer
        print(json.dumps({"launched_by_import": before, **fr.thread_info()}))
    """))
    assert out["launched_by_import"] is False  # import fastrisk starts no thread pool
    assert out["layer"] == "tbb"
    assert out["layer_source"] == "fastrisk"


@pytest.mark.slow
def test_layer_is_thread_safe_for_the_process():
    # The layer is process-wide: the user's own Numba code shares it. Parallel nogil functions called
    # from several Python threads at once abort the process under workqueue ("Concurrent access has
    # been detected", exit 134); under TBB they run. (fastrisk's kernels hold the GIL, so its own calls
    # from threads never overlap; this checks the user's code in the same process.)
    if not _tbb_installed():
        pytest.skip("no tbb distribution installed (Linux)")
    out = last_json(run_python("""
        import json
        import numpy as np
        from concurrent.futures import ThreadPoolExecutor
        from numba import njit, prange
        import fastrisk as fr

        @njit(parallel=True, nogil=True)
        def total(x):
            s = 0.0
            for i in prange(x.size):
                s += np.sqrt(x[i])
            return s

        x = np.ones(2_000_000)
        ref = total(x)
        with ThreadPoolExecutor(4) as ex:
            got = list(ex.map(lambda _: total(x), range(16)))
        print(json.dumps({"ok": all(g == ref for g in got), "layer": fr.thread_info()["layer"]}))
    """))
    assert out == {"ok": True, "layer": "tbb"}


@pytest.mark.slow
@pytest.mark.parametrize("how", ["env", "config"])
def test_user_choice_is_kept(how):
    set_cfg = "numba.config.THREADING_LAYER = 'workqueue'" if how == "config" else ""
    env = {"NUMBA_THREADING_LAYER": "workqueue"} if how == "env" else None
    out = last_json(run_python(f"""
        import json, numba
        {set_cfg}
        import fastrisk as fr
        numba.get_num_threads()
        print(json.dumps(fr.thread_info()))
    """, env))
    assert out["layer"] == "workqueue"
    assert out["layer_source"] == "user"


def test_user_choice_of_tbb_works_in_a_venv():
    # NUMBA_THREADING_LAYER=tbb with the PyPI wheel: Numba alone cannot find libtbb.so.12 in a venv
    if not _tbb_installed():
        pytest.skip("no tbb distribution installed (Linux)")
    out = last_json(run_python("""
        import json, numba, fastrisk as fr
        numba.get_num_threads()
        print(json.dumps(fr.thread_info()))
    """, {"NUMBA_THREADING_LAYER": "tbb"}))
    assert out["layer"] == "tbb"


def test_fallback_without_tbb_is_workqueue_and_late_import_is_reported():
    out = last_json(run_python("""
        import json, numba
        import fastrisk as fr
        from fastrisk import runtime
        numba.config.THREADING_LAYER = "default"
        runtime._tbb_loadable = lambda: False
        chosen = runtime.select_threading_layer()
        numba.get_num_threads()
        late = runtime.select_threading_layer()
        print(json.dumps({"chosen": chosen, "layer": numba.threading_layer(), "late": late,
                          "source": fr.thread_info()["layer_source"]}))
    """))
    assert out == {"chosen": "workqueue", "layer": "workqueue", "late": None, "source": "late"}


def _blas_counts() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


def test_threads_limits_both_pools_and_restores():
    nb0, blas0 = numba.get_num_threads(), _blas_counts()
    with fr.threads(1):
        assert numba.get_num_threads() == 1
        assert _blas_counts() == {1}
        assert fr.thread_info()["numba_threads"] == 1
        assert set(fr.thread_info()["blas_threads"].values()) == {1}
    assert numba.get_num_threads() == nb0
    assert _blas_counts() == blas0
    with pytest.raises(RuntimeError, match="boom"), fr.threads(1):
        raise RuntimeError("boom")
    assert numba.get_num_threads() == nb0
    assert _blas_counts() == blas0
    # more than Numba's pool: capped there, BLAS gets what was asked
    with fr.threads(numba.config.NUMBA_NUM_THREADS + 3):
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                      (True, TypeError), ("2", TypeError)])
def test_threads_validates(bad, exc):
    with pytest.raises(exc, match="n \\(number of threads\\)"), fr.threads(bad):
        pass
    with pytest.raises(exc, match="n \\(number of threads\\)"):
        fr.set_threads(bad)


def test_results_do_not_depend_on_threads():
    p, n = 2000, 200
    ts = np.zeros(p)
    ts[:3] = 1.0
    D = fr.GaussianDesign(spectra.power_law(p), ts, noise=0.5)
    X, y = D.sample(n, seed=3)
    lam = np.concatenate([[0.0], np.logspace(-2, 3, 600)])
    eps = np.linspace(0.0, 1.0, 20)

    def everything():
        path = fr.RidgePath(X, y, lam)
        return (path.standard_risk(D), path.adversarial_risk(D, eps, norm=np.inf),
                path.adversarial_risk(D, eps, norm=1.5), path.norm(1))

    with fr.threads(1):
        one = everything()
    with fr.threads(2):
        two = everything()
    for a, b in zip(one, two, strict=True):
        # BLAS may split products differently with the thread count: round-off only
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=0)


@pytest.mark.slow
def test_set_threads_as_pool_initializer(tmp_path):
    # spawn: the way a fresh worker starts (a script file, so that the child can import `report`)
    script = tmp_path / "pool_init.py"
    script.write_text(textwrap.dedent("""
        import json, multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor
        import fastrisk as fr

        def report(_):
            info = fr.thread_info()
            return info["numba_threads"], sorted(set(info["blas_threads"].values()))

        if __name__ == "__main__":
            with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn"), initializer=fr.set_threads,
                                     initargs=(1,)) as ex:
                got = list(ex.map(report, range(4)))
            print(json.dumps(got))
    """))
    out = last_json(run_python(f"import runpy; runpy.run_path({str(script)!r}, run_name='__main__')"))
    assert out == [[1, [1]]] * 4


@pytest.mark.slow
def test_late_import_after_gnu_openmp_warns():
    out = last_json(run_python("""
        import json, warnings
        import numpy as np
        from numba import njit, prange, threading_layer

        @njit(parallel=True)
        def total(x):
            s = 0.0
            for i in prange(x.size):
                s += x[i]
            return s

        total(np.ones(1000))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            import fastrisk as fr
        print(json.dumps({"layer": threading_layer(), "warned": [str(x.message) for x in w],
                          "source": fr.thread_info()["layer_source"]}))
    """))
    assert out["source"] == "late"
    if out["layer"] == "omp" and sys.platform.startswith("linux"):
        assert any("fork" in m for m in out["warned"])
    else:
        assert not any("fork" in m for m in out["warned"])
