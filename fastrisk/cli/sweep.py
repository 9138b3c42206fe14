"""``fastrisk sweep``: not yet implemented (placeholder owned by the sweep work)."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    print("fastrisk sweep: not available yet", file=sys.stderr)
    return 2
