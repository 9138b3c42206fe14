"""``fastrisk._files.atomic_write``: the final name holds the old or the complete new file, never a part."""

import os

import pytest

from fastrisk._files import atomic_write


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path):
    p = tmp_path / "sub" / "a.txt"
    assert atomic_write(p, lambda tmp: open(tmp, "w").write("new")) == p
    assert p.read_text() == "new" and os.listdir(p.parent) == ["a.txt"]
    assert oct(p.stat().st_mode & 0o777) == oct(0o644)


def test_a_failing_writer_keeps_the_old_file_and_removes_its_temporary(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("old")

    def half(tmp):
        with open(tmp, "w") as f:
            f.write("ne")
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError, match="disk gone"):
        atomic_write(p, half, suffix=".png")
    assert p.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]
