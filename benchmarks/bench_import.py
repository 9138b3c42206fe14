"""asv benchmarks of start-up: ``import fastrisk`` and ``import fastrisk.cli`` in a fresh interpreter.

Target: ``import fastrisk`` under 2 s on a quiet machine, with no optional dependency (pandas, pyarrow,
matplotlib, scikit-learn) imported; ``tests/test_extras.py`` checks the latter. The floor beside it is a
fresh interpreter importing NumPy, SciPy's linalg and Numba, which the core needs anyway, so the ratio of
the two is what fastrisk's own modules add.
"""

from __future__ import annotations


def timeraw_import_fastrisk():
    return "import fastrisk"


def timeraw_import_cli():
    return "import fastrisk.cli"


def timeraw_import_floor():
    return "import numpy, scipy.linalg, numba"
