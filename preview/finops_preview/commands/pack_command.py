"""``finops pack``: print the directory of the policy pack installed with the library."""

from __future__ import annotations

import argparse
import sys

from ..exit_codes import EXIT_BAD_INPUT, EXIT_OK

NAME = "pack"
HELP = "print the directory of the installed policy pack, for pulumi preview --policy-pack"
DESCRIPTION = ('Print the directory of the FinOps policy pack installed with the library, e.g. '
               '`pulumi preview --policy-pack "$(finops pack)"`. The pack runs with the python3 on PATH: '
               "activate the virtualenv the library is installed in first.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options: the installed pack is one directory


def run(args: argparse.Namespace) -> int:
    del args
    from finops_policies.location import installed_pack_dir  # the pack's SDK loads only for this command

    directory = installed_pack_dir()
    if not (directory / "PulumiPolicy.yaml").is_file():
        print(f"finops: error: {directory}: found <no PulumiPolicy.yaml>; expected the policy pack installed with "
              "finops-guardrails. Fix: reinstall the library (pip install --force-reinstall finops-guardrails).",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    print(directory)
    return EXIT_OK
