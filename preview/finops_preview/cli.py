"""``finops``: the FinOps guardrails on the command line.

    finops preview -s dev                      # plan, violations, estimate vs budget
    finops preview -s dev --format markdown -o comment.md
    finops preview -s dev -j > main.json && finops preview -s dev --baseline main.json --max-increase-usd 50
    finops report --stacks dev,staging,prod    # chargeback

Exit codes mirror ``pulumi preview``: 0 clean or advisory only, 1 a mandatory violation (or
a refused cost increase), 2 bad input (one line, never a traceback). Each subcommand lives in
its own module under :mod:`finops_preview.commands`.
"""

from __future__ import annotations

import argparse
import functools
import gc
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .commands import MODULES, Command, command, commands
from .exit_codes import EXIT_BAD_INPUT, EXIT_OK, EXIT_VIOLATION

__all__ = ["EXIT_BAD_INPUT", "EXIT_OK", "EXIT_VIOLATION", "main", "run"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("finops-guardrails")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``, whose lookup of the installed package (importlib.metadata, a few ms) runs only
    when it is asked for, not at every command's start."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **_: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the program's version number and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"finops-guardrails {_version()}")
        parser.exit()


# argparse's wording of a bad option value -> what was expected, in the house's "found; expected" shape.
_BAD_VALUE = re.compile(r"^argument (?P<option>[^:]+): invalid (?P<kind>\w+) value: (?P<found>.*)$")
_BAD_CHOICE = re.compile(
    r"^argument (?P<option>[^:]+): invalid choice: (?P<found>.*?) \(choose from (?P<choices>.*)\)$")
_EXPECTED = {"float": "a number", "int": "a whole number"}


def one_line_error(message: str) -> str:
    """argparse's error ``message`` as one line naming the option, what was found and what is expected."""
    if (bad := _BAD_VALUE.match(message)) is not None:
        kind = bad["kind"]
        expected = _EXPECTED.get(kind, f"a {kind} value")
        return f"{bad['option']}: found {bad['found']}; expected {expected}"
    if (choice := _BAD_CHOICE.match(message)) is not None:
        choices = choice["choices"].replace("'", "")
        return f"{choice['option']}: found {choice['found']}; expected one of {choices}"
    return message


class _OneLineParser(argparse.ArgumentParser):
    """Bad command-line input is one line and exit 2, as bad files are, not argparse's usage dump."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {one_line_error(message)} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def _chosen(argv: Sequence[str]) -> Command | None:
    """The command named by the first argument that is not an option, if it names one."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return command(first) if first in MODULES else None


@functools.cache  # parsing keeps no state in the parser: built once per process and command
def _parser(chosen: Command | None) -> argparse.ArgumentParser:
    """The parser; with ``chosen``, the other commands are names only (not imported: argparse
    reads no more than the chosen command's arguments)."""
    parser = _OneLineParser(prog="finops", description="FinOps guardrails for Pulumi.")
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for each in commands() if chosen is None else [chosen]:
        each.add_arguments(subparsers.add_parser(each.name, help=each.help, description=each.description))
    if chosen is not None:
        for name in MODULES:
            if name != chosen.name:
                subparsers.add_parser(name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = _chosen(argv)
    args = _parser(chosen).parse_args(argv)
    command = chosen if chosen is not None else next(c for c in commands() if c.name == args.command)
    try:
        return command.run(args)
    except OSError as exc:
        # The last guard: every path a user gives is checked where it is read (naming the file
        # and key, or the option); one missed is still one line, never a traceback.
        where = exc.filename if exc.filename is not None else "finops"
        print(f"finops: error: {where}: {exc.strerror or exc.__class__.__name__}", file=sys.stderr)
        return EXIT_BAD_INPUT


def run() -> None:
    code = main()
    # Everything left is freed by the process's exit; the full collection the interpreter would
    # run over pulumi's and grpc's object graphs on the way out took 0.1 s of every command.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
