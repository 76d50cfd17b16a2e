"""Apply ``waivers.yaml`` to findings, and the advisory policies that report waived ones.

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
from collections.abc import Iterator
from pathlib import Path

from finops_components.guardrails import Rules
from finops_components.waivers import WaiverSet, load_waivers
from pulumi_policy import EnforcementLevel, Policy, PolicyConfigSchema, StackValidationArgs

from .policy import Finding, resource_policy, stack_policy
from .subject import Subject, current_stack

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


def _drain(key: str) -> list[str]:
    with _lock:
        return _set_aside.pop((threading.get_ident(), key), [])


def _resource_check(subject: Subject, rules: Rules) -> Iterator[Finding]:
    yield from _drain(subject.urn)


def _stack_check(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    yield from _drain(STACK_KEY)
    current = waivers()
    for problem in current.problems:
        yield f"waiver not applied: {problem}"
    for waiver in current.waivers:
        if waiver.expired(today()):
            yield (f"{current.source}: {waiver.describe()} for {waiver.policy} expired; remove or renew it "
                   f"(line {waiver.line})")


def build_policies() -> list[Policy]:
    """The waivers policies; the pack must list them after every policy that can be waived."""
    return [
        # Nothing can be set aside without waivers: then the policy is out of scope for every type.
        resource_policy("finops-waivers", "Violations waived by an approved, unexpired exception in waivers.yaml.",
                        lambda resource_type: bool(waivers().waivers), _resource_check,
                        PolicyConfigSchema(properties={}), lambda config: None, EnforcementLevel.ADVISORY),
        stack_policy("finops-waivers-stack", "Waived stack violations, and waivers that are expired or malformed.",
                     _stack_check, PolicyConfigSchema(properties={}), lambda config: None, EnforcementLevel.ADVISORY),
    ]
