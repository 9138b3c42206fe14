"""``fastrisk reproduce``: not yet implemented (placeholder owned by the reproduce work)."""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    print("fastrisk reproduce: not available yet", file=sys.stderr)
    return 2
