"""Who must approve an expense, by how much it lets through each month: ``approvalTiers`` in
waivers.yaml, and the ``approvals`` a waiver or a budget increase carries.

::

    approvalTiers:                      # in order; the last, without upToUsd, covers everything above
      - {upToUsd: 500, anyOf: [team-lead, head-of-platform]}
      - {upToUsd: 5000, allOf: [head-of-platform]}
      - {allOf: [head-of-platform, cfo]}

An amount falls in the first tier whose ``upToUsd`` it does not exceed. ``anyOf``: one of them
approves; ``allOf``: each of them does (a tier may say both). Without tiers, one approval is
enough, as before.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .reading import Path_, YamlDoc, require_mapping

_USER = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")
_TIER_KEYS = ("upToUsd", "anyOf", "allOf")


@dataclass(frozen=True)
class Approval:
    by: str
    on: dt.date | None = None

    def describe(self) -> str:
        return f"{self.by} on {self.on.isoformat()}" if self.on is not None else self.by


@dataclass(frozen=True)
class ApprovalTier:
    up_to_usd: float | None        # None: everything above the tier before
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()

    def missing(self, approvers: set[str]) -> list[str]:
        """The approvals this tier still needs from ``approvers``: each absent allOf name, and
        "one of a, b" when no anyOf name approved."""
        needed = [name for name in self.all_of if name not in approvers]
        if self.any_of and not approvers.intersection(self.any_of):
            needed.append(self.any_of[0] if len(self.any_of) == 1 else "one of " + ", ".join(self.any_of))
        return needed

    def describe(self) -> str:
        parts = ([" and ".join(self.all_of)] if self.all_of else []) + \
                ([" or ".join(self.any_of)] if self.any_of else [])
        return ", with ".join(parts)


def usd(amount: float) -> str:
    """$5,000 for whole dollars, $19,482.88 otherwise."""
    return f"${amount:,.0f}" if float(amount).is_integer() else f"${amount:,.2f}"


def tier_for(tiers: Sequence[ApprovalTier], amount: float) -> tuple[ApprovalTier | None, str]:
    """The tier that judges ``amount`` and its range as words ("above $5,000", "up to $500");
    (None, range) when the tiers end below it."""
    below: float | None = None
    for tier in tiers:
        if tier.up_to_usd is None or amount <= tier.up_to_usd:
            return tier, (f"above {usd(below)}" if below is not None else f"up to {usd(tier.up_to_usd)}"
                          if tier.up_to_usd is not None else "of any amount")
        below = tier.up_to_usd
    return None, f"above {usd(below or 0)}, the last tier's bound"


def approval_gap(amount: float, approvals: Sequence[Approval], tiers: Sequence[ApprovalTier],
                 what: str = "this waiver") -> str | None:
    """None when ``approvals`` satisfy the tier of ``amount`` (monthly USD it lets through); else
    what is missing, e.g. "needs cfo: this waiver lets through $19,482.88/month, above $5,000"."""
    lets = f"{what} lets through ${amount:,.2f}/month"
    if not tiers:
        return None if approvals else f"needs an approval: {lets}"
    tier, bounds = tier_for(tiers, amount)
    if tier is None:
        return f"no approval tier covers it: {lets}, {bounds} (approvalTiers in waivers.yaml)"
    needed = tier.missing({a.by for a in approvals})
    return f"needs {' and '.join(needed)}: {lets}, {bounds}" if needed else None


def who_approves(tiers: Sequence[ApprovalTier], amount: float) -> str | None:
    """Who may approve ``amount`` a month, in words ("head-of-platform and cfo"); None without tiers."""
    tier, _ = tier_for(tiers, amount)
    return tier.describe() if tier is not None else None


def _names(doc: YamlDoc, value: object, path: Path_) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise doc.error(path, value, "a list of user names")
    for index, name in enumerate(value):
        if not isinstance(name, str) or not _USER.match(name):
            raise doc.error((*path, index), name, "a lowercase user name")
    return tuple(value)


def parse_tiers(doc: YamlDoc, raw: object, path: Path_) -> tuple[ApprovalTier, ...]:
    """``approvalTiers``: bounds rising, only the last without one, each naming someone."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise doc.error(path, raw, "a list of tiers {upToUsd, anyOf, allOf}")
    tiers: list[ApprovalTier] = []
    for index, entry in enumerate(raw):
        where = (*path, index)
        tier = require_mapping(doc, entry, where)
        for key in tier:
            if key not in _TIER_KEYS:
                raise doc.error((*where, key), key, "one of the keys " + ", ".join(_TIER_KEYS))
        bound = None
        if tier.get("upToUsd") is not None:
            bound = doc.number((*where, "upToUsd"), tier["upToUsd"], "an amount in USD greater than 0")
            previous = tiers[-1].up_to_usd if tiers else 0.0
            if previous is None or bound <= previous:
                raise doc.error((*where, "upToUsd"), tier["upToUsd"],
                                f"an amount above the tier before ({usd(previous or 0)})")
        elif index != len(raw) - 1:
            raise doc.error((*where, "upToUsd"), "<missing>", "a bound: only the last tier may have none")
        any_of = _names(doc, tier.get("anyOf"), (*where, "anyOf"))
        all_of = _names(doc, tier.get("allOf"), (*where, "allOf"))
        if not any_of and not all_of:
            raise doc.error(where, "<no approvers>", "anyOf or allOf: who approves in this tier")
        tiers.append(ApprovalTier(bound, any_of, all_of))
    return tuple(tiers)


def approval_day(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def parse_approvals(doc: YamlDoc, raw: object, path: Path_) -> tuple[Approval, ...]:
    """``approvals: [{by: <name>, on: <date>}]`` (``on`` may be left out)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise doc.error(path, raw, "a list of approvals {by: <name>, on: <date>}")
    approvals = []
    for index, entry in enumerate(raw):
        where = (*path, index)
        # YAML 1.1 (the reader's) reads a bare ``on`` key as true: it is the ``on`` of {by, on}.
        raw_approval: Mapping[Any, Any] = require_mapping(doc, entry, where)
        approval = {("on" if key is True else str(key)): value for key, value in raw_approval.items()}
        for key in approval:
            if key not in ("by", "on"):
                raise doc.error((*where, key), key, "by or on")
        by = approval.get("by")
        if not isinstance(by, str) or not _USER.match(by):
            raise doc.error((*where, "by"), "<missing>" if by is None else by, "a lowercase user name")
        on = None
        if approval.get("on") is not None:
            on = approval_day(approval["on"])
            if on is None:
                raise doc.error((*where, "on"), approval["on"], "a date such as 2026-11-30")
        approvals.append(Approval(by, on))
    return tuple(approvals)
