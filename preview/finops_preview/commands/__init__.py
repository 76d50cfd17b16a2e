"""The ``finops`` subcommands: one module each, registered in :data:`COMMANDS`.

A command module has ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``
(an exit code from :mod:`finops_preview.exit_codes`). Adding a command is one module and
one entry here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from . import actuals_command, pack_command, preview_command, report_command, utilization_command, waivers_command


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _command(module: ModuleType) -> Command:
    return Command(module.NAME, module.HELP, module.DESCRIPTION, module.add_arguments, module.run)


COMMANDS: tuple[Command, ...] = tuple(_command(m) for m in (
    preview_command, report_command, actuals_command, utilization_command, waivers_command, pack_command))
