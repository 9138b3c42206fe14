"""The argument parser every ``fastrisk`` command uses (argparse, each error on one line) and the one
error style of the whole command line.

Every user error of every command is one line on stderr, ``<prog>: error: <message>``, with exit code
2 -- never a traceback, never argparse's usage block. ``<prog>`` is what the user typed: ``fastrisk`` or
``fastrisk CMD`` (``fastrisk sweep``, ``fastrisk reproduce``, ``fastrisk run``).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

__all__ = ["OneLineParser", "error_line", "fail"]

#: What argparse should read as a value, not as a flag, after an option: a negative number in any float
#: spelling (``-1``, ``-.5``, ``-1e3``) and ``-inf``/``-infinity``/``-nan`` (``--norm -inf`` is a value
#: the type check then refuses by name). argparse's own pattern knows only ``-1`` and ``-1.5``.
NEGATIVE_NUMBER = re.compile(r"^-(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$", re.IGNORECASE)


def error_line(prog: str, message: str) -> str:
    """The one line (with its newline) a user error of ``prog`` prints on stderr."""
    return f"{prog}: error: {' '.join(str(message).split())}\n"


def fail(prog: str, message: str) -> int:
    """Print ``prog``'s user error ``message`` as one line on stderr; return the exit code 2."""
    sys.stderr.write(error_line(prog, message))
    return 2


class OneLineParser(argparse.ArgumentParser):
    """argparse, with every error on one line of stderr (exit code 2), as tools expect.

    Plain argparse prints the usage block before the error; a user error here is one line naming the
    flag and pointing to the command's ``--help``. Negative numbers and ``-inf`` after an option are its
    value, not an unknown flag (:data:`NEGATIVE_NUMBER`).
    """

    def __init__(self, *args, help_hint: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER
        self.help_hint = help_hint
        #: The subparsers of a parser with commands, by name (filled by ``fastrisk.cli.command_parser``).
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:
        hint = self.help_hint or f"{self.prog} --help"
        self.exit(2, error_line(self.prog, f"{message} (see {hint})"))
