"""The ``fastrisk`` command.

``fastrisk [options]`` runs the main job (:mod:`fastrisk.cli.job`): one benign-overfitting problem, its
whole ridge path and the adversarial price. Subcommands live one per module:

- ``fastrisk sweep SPEC --out DIR`` (:mod:`fastrisk.cli.sweep`): a Monte Carlo sweep from a spec file;
- ``fastrisk reproduce`` (:mod:`fastrisk.cli.reproduce`): the paper's experiments, figures and report.

The CLI is the top layer: it parses, prints and plots; it never computes anything itself.
"""

from __future__ import annotations

import sys

from .job import build_spectrum, format_table, parser, run

SUBCOMMANDS = ("sweep", "reproduce")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fastrisk`` console script; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        if argv[0] == "sweep":
            from .sweep import main as sub
        else:
            from .reproduce import main as sub
        return sub(argv[1:])
    from .job import main as job_main

    return job_main(argv)


__all__ = ["main", "parser", "run", "format_table", "build_spectrum", "SUBCOMMANDS"]
