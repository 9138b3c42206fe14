"""The Examples sections of the public API run as written, and every public function and class has one.

The public API is the ``__all__`` of ``fastrisk`` and of its public subpackages (the names the API
reference of the documentation site lists). The docs build checks the docstrings' sections with numpydoc's
validation (``docs/conf.py``); this test runs their examples, so that an example that no longer works, or
prints something else, fails the quick tier.
"""

from __future__ import annotations

import doctest
import importlib
import inspect

import numpy as np
import pytest

PUBLIC = ["fastrisk", "fastrisk.spectra", "fastrisk.ground_truth", "fastrisk.risk", "fastrisk.theory",
          "fastrisk.ntk", "fastrisk.estimators", "fastrisk.sweep", "fastrisk.reproduce"]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _public():
    for modname in PUBLIC:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{modname}.{name}", obj


def _needs_example(name: str, obj) -> bool:
    """The objects numpydoc's EX01 check covers in docs/conf.py (exceptions, warnings and result records
    are excluded there, with the reason)."""
    if inspect.isclass(obj) and issubclass(obj, (Exception, Warning)):
        return False
    return obj.__name__ not in RECORDS


RECORDS = {"BenignReport", "FrontierGap", "GridOptimum", "IsotropicRidge", "MinNormBound", "OracleFrontier",
           "RidgeEquivalent", "TradeoffBound", "GDResult", "LinearPredictor", "NTKRegressor", "Summary",
           "Spec", "GroundTruth"}

NAMES = sorted(dict(_public()))


@pytest.mark.parametrize("name", NAMES)
def test_public_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    modname, _, attr = name.rpartition(".")
    obj = getattr(importlib.import_module(modname), attr)
    finder = doctest.DocTestFinder(recurse=inspect.isclass(obj))
    tests = [t for t in finder.find(obj, name, globs={}) if t.examples]
    if _needs_example(name, obj):
        assert any(t.name == name for t in tests), f"{name} has no Examples section"
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    with np.printoptions(legacy=False):
        for t in tests:
            runner.run(t)
    res = runner.summarize(verbose=False)
    assert res.failed == 0, f"{name}: {res.failed} of {res.attempted} examples failed (see the output above)"
