"""Sphinx configuration of the fastrisk documentation site.

Build (from the repository root, no network needed)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html      # or: python -m sphinx ...

The tutorials (``docs/tutorials/*.md``, MyST notebooks) are executed by this build, once; the
experiment notebooks under ``notebooks/`` are run by nbmake in CI and are not part of the site.
"""

from __future__ import annotations

import importlib
import os
import sys

import fastrisk

project = "fastrisk"
author = "fastrisk developers"
copyright = "2026, fastrisk developers"  # noqa: A001
release = fastrisk.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",  # MyST markdown for the prose pages and executed notebooks for the tutorials
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# -- API reference: every name in the __all__ of fastrisk and of its public subpackages -----------------
autosummary_generate = True
autosummary_ignore_module_all = False  # a module's members are its __all__, nothing else
autosummary_imported_members = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_typehints = "none"  # the numpydoc sections carry the types
autodoc_member_order = "bysource"
# Module templates also list the __all__ names autosummary does not sort into functions, classes,
# exceptions or documented attributes (constants without a ``#:`` comment, ``__version__``).
PUBLIC_MODULES = ["fastrisk", "fastrisk.spectra", "fastrisk.ground_truth", "fastrisk.risk", "fastrisk.theory",
                  "fastrisk.ntk", "fastrisk.estimators", "fastrisk.sweep", "fastrisk.reproduce"]
autosummary_context = {
    "public_all": {m: list(importlib.import_module(m).__all__) for m in PUBLIC_MODULES},
    "public_modules": PUBLIC_MODULES,
}
numpydoc_show_class_members = False  # the class template lists members itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# numpydoc's validation of the public API: a name in a public __all__ has a docstring with a summary line,
# documents every parameter of its signature (and only those, each with a description), says what it
# returns, and carries at least one Example that runs (the doctests, tests/test_docstring_examples.py).
numpydoc_validation_checks = {"GL08", "SS01", "PR01", "PR02", "PR07", "RT01", "EX01"}
numpydoc_validation_exclude = {
    # methods and properties of the public classes: their Parameters/Returns are not yet all written
    # (the class itself is validated); see the report in the docs branch
    r"^fastrisk\.(\w+\.)?[A-Z]\w*\.\w+$",
    # exceptions and warnings: raised by fastrisk, not called by users (their docstrings say when)
    r"^fastrisk\.(\w+\.)?\w*(Error|Warning|TooLarge)$",
    # result records returned by fastrisk, documented by their Attributes, never constructed by users
    r"^fastrisk\.theory\.(BenignReport|FrontierGap|GridOptimum|IsotropicRidge|MinNormBound|OracleFrontier"
    r"|RidgeEquivalent|TradeoffBound)$",
    r"^fastrisk\.ntk\.(GDResult|LinearPredictor|NTKRegressor)$",
    # descriptions made by resolve_theta_star / parse_theta_star, never constructed positionally
    r"^fastrisk\.ground_truth\.GroundTruth$",
    r"^fastrisk\.reproduce\.Summary$",
    r"^fastrisk\.sweep\.Spec$",
    # constants (their values are shown, with the text of the module that defines them)
    r"^fastrisk\.(\w+\.)?[A-Z][A-Z0-9_]+$",
    r"^fastrisk\.__version__$",
}

# -- MyST and the tutorials ----------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
# Executed at build time, once per build (CI builds from a fresh clone); a failing cell fails the build.
nb_execution_mode = os.environ.get("FASTRISK_DOCS_EXECUTE", "auto")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# -- HTML ----------------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"fastrisk {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False

# Nothing here fetches from the network at build time (no intersphinx).
sys.dont_write_bytecode = True
