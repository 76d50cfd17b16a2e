"""``budgets/<environment>.yaml``: each environment's monthly budget, as typed data.

Pulumi-free, so the policy pack and ``finops preview`` read the same plans as the
BudgetAlerts component.

Governance keys, both optional::

    owners:                 # a monthly limit per Owner tag value; default: anyone not named
      default: 50
      lead-dev: 300
    increases:              # emergency budget increases, approved through waivers.yaml's approvalTiers
      - amountUsd: 400
        from: 2026-12-01
        until: 2026-12-31   # inclusive
        reason: load test of the classifier before the enterprise launch
        ticket: FIN-77
        approvals: [{by: head-of-platform, on: 2026-11-30}, {by: cfo, on: 2026-11-30}]

What an increase does on a given day is :mod:`finops_core.budget_increases`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .approval_tiers import Approval, approval_day, parse_approvals
from .reading import ConfigError, Path_, YamlDoc, load_yaml, probe, require_mapping
from .rules import Rules, load_rules

# AWS Budgets: e-mail subscribers per notification (CreateNotification / Subscriber docs).
MAX_EMAIL_SUBSCRIBERS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEYS = ("monthlyLimit", "currency", "teams", "subscribers", "anomaly", "emergencyAction", "owners", "increases")
_INCREASE_KEYS = ("amountUsd", "from", "until", "reason", "ticket", "approvals")
DEFAULT_OWNER = "default"
# Anomaly alerts go to e-mail (the SNS topic is for AWS Budgets only); IMMEDIATE would need SNS.
ANOMALY_FREQUENCIES = ("DAILY", "WEEKLY")
EMERGENCY_KINDS = ("STOP_TAGGED_INSTANCES", "DENY_NEW_COMPUTE")
# The stack config key that names the shared budget covering a stack, which then creates none.
COVERED_BY_BUDGET_NAMESPACE, COVERED_BY_BUDGET_KEY = "finops", "coveredByBudget"
COVERED_BY_BUDGET = f"{COVERED_BY_BUDGET_NAMESPACE}:{COVERED_BY_BUDGET_KEY}"
APPROVALS = ("AUTOMATIC", "MANUAL")


@dataclass(frozen=True)
class EmergencyAction:
    kind: str          # STOP_TAGGED_INSTANCES or DENY_NEW_COMPUTE
    approval: str      # AUTOMATIC or MANUAL
    threshold_percent: float


@dataclass(frozen=True)
class BudgetIncrease:
    """An emergency increase of the environment's monthly budget, from ``start`` to ``until``
    (both days included)."""

    amount: float
    start: dt.date
    until: dt.date
    reason: str
    ticket: str
    approvals: tuple[Approval, ...]
    line: int | None = None

    def describe(self) -> str:
        return f"increase {self.ticket} of ${self.amount:,.2f} ({self.start.isoformat()} to {self.until.isoformat()})"


@dataclass(frozen=True)
class BudgetPlan:
    source: str
    environment: str
    monthly_limit: float
    currency: str
    team_limits: Mapping[str, float]
    subscribers: tuple[str, ...]
    anomaly_threshold: float
    anomaly_frequency: str
    emergency_action: EmergencyAction
    owner_limits: Mapping[str, float] = field(default_factory=dict)   # "default" for anyone not named
    increases: tuple[BudgetIncrease, ...] = ()

    def owner_limit(self, owner: str) -> float | None:
        """The monthly limit of ``owner`` (an Owner tag value), None when the plan sets none."""
        return self.owner_limits.get(owner, self.owner_limits.get(DEFAULT_OWNER))


def _amount(doc: YamlDoc, value: object, path: Path_) -> float:
    # NaN compares false with everything, so it would pass "> 0" and every later check: refuse it
    # (and infinities, and numbers too large for a float) here too, not only in the reader.
    expected = "an amount in USD greater than 0"
    if value is None:
        raise doc.error(path, "<missing>", expected)
    amount = doc.number(path, value, expected)
    if amount <= 0:
        raise doc.error(path, value, expected)
    return amount


def _choice(doc: YamlDoc, value: object, path: Path_, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise doc.error(path, "<missing>" if value is None else value, "one of " + ", ".join(choices))
    return str(value)


def parse_budget_plan(doc: YamlDoc, environment: str, rules: Rules) -> BudgetPlan:
    top = require_mapping(doc, doc.data, ())
    for name in top:
        if name not in _KEYS:
            raise doc.error((name,), name, "one of the keys " + ", ".join(_KEYS))
    limit = _amount(doc, top.get("monthlyLimit"), ("monthlyLimit",))
    currency = _choice(doc, top.get("currency", "USD"), ("currency",), ("USD",))

    teams_allowed = rules.tag_rule("Team").allowed or ()
    team_limits: dict[str, float] = {}
    for team, amount in require_mapping(doc, top.get("teams", {}), ("teams",)).items():
        if team not in teams_allowed:
            raise doc.error(("teams", team), team, "a team of the Team tag: " + ", ".join(teams_allowed))
        team_limits[str(team)] = _amount(doc, amount, ("teams", team))
    if sum(team_limits.values()) > limit:
        raise doc.error(("teams",), f"<team limits adding up to {sum(team_limits.values()):g} USD>",
                        f"at most the monthlyLimit of {limit:g} USD")

    subscribers = top.get("subscribers")
    if not isinstance(subscribers, list) or not subscribers:
        raise doc.error(("subscribers",), "<missing>" if subscribers is None else subscribers,
                        "a list of 1 to 10 e-mail addresses")
    for index, address in enumerate(subscribers):
        if not isinstance(address, str) or not _EMAIL.match(address):
            raise doc.error(("subscribers", index), address, "an e-mail address")
    if len(subscribers) > MAX_EMAIL_SUBSCRIBERS:
        raise doc.error(("subscribers",), f"<{len(subscribers)} addresses>",
                        f"at most {MAX_EMAIL_SUBSCRIBERS} (AWS Budgets' limit per notification); "
                        "use a mailing list")

    anomaly = require_mapping(doc, top.get("anomaly", {}), ("anomaly",))
    threshold = _amount(doc, anomaly.get("thresholdUsd"), ("anomaly", "thresholdUsd"))
    frequency = _choice(doc, anomaly.get("frequency", "DAILY"), ("anomaly", "frequency"), ANOMALY_FREQUENCIES)

    action_raw: Mapping[str, Any] = require_mapping(doc, top.get("emergencyAction", {}), ("emergencyAction",))
    action = EmergencyAction(
        kind=_choice(doc, action_raw.get("kind"), ("emergencyAction", "kind"), EMERGENCY_KINDS),
        approval=_choice(doc, action_raw.get("approval"), ("emergencyAction", "approval"), APPROVALS),
        threshold_percent=_amount(doc, action_raw.get("thresholdPercent", 100),
                                  ("emergencyAction", "thresholdPercent")),
    )
    owners = {str(owner): _amount(doc, amount, ("owners", owner))
              for owner, amount in require_mapping(doc, top.get("owners", {}), ("owners",)).items()}
    return BudgetPlan(doc.source, environment, limit, currency, team_limits, tuple(subscribers), threshold,
                      frequency, action, owners, _increases(doc, top.get("increases")))


def _increases(doc: YamlDoc, raw: object) -> tuple[BudgetIncrease, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise doc.error(("increases",), raw, "a list of increases {amountUsd, from, until, reason, ticket, approvals}")
    increases = []
    for index, entry in enumerate(raw):
        path: Path_ = ("increases", index)
        increase = require_mapping(doc, entry, path)
        for key in increase:
            if key not in _INCREASE_KEYS:
                raise doc.error((*path, key), key, "one of the keys " + ", ".join(_INCREASE_KEYS))
        for key in ("from", "until", "reason", "ticket"):
            if increase.get(key) is None or not str(increase[key]).strip():
                raise doc.error((*path, key), "<missing>", f"the key {key}")
        start, until = approval_day(increase["from"]), approval_day(increase["until"])
        if start is None:
            raise doc.error((*path, "from"), increase["from"], "a date such as 2026-12-01")
        if until is None or until < start:
            raise doc.error((*path, "until"), until.isoformat() if until else increase["until"],
                            f"a date on or after {start.isoformat()}")
        increases.append(BudgetIncrease(
            _amount(doc, increase.get("amountUsd"), (*path, "amountUsd")), start, until, str(increase["reason"]),
            str(increase["ticket"]), parse_approvals(doc, increase.get("approvals"), (*path, "approvals")),
            doc.line(path)))
    return tuple(increases)


def find_budget_plan(environment: str, budgets_dir: str | Path, rules: Rules | None = None) -> BudgetPlan | None:
    """The plan of ``environment`` if ``<budgets_dir>/<environment>.yaml`` exists, else None."""
    path = Path(budgets_dir) / f"{environment}.yaml"
    if probe(path, path, None, "<unusable path>", f"the budget file of {environment}") is None:
        return None
    return load_budget_plan(environment, budgets_dir, rules)


def load_budget_plan(environment: str, budgets_dir: str | Path = "budgets", rules: Rules | None = None) -> BudgetPlan:
    """The plan in ``<budgets_dir>/<environment>.yaml``; ConfigError names file, key and line."""
    rules = rules or load_rules()
    if environment not in rules.environments:
        raise ConfigError(Path(budgets_dir) / f"{environment}.yaml", None, environment,
                          "an environment of the rules: " + ", ".join(rules.environments))
    return parse_budget_plan(load_yaml(Path(budgets_dir) / f"{environment}.yaml"), environment, rules)
