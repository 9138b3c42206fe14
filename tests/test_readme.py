"""The Python examples of the README and of the user guide run as written.

The README keeps one example; the user guide's pages (docs/guide/*.md, where the README's long sections
live) are run in reading order as one script, as a user would paste them one after the other.
"""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
# the user guide's pages with Python examples, in the order their examples build on each other
GUIDE = [ROOT / "docs" / "guide" / f"{name}.md"
         for name in ("library", "theory", "ntk", "estimators", "sweeps", "threads", "ground_truths")]


def _blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.slow
def test_readme_python_example_runs():
    blocks = _blocks(README)
    assert len(blocks) == 1, "the README keeps one example; the others live in docs/guide"
    ns: dict = {}
    exec(compile(blocks[0], str(README), "exec"), ns)  # noqa: S102
    assert ns["adv"].shape == (1000, 100)
    assert ns["emp"].shape == (1000, 1)
    assert ns["out"]["adversarial_risk"].shape == (1000, 2)


@pytest.mark.slow
def test_user_guide_python_blocks_run():
    blocks = [(path, b) for path in GUIDE for b in _blocks(path)]
    assert len(blocks) >= 7
    assert all(any(p == path for p, _ in blocks) for path in GUIDE), "a guide page lost its example"
    ns: dict = {}
    for path, block in blocks:
        exec(compile(block, str(path), "exec"), ns)  # noqa: S102
    assert ns["adv"].shape == (1000, 100)
    assert ns["emp"].shape == (1000, 1)
    assert ns["kpath"].dual_coef().shape == (500, 1000)
    assert ns["summary"]["rows"] == len(ns["table"])
