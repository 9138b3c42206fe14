"""A lean core: ``import fastrisk`` pulls in no optional dependency, every optional module names the
``pip install`` of its extra when that extra is missing, pyproject's extras hold what the code imports, and
the files every package carries are there (LICENSE, CITATION.cff, CHANGELOG.md, py.typed)."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from fastrisk import MissingExtraError
from fastrisk._extras import EXTRAS, install_command, missing_modules, require

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
OPTIONAL = ("pandas", "pyarrow", "tqdm", "matplotlib", "sklearn", "dask", "distributed", "tomli")


def _python(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env,
                          cwd=ROOT)


def test_import_fastrisk_pulls_in_no_optional_dependency():
    r = _python("import sys, fastrisk, fastrisk.runtime, fastrisk.theory, fastrisk.ntk, fastrisk.cli\n"
                f"print(sorted(m for m in {OPTIONAL!r} if m in sys.modules))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


@pytest.mark.parametrize("module, blocked, extra, names", [
    ("fastrisk.sweep", "pyarrow", "sweep", "pyarrow"),
    ("fastrisk.sweep", "pandas", "sweep", "pandas"),
    ("fastrisk.sweep", "tqdm", "sweep", "tqdm"),
    ("fastrisk.reproduce", "pyarrow", "sweep", "pyarrow"),
    ("fastrisk.estimators", "sklearn", "sklearn", "scikit-learn"),
])
def test_missing_extra_names_the_pip_install(module, blocked, extra, names):
    r = _python(f"import sys\nsys.modules[{blocked!r}] = None\n"
                "from fastrisk import MissingExtraError\n"
                f"try:\n    import {module}\nexcept MissingExtraError as e:\n"
                "    print(type(e).__mro__[1].__name__, e.extras, '|', e)\nelse:\n    print('imported')\n")
    assert r.returncode == 0, r.stderr
    head, msg = r.stdout.strip().split(" | ")
    assert head == f"ImportError ('{extra}',)"
    assert msg == f'{module} needs {names}, which is not installed: pip install "fastrisk[{extra}]"'


def test_require_lists_every_missing_module_and_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    assert missing_modules("plot", "sklearn") == ("matplotlib", "sklearn")
    with pytest.raises(MissingExtraError) as e:
        require("something", "sweep", "plot", "sklearn")
    assert e.value.extras == ("plot", "sklearn") and e.value.name == "matplotlib"
    assert str(e.value) == ('something needs matplotlib, scikit-learn, which are not installed: '
                            'pip install "fastrisk[plot,sklearn]"')
    assert isinstance(e.value, ImportError)
    require("something", "sweep")  # installed here: no error
    assert install_command("sweep") == 'pip install "fastrisk[sweep]"'


def _requirement_names(reqs: list[str]) -> set[str]:
    out = set()
    for r in reqs:
        name = r.split(";")[0].split("[")[0]
        for op in ("<", ">", "=", "!", "~", " "):
            name = name.split(op)[0]
        out.add(name.strip().lower())
    return out


def test_pyproject_extras_hold_what_the_code_imports():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = _requirement_names(meta["dependencies"])
    assert core == {"numpy", "scipy", "numba", "threadpoolctl", "tbb"}
    extras = meta["optional-dependencies"]
    dist = {"sklearn": "scikit-learn", "distributed": "dask"}
    for extra, modules in EXTRAS.items():
        names = _requirement_names(extras[extra])
        for mod in modules:
            assert dist.get(mod, mod) in names, (extra, mod)
    assert set(extras["all"]) == {"fastrisk[sweep,plot,sklearn,dask]"}
    assert "fastrisk[all]" in extras["test"] and "fastrisk[all]" in extras["bench"]
    assert {"pytest", "hypothesis", "ruff", "mypy", "nbmake"} <= _requirement_names(extras["test"])
    assert {"docs"} <= set(extras)


def test_the_files_every_package_carries():
    lic = (ROOT / "LICENSE").read_text()
    assert lic.startswith("BSD 3-Clause License") and "the fastrisk developers" in lic
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "BSD-3-Clause"
    assert (ROOT / "fastrisk" / "py.typed").exists()
    assert "py.typed" in meta["tool"]["setuptools"]["package-data"]["fastrisk"]
    cff = (ROOT / "CITATION.cff").read_text()
    assert "cff-version: 1.2.0" in cff and f"version: {meta['project']['version']}" in cff
    assert "arXiv:2401.12236" in cff and "The Surprising Harmfulness of Benign Overfitting" in cff
    log = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in log and f"## [{meta['project']['version']}]" in log
