"""The ``finops`` subcommands: one module each, registered in :data:`MODULES`.

A command module has ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``
(an exit code from :mod:`finops_preview.exit_codes`). Adding a command is one module and
one entry here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from types import ModuleType


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _command(module: ModuleType) -> Command:
    return Command(module.NAME, module.HELP, module.DESCRIPTION, module.add_arguments, module.run)


# Command name -> its module, imported when that command runs (or for ``finops --help``, which
# lists them all): ``finops preview`` need not import the billing reports' and utilization's
# modules (0.1 s of every start).
MODULES = {"preview": "preview_command", "report": "report_command", "actuals": "actuals_command",
           "utilization": "utilization_command", "waivers": "waivers_command", "pack": "pack_command"}


def command(name: str) -> Command:
    """The command ``name`` (one of :data:`MODULES`)."""
    return _command(import_module(f".{MODULES[name]}", __name__))


def commands() -> tuple[Command, ...]:
    """Every command, in the order ``finops --help`` lists them."""
    return tuple(command(name) for name in MODULES)
