"""The ``fastrisk`` command: argparse subcommands, one module each.

::

    fastrisk [run] [options]        the main job, the default (:mod:`fastrisk.cli.job`)
    fastrisk sweep SPEC --out DIR   a Monte Carlo sweep from a spec file (:mod:`fastrisk.cli.sweep`)
    fastrisk reproduce [options]    the paper's experiments and report (:mod:`fastrisk.cli.reproduce`)
    fastrisk help [COMMAND]         the help of the command, or this list

A bare ``fastrisk``, or ``fastrisk`` followed by the main job's flags (``fastrisk --n 500``), runs the
main job, as ``fastrisk run`` does. Every user error of every command is one line on stderr,
``fastrisk: error: ...`` or ``fastrisk COMMAND: error: ...``, with exit code 2 (:mod:`._parser`); a
missing optional dependency names the ``pip install`` to run.

The CLI is the top layer: it parses, prints and plots; it never computes anything itself.
"""

from __future__ import annotations

import sys
from types import ModuleType

from .. import __version__
from .._extras import MissingExtraError
from . import job
from . import reproduce as _reproduce
from . import sweep as _sweep
from ._parser import OneLineParser, fail
from .job import build_spectrum, format_table, parser, run

#: The subcommands, in the order ``fastrisk --help`` lists them (``help`` comes last).
COMMANDS: dict[str, ModuleType] = {"run": job, "sweep": _sweep, "reproduce": _reproduce}
SUBCOMMANDS = (*COMMANDS, "help")
DEFAULT_COMMAND = "run"
_TOP_LEVEL_FLAGS = ("-h", "--help", "--version")

__all__ = ["main", "command_parser", "parser", "run", "format_table", "build_spectrum", "COMMANDS",
           "SUBCOMMANDS"]


def command_parser() -> OneLineParser:
    """The ``fastrisk`` parser: ``--version`` and one subparser per command (each module adds its flags)."""
    top = OneLineParser(
        prog="fastrisk",
        description="Exact, fast standard and adversarial risks of min-norm, ridge and NTK estimators. "
                    "'fastrisk' alone runs the main job on its default problem; 'fastrisk [options]' is "
                    "'fastrisk run [options]'.",
        epilog="Run 'fastrisk help COMMAND' (or 'fastrisk COMMAND --help') for the options of a command.")
    top.add_argument("--version", action="version", version=f"fastrisk {__version__}")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", title="commands",
                             parser_class=OneLineParser)
    for name, module in COMMANDS.items():
        top.commands[name] = module.add_arguments(
            sub.add_parser(name, help=module.SUMMARY, description=module.DESCRIPTION))
    h = sub.add_parser("help", help="show the options of a command, or this list",
                       description="Show the options of COMMAND (or the list of commands).")
    h.add_argument("topic", nargs="?", choices=list(COMMANDS) + ["help"], metavar="COMMAND",
                   help=f"one of {', '.join(SUBCOMMANDS)}")
    top.commands["help"] = h
    return top


def _with_command(argv: list[str]) -> list[str]:
    """``argv`` with the default command made explicit: ``[]`` and ``["--n", "5"]`` become ``run ...``."""
    if not argv or (argv[0].startswith("-") and argv[0] not in _TOP_LEVEL_FLAGS):
        return [DEFAULT_COMMAND, *argv]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fastrisk`` console script; returns the process exit code.

    Parse errors exit through ``SystemExit(2)`` (argparse's way), after one line on stderr; the other
    user errors return 2 after one line on stderr.
    """
    argv = _with_command(list(sys.argv[1:] if argv is None else argv))
    top = command_parser()
    args, extra = top.parse_known_args(argv)
    sub = top.commands[args.command]
    if extra:  # argparse would report them as the top level's; they are the command's
        sub.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "help":
        target = top if args.topic in (None, "help") else top.commands[args.topic]
        target.print_help()
        return 0
    try:
        return COMMANDS[args.command].execute(args, sub)
    except MissingExtraError as exc:  # an optional dependency this command needs
        return fail(sub.prog, str(exc))
