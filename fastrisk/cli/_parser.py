"""The argument parser every ``fastrisk`` command uses: argparse, with each error on one line."""

from __future__ import annotations

import argparse


class OneLineParser(argparse.ArgumentParser):
    """argparse, with every error on one line of stderr (exit code 2), as tools expect.

    Plain argparse prints the usage block before the error; a user error here is one line naming the
    flag and pointing to ``--help``.
    """

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")
