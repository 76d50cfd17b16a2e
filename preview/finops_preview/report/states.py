"""``--state STACK=FILE``: a stack's deployed state (``pulumi stack export``) instead of its program."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from finops_core.reading import ConfigError

from ..baseline import stack_warning
from ..engine_state import state_run
from ..runner import ProgramRun


def read_states(values: Sequence[str], stacks: Sequence[str], cwd: Path = Path(".")) -> dict[str, ProgramRun]:
    """``["prod=prod.json", ...]`` -> stack -> its deployed resources; each stack of ``--stacks`` once."""
    runs: dict[str, ProgramRun] = {}
    for value in values:
        stack, _, file = value.partition("=")
        if not stack or not file:
            raise ConfigError("--state", None, value, "STACK=FILE, e.g. prod=prod-state.json from `pulumi stack "
                              "export --stack prod`")
        if stack not in stacks:
            raise ConfigError("--state", stack, value, "a stack named in --stacks: " + ", ".join(stacks))
        if stack in runs:
            raise ConfigError("--state", stack, value, "one state file per stack")
        runs[stack] = state_run(Path(file), cwd)
        warning = stack_warning(f"--state {value}", (r.urn for r in runs[stack].resources), stack)
        if warning:
            print(f"finops: {warning}", file=sys.stderr)
    return runs
