"""The README's Python examples run as written (in order, as one script)."""

from __future__ import annotations

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow
def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 3
    ns: dict = {}
    exec(compile("\n".join(blocks), str(README), "exec"), ns)  # noqa: S102
    assert ns["adv"].shape == (1000, 100)
    assert ns["emp"].shape == (1000, 1)
    assert ns["kpath"].dual_coef().shape == (500, 1000)
