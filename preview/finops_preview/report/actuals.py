"""Actual monthly spend from AWS Cost Explorer, grouped by the Team and Service tags.

``--actuals ce`` calls GetCostAndUsage with boto3 (one call per environment, filtered by the
Environment tag); ``--actuals FILE`` reads saved responses: ``{"<environment>": <response>}``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError

VARIANCE_FLAG_PERCENT = 10.0


@dataclass
class Actuals:
    period: str
    # environment -> (team, service) -> USD
    spend: dict[str, dict[tuple[str, str], float]]

    def environment_total(self, environment: str) -> float | None:
        if environment not in self.spend:
            return None
        return round(sum(self.spend[environment].values()), 2)

    def team_total(self, environment: str, team: str) -> float:
        return round(sum(v for (t, _), v in self.spend.get(environment, {}).items() if t == team), 2)


def last_full_month(today: dt.date | None = None) -> tuple[str, str]:
    today = today or dt.date.today()
    first = today.replace(day=1)
    start = (first - dt.timedelta(days=1)).replace(day=1)
    return start.isoformat(), first.isoformat()


def _tag_value(key: str) -> str:
    # Cost Explorer returns group keys as "Team$backend"; "Team$" means untagged.
    value = key.split("$", 1)[1] if "$" in key else key
    return value or "(untagged)"


def parse_response(response: Mapping[str, Any], metric: str = "UnblendedCost") -> dict[tuple[str, str], float]:
    spend: dict[tuple[str, str], float] = defaultdict(float)
    for period in response.get("ResultsByTime", []):
        for group in period.get("Groups", []):
            keys = group.get("Keys", [])
            team = _tag_value(keys[0]) if keys else "(untagged)"
            service = _tag_value(keys[1]) if len(keys) > 1 else "(untagged)"
            amount = group.get("Metrics", {}).get(metric, {}).get("Amount", "0")
            spend[(team, service)] += float(amount)
        if not period.get("Groups") and period.get("Total", {}).get(metric):
            spend[("(untagged)", "(untagged)")] += float(period["Total"][metric].get("Amount", 0))
    return dict(spend)


def from_cost_explorer(environments: list[str], start: str, end: str, client: Any = None) -> Actuals:
    if client is None:
        try:
            import boto3
        except ImportError:
            raise ConfigError("--actuals ce", None, "<boto3 not installed>",
                              "pip install 'finops-guardrails[actuals]'") from None
        client = boto3.client("ce")
    spend = {}
    for environment in environments:
        response = client.get_cost_and_usage(
            TimePeriod={"Start": start, "End": end}, Granularity="MONTHLY", Metrics=["UnblendedCost"],
            Filter={"Tags": {"Key": "Environment", "Values": [environment], "MatchOptions": ["EQUALS"]}},
            GroupBy=[{"Type": "TAG", "Key": "Team"}, {"Type": "TAG", "Key": "Service"}],
        )
        spend[environment] = parse_response(response)
    return Actuals(f"{start} to {end}", spend)


def from_file(path: Path) -> Actuals:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, None, "<no such file>", "saved Cost Explorer responses") from None
    except ValueError as exc:
        raise ConfigError(path, None, f"<invalid JSON: {exc}>", "saved Cost Explorer responses") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError(path, None, "<not an object of responses>",
                          '{"<environment>": <GetCostAndUsage response>, ...}')
    periods = [p.get("TimePeriod", {}) for r in data.values() for p in r.get("ResultsByTime", [])]
    period = f"{periods[0].get('Start')} to {periods[0].get('End')}" if periods else "unknown period"
    return Actuals(period, {env: parse_response(response) for env, response in data.items()})


def variance(actual: float | None, planned: float | None) -> float | None:
    if actual is None or not planned:
        return None
    return round(100 * (actual - planned) / planned, 1)
