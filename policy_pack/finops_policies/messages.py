"""How violations read: the resource, the rule, the found value, the allowed values, the fix."""

from __future__ import annotations

from dataclasses import dataclass

from finops_core.sizes import EXCEPTION_HINT, violation


@dataclass(frozen=True)
class Unknown:
    """A value a check needed but the engine does not know yet (preview of a new resource)."""

    path: str


@dataclass(frozen=True)
class AtResource:
    """A stack policy's finding about one resource of the stack (reported with its URN)."""

    message: str
    urn: str


@dataclass(frozen=True)
class Priced:
    """A stack policy's finding with the monthly cost a waiver of it would let through (the amount
    over the budget, or the change's difference): approval tiers judge its waiver by it."""

    message: str
    lets_through_usd: float


__all__ = ["EXCEPTION_HINT", "AtResource", "Priced", "Unknown", "violation"]
