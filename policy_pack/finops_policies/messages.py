"""How violations read: the resource, the rule, the found value, the allowed values, the fix."""

from __future__ import annotations

from dataclasses import dataclass

EXCEPTION_HINT = "For an exception, ask the platform team to approve a waiver."


@dataclass(frozen=True)
class Unknown:
    """A value a check needed but the engine does not know yet (preview of a new resource)."""

    path: str


@dataclass(frozen=True)
class AtResource:
    """A stack policy's finding about one resource of the stack (reported with its URN)."""

    message: str
    urn: str


def violation(subject: str, rule: str, found: str, allowed: str, fix: str) -> str:
    return f"{subject}: {rule}: found {found}; allowed: {allowed}. Fix: {fix} {EXCEPTION_HINT}"
