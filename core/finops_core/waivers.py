"""Approved exceptions: ``waivers.yaml``, reviewed by the platform team in pull requests.

Each waiver names a policy, a resource selector (stack, type, name pattern), a reason, who
approved it (``approver:``, or ``approvals: [{by, on}]``, or both), a ticket and an expiry date.
A matching, unexpired waiver turns a violation into an advisory; an expired one no longer
applies; a malformed one never applies and is itself reported.

Large expenses need more approvals: with ``approvalTiers`` (see :mod:`finops_core.approval_tiers`)
a waiver applies only when its approvals satisfy the tier of the monthly cost it lets through
(the policy pack knows that cost); without tiers, waivers of budget policies need an approver
from ``approvers.budget``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .approval_tiers import Approval, ApprovalTier, approval_gap, parse_approvals, parse_tiers
from .reading import ConfigError, YamlDoc, load_yaml, probe, require_mapping

BUDGET_POLICIES = frozenset({"finops-cost-vs-budget", "finops-cost-vs-budget-warning"})
_REQUIRED = ("policy", "reason", "ticket", "expires")
_KEYS = (*_REQUIRED, "approver", "approvals", "stack", "type", "name")
_USER = re.compile(r"^[a-z][a-z0-9._-]{1,62}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TODAY_VARIABLE = "FINOPS_TODAY"


def today() -> dt.date:
    """Today in UTC, or the day in FINOPS_TODAY (YYYY-MM-DD), which lets a CI run judge expiry as
    of a given day. A value that is not such a date is a ConfigError naming the variable."""
    override = os.environ.get(TODAY_VARIABLE)
    if not override:
        return dt.datetime.now(dt.timezone.utc).date()
    day = _day(override.strip())
    if day is None:
        raise ConfigError(TODAY_VARIABLE, None, override, "a date written YYYY-MM-DD, such as 2027-01-31")
    return day


def _day(text: str) -> dt.date | None:
    if not _DAY.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def expiry_day(value: object) -> dt.date | None:
    """The day a waiver expires at the end of: a YAML date, a date with a time of day (its day),
    or the same written as text; None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        day = _day(text)
        if day is not None:
            return day
        if _DAY.match(text[:10]) and len(text) > 10 and text[10] in "Tt ":
            try:
                return dt.datetime.fromisoformat(text.replace("t", "T").replace("z", "+00:00")
                                                 .replace("Z", "+00:00")).date()
            except ValueError:
                return None
    return None


@dataclass(frozen=True)
class Waiver:
    index: int
    line: int | None
    policy: str
    reason: str
    approvals: tuple[Approval, ...]     # ``approver:`` first (as one approval), then ``approvals:``
    ticket: str
    expires: dt.date
    stack: str = "*"
    type: str = "*"
    name: str = "*"

    @property
    def approvers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.by for a in self.approvals))

    @property
    def approver(self) -> str:
        """The first approver (``approver:`` where given), for readers of the one-approver shape."""
        return self.approvals[0].by

    def matches(self, policy: str, stack: str | None, resource_type: str, name: str) -> bool:
        return (self.policy == policy and fnmatch.fnmatchcase(stack or "", self.stack)
                and fnmatch.fnmatchcase(resource_type, self.type) and fnmatch.fnmatchcase(name, self.name))

    def expired(self, today: dt.date) -> bool:
        """Past the expiry day (a waiver holds through the whole day it expires on)."""
        if isinstance(today, dt.datetime):
            today = today.date()
        return today > self.expires

    def describe(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"entry {self.index + 1}"
        approvals = ", ".join(a.describe() for a in self.approvals)
        return f"waiver {self.ticket} ({where}, approved by {approvals} until {self.expires.isoformat()})"


@dataclass
class WaiverSet:
    source: str
    waivers: list[Waiver] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # malformed entries, one line each
    budget_approvers: tuple[str, ...] = ()               # approvers.budget: who approves large expenses
    tiers: tuple[ApprovalTier, ...] = ()                 # approvalTiers: who approves by the amount

    def approval_gap(self, waiver: Waiver, monthly_usd: float) -> str | None:
        """What approval ``waiver`` still lacks to let ``monthly_usd`` a month through (None: none)."""
        return approval_gap(monthly_usd, waiver.approvals, self.tiers) if self.tiers else None

    def find(self, policy: str, stack: str | None, resource_type: str, name: str) -> Waiver | None:
        for waiver in self.waivers:
            if waiver.matches(policy, stack, resource_type, name):
                return waiver
        return None


def _entry(doc: YamlDoc, index: int, raw: object, budget_approvers: tuple[str, ...], tiered: bool) -> Waiver:
    path = ("waivers", index)
    entry = require_mapping(doc, raw, path)
    for key in entry:
        if key not in _KEYS:
            raise doc.error((*path, key), key, "one of the keys " + ", ".join(_KEYS))
    for key in _REQUIRED:
        value = entry.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise doc.error((*path, key), "<missing>", f"the key {key}")
    expires = expiry_day(entry["expires"])
    if expires is None:
        raise doc.error((*path, "expires"), entry["expires"], "a date such as 2027-01-31")
    approvals: tuple[Approval, ...] = ()
    if entry.get("approver") is not None:
        approver = str(entry["approver"])
        if not _USER.match(approver):
            raise doc.error((*path, "approver"), approver, "a lowercase user name")
        approvals = (Approval(approver),)
    approvals += parse_approvals(doc, entry.get("approvals"), (*path, "approvals"))
    if not approvals:
        raise doc.error((*path, "approver"), "<missing>", "the key approver or approvals: who approved it")
    policy = str(entry["policy"])
    # With approval tiers, the tiers say who approves a budget waiver (by the amount it lets through).
    if policy in BUDGET_POLICIES and not tiered and not set(budget_approvers) & {a.by for a in approvals}:
        where = (*path, "approver") if entry.get("approver") is not None else (*path, "approvals")
        raise doc.error(where, ", ".join(a.by for a in approvals), "for a budget policy, one of approvers.budget: "
                        + (", ".join(budget_approvers) or "(none configured)"))
    return Waiver(index, doc.line(path), policy, str(entry["reason"]), approvals, str(entry["ticket"]), expires,
                  str(entry.get("stack", "*")), str(entry.get("type", "*")), str(entry.get("name", "*")))


def parse_waivers(doc: YamlDoc) -> WaiverSet:
    result = WaiverSet(doc.source)
    top = require_mapping(doc, doc.data if doc.data is not None else {}, ())
    approvers = require_mapping(doc, top.get("approvers") or {}, ("approvers",))
    budget = approvers.get("budget") or []
    if not isinstance(budget, list) or not all(isinstance(a, str) for a in budget):
        raise doc.error(("approvers", "budget"), budget, "a list of user names")
    result.budget_approvers = tuple(budget)
    result.tiers = parse_tiers(doc, top.get("approvalTiers"), ("approvalTiers",))
    entries = top.get("waivers") or []
    if not isinstance(entries, list):
        raise doc.error(("waivers",), entries, "a list of waivers")
    for index, raw in enumerate(entries):
        try:
            result.waivers.append(_entry(doc, index, raw, tuple(budget), bool(result.tiers)))
        except ConfigError as exc:
            # One bad entry does not void the others; it never applies and is reported.
            result.problems.append(str(exc))
    return result


@lru_cache(maxsize=8)
def _load(path: str, version: tuple[int, int] | None) -> WaiverSet:
    if version is None:
        return WaiverSet(path)
    try:
        return parse_waivers(load_yaml(path))
    except ConfigError as exc:
        return WaiverSet(path, problems=[str(exc)])


def load_waivers(path: str | Path) -> WaiverSet:
    """The waivers in ``path`` (none if it does not exist), read once per version of the file: this
    is asked for every finding, and a pack that outlives one preview (a kept server) must still see
    the file as it is now."""
    try:
        stat = probe(Path(path), str(path), None, "<unusable path>", "a waivers file")
    except ConfigError as exc:  # a name too long, a loop of links ...: said as a problem of the file
        return WaiverSet(str(path), problems=[str(exc)])
    if stat is None:
        return _load(str(path), None)
    return _load(str(path), (stat.st_mtime_ns, stat.st_size))
