"""Where the pack finds ``waivers.yaml``, and the day expiry is judged on.

The engine runs the pack from its own directory and tells it nothing about the project, so
the file is found, in order: the ``file`` key of the ``finops-waivers`` policy config
(``--policy-pack-config``), ``$FINOPS_WAIVERS_FILE``, else ``../waivers.yaml`` next to the pack
(this repository's layout). An installed pack without either has no waivers.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from finops_core.waivers import WaiverSet, load_waivers, today

from .subject import current_stack

DEFAULT_WAIVERS_FILE = "../waivers.yaml"  # relative to the pack directory: the repository layout
WAIVERS_VARIABLE = "FINOPS_WAIVERS_FILE"


# The finops-waivers policy's ``file`` config while a check runs, for checks that read the file
# for something else than waivers (the budget approvers a spending-limit message names).
_CONFIGURED: ContextVar[str | None] = ContextVar("finops_waivers_file", default=None)


@contextmanager
def configured_waivers_file(configured: str | None) -> Iterator[None]:
    token = _CONFIGURED.set(configured)
    try:
        yield
    finally:
        _CONFIGURED.reset(token)


def waivers_path(configured: str | None = None) -> Path:
    return Path(configured or _CONFIGURED.get() or os.environ.get(WAIVERS_VARIABLE) or DEFAULT_WAIVERS_FILE)


def current_waivers(configured: str | None = None) -> WaiverSet:
    return load_waivers(waivers_path(configured))


def waivers_today() -> dt.date:
    return today()


def target_of_urn(urn: str) -> tuple[str, str]:
    """(type, name) from ``urn:pulumi:stack::project::parent$type::name``."""
    parts = urn.split("::")
    if len(parts) < 4:
        return "pulumi:pulumi:Stack", current_stack() or ""
    return parts[2].rsplit("$", 1)[-1], parts[-1]
