"""Apply ``waivers.yaml`` to findings: a waived finding is set aside for ``waived.py`` to report.

A policy's enforcement level is fixed, so a waived finding cannot be re-levelled where it is
found. Instead it is set aside here, and the advisory ``finops-waivers`` policies, which the
pack runs after all others for the same resource (the SDK runs a pack's policies in order,
on the request's thread), report it with who approved it until when.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections import defaultdict
from pathlib import Path

from finops_core.waivers import WaiverSet, load_waivers

from .subject import current_stack

DEFAULT_WAIVERS_FILE = "../waivers.yaml"  # relative to the pack directory: the repository layout
STACK_KEY = "stack"
_set_aside: dict[tuple[int, str], list[str]] = defaultdict(list)
_lock = threading.Lock()


def waivers() -> WaiverSet:
    return load_waivers(Path(os.environ.get("FINOPS_WAIVERS_FILE") or DEFAULT_WAIVERS_FILE))


def today() -> dt.date:
    override = os.environ.get("FINOPS_TODAY")  # lets a CI run judge expiry as of a given day
    return dt.date.fromisoformat(override) if override else dt.datetime.now(dt.timezone.utc).date()


def target_of_urn(urn: str) -> tuple[str, str]:
    """(type, name) from ``urn:pulumi:stack::project::parent$type::name``."""
    parts = urn.split("::")
    if len(parts) < 4:
        return "pulumi:pulumi:Stack", current_stack() or ""
    return parts[2].rsplit("$", 1)[-1], parts[-1]


def waive(policy: str, resource_type: str, name: str, message: str, key: str) -> str | None:
    """None if a waiver took the finding aside; else the message (noting an expired waiver)."""
    waiver = waivers().find(policy, current_stack(), resource_type, name)
    if waiver is None:
        return message
    if waiver.expired(today()):
        return f"{message} ({waiver.describe()} expired: the policy applies again)"
    with _lock:
        _set_aside[(threading.get_ident(), key)].append(
            f"waived {policy}: {message} -- {waiver.describe()}: {waiver.reason}")
    return None


def drain(key: str) -> list[str]:
    with _lock:
        return _set_aside.pop((threading.get_ident(), key), [])
