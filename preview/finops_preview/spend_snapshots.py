"""Spend snapshots for the spending-limit policies: built from Cost Explorer (or saved responses)
by ``finops actuals``, and handed to the pack by ``finops preview --spend`` with this stack's cost
per team before the change."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
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
        total = actuals.environment_total(environment) or 0.0
        environments[environment] = EnvironmentSpend(Spend(total, actuals.forecast.get(environment)), teams)
    return SpendSnapshot(actuals.source, taken_at, first.strftime("%Y-%m"),
                         max(1, min(days_in_month, (last - first).days)), days_in_month, environments)


def read_spend(path: Path) -> SpendSnapshot:
    """``--spend FILE``: read and checked before anything runs (bad input is one line)."""
    return load_snapshot(path)


def cost_by_team(rows: Iterable[ResourceRow]) -> dict[str, float]:
    by_team: dict[str, float] = defaultdict(float)
    for row in rows:
        if row.monthly_usd:
            by_team[row.team or "(untagged)"] += row.monthly_usd
    return {team: round(amount, 2) for team, amount in by_team.items()}


def baseline_by_team(path: Path) -> dict[str, float]:
    """This stack's monthly cost per team in an earlier ``finops preview --json`` (the baseline)."""
    by_team: dict[str, float] = defaultdict(float)
    for entry in read_baseline(path).values():
        by_team[str(entry.get("team") or "(untagged)")] += float(entry.get("monthlyUsd") or 0.0)
    return {team: round(amount, 2) for team, amount in by_team.items()}


def spending_config(snapshot: SpendSnapshot, before: Mapping[str, float] | None) -> dict[str, dict[str, Any]]:
    """Policy config for the spending-limit policies, as ``--policy-pack-config`` would carry it."""
    config: dict[str, Any] = {"snapshot": snapshot.as_json()}
    if before is not None:
        config["baseline"] = dict(before)
    return {name: config for name in SPENDING_POLICIES}
