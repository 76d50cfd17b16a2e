"""Spend snapshots for the spending-limit policies: built from Cost Explorer (or saved responses)
by ``finops actuals``, and handed to the pack by ``finops preview --spend`` with this stack's cost
per team before the change."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from finops_core.spend import EnvironmentSpend, Spend, SpendSnapshot, load_snapshot

from .baseline import read_baseline
from .model import ResourceRow
from .report.actuals import Actuals

SPENDING_POLICIES = ("finops-spending-limits", "finops-spending-limits-warning")


def snapshot_of(actuals: Actuals, taken_at: dt.datetime) -> SpendSnapshot:
    """The snapshot of month-to-date spend (and Cost Explorer's forecast) by environment and team."""
    start, _, end = actuals.period.partition(" to ")
    first = dt.date.fromisoformat(start)
    last = dt.date.fromisoformat(end) if end else taken_at.date()
    days_in_month = calendar.monthrange(first.year, first.month)[1]
    environments = {}
    for environment in actuals.environments:
        teams = {team: Spend(round(amount, 2)) for team, amount in actuals.by_team.get(environment, {}).items()}
        owners = {owner: Spend(round(amount, 2)) for owner, amount in actuals.by_owner.get(environment, {}).items()}
        total = actuals.environment_total(environment) or 0.0
        environments[environment] = EnvironmentSpend(Spend(total, actuals.forecast.get(environment)), teams, owners)
    return SpendSnapshot(actuals.source, taken_at, first.strftime("%Y-%m"),
                         max(1, min(days_in_month, (last - first).days)), days_in_month, environments)


def read_spend(path: Path) -> SpendSnapshot:
    """``--spend FILE``: read and checked before anything runs (bad input is one line)."""
    return load_snapshot(path)


def _cost_by(rows: Iterable[ResourceRow], key: Callable[[ResourceRow], str]) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        if row.monthly_usd:
            totals[key(row) or "(untagged)"] += row.monthly_usd
    return {name: round(amount, 2) for name, amount in totals.items()}


def cost_by_team(rows: Iterable[ResourceRow]) -> dict[str, float]:
    return _cost_by(rows, lambda row: row.team)


def cost_by_owner(rows: Iterable[ResourceRow]) -> dict[str, float]:
    return _cost_by(rows, lambda row: row.tags.get("Owner", ""))


def baseline_by(path: Path, key: str) -> dict[str, float]:
    """This stack's monthly cost per ``key`` ("team" or "owner") in an earlier ``finops preview
    --json`` (the baseline)."""
    totals: dict[str, float] = defaultdict(float)
    for entry in read_baseline(path).values():
        totals[str(entry.get(key) or "(untagged)")] += float(entry.get("monthlyUsd") or 0.0)
    return {name: round(amount, 2) for name, amount in totals.items()}


def spending_config(snapshot: SpendSnapshot, before: Mapping[str, float] | None,
                    owners_before: Mapping[str, float] | None = None) -> dict[str, dict[str, Any]]:
    """Policy config for the spending-limit policies, as ``--policy-pack-config`` would carry it."""
    config: dict[str, Any] = {"snapshot": snapshot.as_json()}
    if before is not None:
        config["baseline"] = dict(before)
    if owners_before is not None:
        config["ownerBaseline"] = dict(owners_before)
    return {name: config for name in SPENDING_POLICIES}
