"""The repository stands alone: no citation of files outside it, and every ``docs/math.md`` section
that a docstring or comment cites exists."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
MATH = ROOT / "docs" / "math.md"
# built by concatenation so that this file does not match itself
FORBIDDEN = ["paper" + ".md", "shared" + "/research", "baselines" + ".md"]


def _texts():
    for sub in ("fastrisk", "tests", "benchmarks", "docs"):
        for path in sorted((ROOT / sub).rglob("*")):
            if path.suffix in (".py", ".md", ".toml", ".txt") and path.is_file():
                yield path
    yield ROOT / "README.md"


def test_no_citation_of_files_outside_the_repository():
    bad = []
    for path in _texts():
        text = path.read_text(encoding="utf-8")
        for word in FORBIDDEN:
            if word in text:
                bad.append(f"{path.relative_to(ROOT)}: {word}")
    assert not bad, bad


def test_cited_math_sections_exist():
    headers = set(re.findall(r"^## (\d+)\. ", MATH.read_text(encoding="utf-8"), flags=re.M))
    assert headers == {str(i) for i in range(1, 14)}
    cited = set()
    for path in _texts():
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"math\.md,? (?:sections? )?(\d+)(?:\s*-\s*(\d+))?((?:,\s*\d+)*)", text):
            lo, hi, rest = m.group(1), m.group(2) or m.group(1), m.group(3)
            cited |= {str(i) for i in range(int(lo), int(hi) + 1)}
            cited |= set(re.findall(r"\d+", rest))
    assert cited, "no docstring cites docs/math.md"
    assert cited <= headers, sorted(cited - headers, key=int)


def test_readme_links_the_math_page():
    assert "docs/math.md" in (ROOT / "README.md").read_text(encoding="utf-8")
