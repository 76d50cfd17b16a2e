"""Actual spend from AWS Cost Explorer, by environment and team, service and owner.

``--actuals ce`` calls GetCostAndUsage with boto3, *without* a filter, grouped by the
Environment tag and the Team tag, then by the Environment tag and the Service tag, then by the
Environment tag and the Owner tag (the owner limits of the budgets): spend that
lacks a tag is fetched too (Cost Explorer's ``Team$`` key) and stays visible as ``(untagged)``.
For the current month, GetCostForecast adds the forecast to month end, per environment.

``--actuals FILE`` reads saved responses, in either shape:

- ``{"<environment>": <GetCostAndUsage response grouped by Team and Service>, ...}``, optionally
  ``{"<environment>": {"GetCostAndUsage": <response>, "GetCostForecast": <response>}}``;
- what ``--actuals ce`` asks for: ``{"GetCostAndUsage": [<response>, ...],
  "GetCostForecast": {"<environment>": <response>}}``, groups keyed ``Environment$dev``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError, load_json

from ..foreign_errors import summarise_error

UNTAGGED = "(untagged)"
METRIC = "UnblendedCost"
EXPECTED_FILE = ('{"<environment>": <GetCostAndUsage response>, ...} or '
                 '{"GetCostAndUsage": [<response>, ...], "GetCostForecast": {"<environment>": <response>}}')


@dataclass
class Actuals:
    period: str
    source: str
    # environment -> team -> USD, and environment -> service -> USD; UNTAGGED where a tag is missing.
    by_team: dict[str, dict[str, float]]
    by_service: dict[str, dict[str, float]]
    # environment -> month-end forecast in USD (actual so far + Cost Explorer's forecast for the rest).
    forecast: dict[str, float] = field(default_factory=dict)
    # environment -> owner (Owner tag) -> USD; empty where the responses were not grouped by Owner.
    by_owner: dict[str, dict[str, float]] = field(default_factory=dict)
    # True when the responses cover every environment (an unfiltered query): one missing spent $0.
    all_environments: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def environments(self) -> list[str]:
        return sorted(set(self.by_team) | set(self.by_service))

    @property
    def empty(self) -> bool:
        return not any(self.by_team.values()) and not any(self.by_service.values())

    def environment_total(self, environment: str) -> float | None:
        spend = self.by_team.get(environment) or self.by_service.get(environment)
        if spend is None:
            return 0.0 if self.all_environments and not self.empty else None
        return round(sum(spend.values()), 2)

    def team_total(self, environment: str, team: str) -> float | None:
        if environment not in self.by_team:
            return 0.0 if self.all_environments and not self.empty else None
        return round(self.by_team[environment].get(team, 0.0), 2)

    def service_total(self, environment: str, service: str) -> float | None:
        if environment not in self.by_service:
            return None
        return round(self.by_service[environment].get(service, 0.0), 2)

    @property
    def total(self) -> float:
        return round(sum(self.environment_total(e) or 0.0 for e in self.environments), 2)

    def tagged_total(self) -> float:
        """Actual spend carrying both the Environment and the Team tag."""
        return round(sum(v for e, teams in self.by_team.items() if e != UNTAGGED
                         for t, v in teams.items() if t != UNTAGGED), 2)


def last_full_month(today: dt.date) -> tuple[str, str]:
    first = today.replace(day=1)
    start = (first - dt.timedelta(days=1)).replace(day=1)
    return start.isoformat(), first.isoformat()


def _tag(key: str) -> tuple[str, str]:
    """Cost Explorer keys a tag group as ``Team$backend``; ``Team$`` is spend without the tag."""
    name, _, value = key.partition("$")
    return name, value or UNTAGGED


def _amount(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: found {value!r}; expected an amount such as \"12.34\"") from None


class _Collector:
    def __init__(self) -> None:
        self.by_team: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.by_service: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.by_owner: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.starts: list[str] = []
        self.ends: list[str] = []

    def add(self, response: Mapping[str, Any], environment: str | None) -> None:
        """Add one GetCostAndUsage response; ``environment`` where the response was for one only."""
        results = response.get("ResultsByTime")
        if not isinstance(results, list):
            raise ValueError("GetCostAndUsage response without a ResultsByTime list")
        for period in results:
            when = period.get("TimePeriod", {})
            self.starts.append(str(when.get("Start", "")))
            self.ends.append(str(when.get("End", "")))
            groups = period.get("Groups") or []
            for group in groups:
                tags = dict(_tag(k) for k in group.get("Keys", []))
                amount = _amount(group.get("Metrics", {}).get(METRIC, {}).get("Amount"), f"{METRIC} of {tags}")
                env = tags.get("Environment", environment or UNTAGGED)
                if "Owner" in tags:  # the third grouping: the same spend again, by owner
                    self.by_owner[env][tags["Owner"]] += amount
                    continue
                if "Team" in tags or "Service" not in tags:
                    self.by_team[env][tags.get("Team", UNTAGGED)] += amount
                if "Service" in tags or "Team" not in tags:
                    self.by_service[env][tags.get("Service", UNTAGGED)] += amount
            total = period.get("Total", {}).get(METRIC)
            if not groups and total:
                amount = _amount(total.get("Amount"), f"Total {METRIC}")
                self.by_team[environment or UNTAGGED][UNTAGGED] += amount
                self.by_service[environment or UNTAGGED][UNTAGGED] += amount

    def actuals(self, source: str, forecast_rest: Mapping[str, float], all_environments: bool) -> Actuals:
        starts = sorted(s for s in self.starts if s)
        ends = sorted(e for e in self.ends if e)
        period = f"{starts[0]} to {ends[-1]}" if starts and ends else "unknown period"
        by_team = {e: {k: round(v, 2) for k, v in sorted(t.items())} for e, t in sorted(self.by_team.items())}
        by_service = {e: {k: round(v, 2) for k, v in sorted(s.items())} for e, s in sorted(self.by_service.items())}
        result = Actuals(period, source, by_team, by_service, all_environments=all_environments,
                         by_owner={e: {k: round(v, 2) for k, v in sorted(o.items())}
                                   for e, o in sorted(self.by_owner.items())})
        result.forecast = {env: round((result.environment_total(env) or 0.0) + rest, 2)
                           for env, rest in forecast_rest.items()}
        return result


def _forecast_amount(response: Mapping[str, Any]) -> float:
    return _amount(response.get("Total", {}).get("Amount"), "GetCostForecast Total")


def _pages(call: Any, **request: Any) -> list[Mapping[str, Any]]:
    pages = []
    while True:
        page = call(**request)
        pages.append(page)
        token = page.get("NextPageToken")
        if not token:
            return pages
        request["NextPageToken"] = token


def from_cost_explorer(environments: list[str], start: str, end: str, today: dt.date, client: Any = None) -> Actuals:
    """Spend of every environment from start to end (exclusive); a forecast when today is in it."""
    if client is None:
        try:
            import boto3
        except ImportError:
            raise ConfigError("--actuals ce", None, "<boto3 not installed>",
                              "pip install 'finops-guardrails[actuals]'") from None
        client = boto3.client("ce")
    collector = _Collector()
    # Cost Explorer has no data for today yet; for the current month ask up to today.
    actual_end = min(end, today.isoformat())
    if actual_end > start:
        for second in ("Team", "Service", "Owner"):
            for page in _pages(client.get_cost_and_usage, TimePeriod={"Start": start, "End": actual_end},
                               Granularity="MONTHLY", Metrics=[METRIC],
                               GroupBy=[{"Type": "TAG", "Key": "Environment"}, {"Type": "TAG", "Key": second}]):
                collector.add(page, None)
    rest: dict[str, float] = {}
    notes = []
    if start <= today.isoformat() < end:
        for environment in environments:
            try:
                response = client.get_cost_forecast(
                    TimePeriod={"Start": today.isoformat(), "End": end}, Metric="UNBLENDED_COST",
                    Granularity="MONTHLY",
                    Filter={"Tags": {"Key": "Environment", "Values": [environment], "MatchOptions": ["EQUALS"]}})
                rest[environment] = _forecast_amount(response)
            except Exception as exc:  # e.g. DataUnavailableException: too little history to forecast
                notes.append(f"no month-end forecast for {environment}: {summarise_error(exc)}")
    result = collector.actuals("Cost Explorer", rest, all_environments=True)
    result.period = f"{start} to {actual_end}"   # what was asked, even where nothing was spent
    result.notes += notes
    return result


def from_file(path: Path) -> Actuals:
    """Saved responses (see the module docstring); every problem names the file and the key."""
    data = load_json(path).data
    if not isinstance(data, dict) or not all(isinstance(v, (dict, list)) for v in data.values()):
        raise ConfigError(path, None, "<not an object of responses>", EXPECTED_FILE)
    collector = _Collector()
    rest: dict[str, float] = {}
    key: str = ""
    try:
        if "GetCostAndUsage" in data:
            responses = data["GetCostAndUsage"]
            for index, response in enumerate(responses if isinstance(responses, list) else [responses]):
                key = f"GetCostAndUsage[{index}]"
                if not isinstance(response, dict):
                    raise ValueError("not a GetCostAndUsage response object")
                collector.add(response, None)
            forecasts = data.get("GetCostForecast", {})
            if not isinstance(forecasts, dict):
                raise ValueError("not an object of environment -> GetCostForecast response")
            for env, response in forecasts.items():
                key = f"GetCostForecast.{env}"
                rest[env] = _forecast_amount(response)
            return collector.actuals(str(path), rest, all_environments=True)
        for env, entry in data.items():
            key = env
            if not isinstance(entry, dict):
                raise ValueError("not a GetCostAndUsage response object")
            if "GetCostAndUsage" in entry:
                key = f"{env}.GetCostAndUsage"
                collector.add(entry["GetCostAndUsage"], env)
                if "GetCostForecast" in entry:
                    key = f"{env}.GetCostForecast"
                    rest[env] = _forecast_amount(entry["GetCostForecast"])
            else:
                collector.add(entry, env)
    except (ValueError, AttributeError, TypeError) as exc:
        found = str(exc) if isinstance(exc, ValueError) else "<a value of the wrong type>"
        raise ConfigError(path, key or None, f"<{found}>", EXPECTED_FILE) from None
    return collector.actuals(str(path), rest, all_environments=False)
