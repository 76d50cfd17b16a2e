"""Stack policies: a change is judged against what each team (and the environment) is actually
spending this month, not only against the stack's own estimate.

With a spend snapshot (``finops actuals -o SPEND.json``) in the policy config, a team's
projection is its month-end projection from the snapshot plus this change's monthly cost
difference for that team's resources; past the team's budget (``budgets/<env>.yaml`` teams) the
change is refused, past the warn share it is flagged. The same for each owner (the Owner tag)
against their limit (``owners:``, ``default`` for anyone not named), and for the environment as a
whole, where spend without a Team tag counts too, against today's budget (raised by approved
emergency increases). A change that lowers cost always passes.

The change is this stack's estimate now minus before: ``baseline`` (per team) and
``ownerBaseline`` (per owner) in the config give the before figures (``finops preview`` fills
them from --baseline or the engine's plan); without one the whole stack counts as new, and the
message says so.

Without a snapshot these policies judge nothing (``finops-cost-vs-budget`` still compares the
estimate with the budget); a snapshot older than ``maxAgeDays`` is not trusted and says so.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finops_core.approval_tiers import who_approves
from finops_core.budget_plans import BudgetPlan, find_budget_plan
from finops_core.effective_tags import allocation_tags, stack_allocation
from finops_core.rules import ConfigError, Rules
from finops_core.spend import UNTAGGED, SpendSnapshot, load_snapshot, snapshot_from_config
from finops_core.waivers import today
from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationArgs

from .cost_vs_budget import budgets_dir, todays_budget
from .messages import Priced, violation
from .policy import Finding
from .policy_specs import StackPolicySpec
from .stack_costs import PRICING_SCHEMA, price_stack
from .subject import stack_environment
from .waiver_file import current_waivers

FAIL, WARN = "finops-spending-limits", "finops-spending-limits-warning"
SNAPSHOT_VARIABLE = "FINOPS_SPEND_SNAPSHOT"


@dataclass(frozen=True)
class _Change:
    after: dict[str, float]          # team (or owner) -> this stack's monthly estimate after the change
    before: dict[str, float] | None  # the same before, None when no baseline was given

    def delta(self, team: str | None = None) -> float:
        def total(by_team: Mapping[str, float]) -> float:
            return sum(by_team.values()) if team is None else by_team.get(team, 0.0)

        return round(total(self.after) - (total(self.before) if self.before is not None else 0.0), 2)

    @property
    def basis(self) -> str:
        return "against the baseline" if self.before is not None else "no baseline: the whole stack counted as new"

    @property
    def names(self) -> list[str]:
        return sorted((set(self.after) | set(self.before or {})) - {UNTAGGED})


def _snapshot(config: Mapping[str, Any]) -> SpendSnapshot | None:
    if config.get("snapshot") is not None:
        return snapshot_from_config(config["snapshot"], f"policy pack config for {FAIL}")
    path = config.get("snapshotFile") or os.environ.get(SNAPSHOT_VARIABLE)
    return load_snapshot(Path(str(path))) if path else None


def _changes(args: StackValidationArgs, rules: Rules, config: Mapping[str, Any]) -> tuple[_Change, _Change]:
    """This change by team and by owner."""
    teams: dict[str, float] = defaultdict(float)
    owners: dict[str, float] = defaultdict(float)
    stack_team = stack_allocation(getattr(args, "stack_tags", None)).get("Team")
    for priced in price_stack(args):
        if priced.estimate is None or not priced.estimate.monthly_usd:
            continue
        tags = allocation_tags(priced.resource.resource_type, priced.props, priced.provider, rules)
        teams[tags.get("Team") or stack_team or UNTAGGED] += priced.estimate.monthly_usd
        owners[tags.get("Owner") or UNTAGGED] += priced.estimate.monthly_usd

    def before(key: str) -> dict[str, float] | None:
        baseline = config.get(key)
        return {str(k): float(v) for k, v in baseline.items()} if isinstance(baseline, Mapping) else None

    return _Change(dict(teams), before("baseline")), _Change(dict(owners), before("ownerBaseline"))


def _approvers(amount: float) -> str:
    """Who may approve a waiver letting ``amount`` a month through: the approval tier of the amount,
    else approvers.budget."""
    current = current_waivers()
    tier = who_approves(current.tiers, amount)
    if tier is not None:
        return f"ask {tier} (approvalTiers in waivers.yaml, for ${amount:,.2f}/month) to approve a waiver of {FAIL}"
    approvers = current.budget_approvers
    return (f"ask {', '.join(approvers)} (approvers.budget in waivers.yaml) to approve a waiver of {FAIL}"
            if approvers else f"ask the budget owners to approve a waiver of {FAIL}")


@dataclass(frozen=True)
class _Limit:
    who: str          # "team frontend in dev", "owner jdoe in dev"
    limit: float
    noun: str         # "budget" or "limit"
    described: str    # the limit in words, with any increase that raised it


def _judge(limit: _Limit, spent: float, projected: float, delta: float, basis: str, warn: float,
           name: str, snapshot: SpendSnapshot) -> Iterator[Finding]:
    if delta <= 0:
        return  # a change that lowers cost always passes
    total = round(projected + delta, 2)
    share = 100 * total / limit.limit
    found = (f"{limit.who} has spent ${spent:,.2f} of its {limit.described} {limit.noun} this month (projected "
             f"${projected:,.2f} by month end, {snapshot.source} as of {snapshot.taken_at.date().isoformat()}); this "
             f"change adds ${delta:,.2f}/month ({basis}): ${total:,.2f}, {share:.0f} % of the {limit.noun}")
    if name == FAIL and total > limit.limit:
        over = round(min(delta, total - limit.limit), 2)
        yield Priced(violation("stack", "spending limit", found, f"at most the {limit.noun} of ${limit.limit:,.2f}",
                               f"make the change smaller or cheaper, or {_approvers(over)}."), over)
    elif name == WARN and share > warn and total <= limit.limit:
        yield violation("stack", "spending limit", found, f"up to {warn:g} % of the {limit.noun} without a warning",
                        f"review the change against the spend so far before the {limit.noun} is reached.")


def _check(args: StackValidationArgs, rules: Rules, name: str) -> Iterator[Finding]:
    config: Mapping[str, Any] = args.get_config() or {}
    env = stack_environment(args, rules)
    if env is None:
        return
    try:
        snapshot = _snapshot(config)
        if snapshot is None:
            return
        age = snapshot.age_days(today())
        max_age = float(config.get("maxAgeDays", 2))
        if age > max_age:
            if name == WARN:
                yield violation("stack", "spend snapshot", f"a snapshot taken {snapshot.taken_at.date()} "
                                f"({age} days old)", f"at most {max_age:g} days old",
                                "fetch a new one (finops actuals -o SPEND.json); until then only the estimate "
                                "is judged against the budget (finops-cost-vs-budget).")
            return
        budgets = budgets_dir(config)
        plan: BudgetPlan | None = find_budget_plan(env.name, budgets, rules)
        spend = snapshot.environments.get(env.name)
        if plan is None or spend is None:
            # A snapshot was given, so the limits were asked for: say why they are not judged.
            if name == WARN:
                missing = (f"no budget file {budgets / (env.name + '.yaml')}" if plan is None
                           else f"no spend for {env.name} in the snapshot ({snapshot.source})")
                yield violation("stack", "spending limits", missing, "a budget file and the environment's spend",
                                "give budgetsDir (finops preview: --budgets-dir) or a snapshot that covers "
                                f"{env.name}; until then only the estimate is judged against a budget.")
            return
        change, by_owner = _changes(args, rules, config)  # a bad price book is a ConfigError too
        budget = todays_budget(plan)
    except ConfigError as exc:
        if name == FAIL:
            yield f"cannot judge spending limits: {exc}"
        return
    warn = float(config.get("warnPercent", 90))
    for team, limit in sorted(plan.team_limits.items()):
        team_spend = spend.teams.get(team)
        spent = team_spend.month_to_date if team_spend else 0.0
        projected = snapshot.projection(team_spend) if team_spend else 0.0
        yield from _judge(_Limit(f"team {team} in {env.name}", limit, "budget", f"${limit:,.2f}"), spent, projected,
                          change.delta(team), change.basis, warn, name, snapshot)
    for owner in by_owner.names:
        owner_limit = plan.owner_limit(owner)
        if owner_limit is None:
            continue
        owner_spend = spend.owners.get(owner)
        yield from _judge(_Limit(f"owner {owner} in {env.name}", owner_limit, "limit", f"${owner_limit:,.2f}"),
                          owner_spend.month_to_date if owner_spend else 0.0,
                          snapshot.projection(owner_spend) if owner_spend else 0.0, by_owner.delta(owner),
                          by_owner.basis, warn, name, snapshot)
    yield from _judge(_Limit(f"environment {env.name} (untagged spend included)", budget.limit, "budget",
                             budget.describe()),
                      spend.total.month_to_date, snapshot.projection(spend.total), change.delta(), change.basis,
                      warn, name, snapshot)


def _spec(name: str, description: str, level: EnforcementLevel) -> StackPolicySpec:
    return StackPolicySpec(
        name=name, description=description, level=level, tags=("finops", "cost", "budget"),
        remediation_steps="Make the change cheaper, wait for the next month, or have the team's budget raised in "
                          "budgets/<environment>.yaml; refresh a stale spend snapshot with finops actuals.",
        check=lambda args, rules: _check(args, rules, name),
        config_schema=PolicyConfigSchema(properties={
            "snapshot": {"type": "object", "description": "A spend snapshot (finops actuals -o SPEND.json), inline."},
            "snapshotFile": {"type": "string", "description": "The path of a spend snapshot (default "
                                                               f"${SNAPSHOT_VARIABLE})."},
            "baseline": {"type": "object", "additionalProperties": {"type": "number"},
                         "description": "This stack's monthly estimate per team before the change."},
            "ownerBaseline": {"type": "object", "additionalProperties": {"type": "number"},
                              "description": "This stack's monthly estimate per owner (Owner tag) before the change."},
            "budgetsDir": {"type": "string", "description": "Directory of <environment>.yaml budgets."},
            "warnPercent": {"type": "number", "minimum": 0, "description": "Warn above this share (default 90)."},
            "maxAgeDays": {"type": "number", "minimum": 0, "description": "Trust a snapshot this many days "
                                                                          "(default 2)."},
            **PRICING_SCHEMA,
        }))


SPECS = [
    _spec(FAIL, "A change does not push a team, an owner or its environment past its monthly budget or limit, given "
          "what they have already spent (spend snapshot).", EnforcementLevel.MANDATORY),
    _spec(WARN, "Warns when a change brings a team, an owner or its environment near its monthly budget or limit, "
          "and when the spend snapshot is stale.", EnforcementLevel.ADVISORY),
]
