"""asv benchmarks of ``fastrisk reproduce``: each experiment at its ``--quick`` size, end to end.

The target (issue 9): the whole ``fastrisk reproduce --quick`` within 5 minutes on 2 cores, the default size
within an hour. ``time_quick`` runs one experiment into a fresh temporary directory (simulation through
the sweep store with 2 local workers, theory, figure, report); ``peakmem_quick`` its peak memory (the
regime map's theory reaches p = n^1.5 ~ 3 10^7 at n = 10^5). ``time_regime_theory`` is the theory part
alone (every cell of the quick map).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from fastrisk import reproduce as rp
from fastrisk.reproduce import regime

from ._common import pin_blas_threads


class Quick:
    params = ["E1", "E2", "regime", "E3"]
    param_names = ["experiment"]
    timeout = 1200.0
    number = 1
    repeat = 1

    def setup(self, name):
        pin_blas_threads()
        self.tmp = Path(tempfile.mkdtemp(prefix="fastrisk-bench-reproduce-"))

    def teardown(self, name):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def time_quick(self, name):
        rp.run(self.tmp / "out", only=name, quick=True, workers=2, progress=False)

    def peakmem_quick(self, name):
        rp.run(self.tmp / "out", only=name, quick=True, workers=2, progress=False)


class RegimeTheory:
    timeout = 900.0

    def setup(self):
        pin_blas_threads()
        self.cfg = regime.config(True)

    def time_regime_theory(self):
        regime.theory_table(self.cfg)

    def peakmem_regime_theory(self):
        regime.theory_table(self.cfg)
