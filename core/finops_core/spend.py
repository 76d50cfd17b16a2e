"""A spend snapshot: month-to-date actual spend and the month-end projection, by environment and
team, taken from Cost Explorer by ``finops actuals`` and read by the spending-limit policies.

``SPEND.json``::

    {
      "kind": "finops-spend-snapshot", "version": 1,
      "takenAt": "2026-11-20T06:00:00Z",          # when it was fetched; older than maxAgeDays: not trusted
      "month": "2026-11", "daysElapsed": 19, "daysInMonth": 30,
      "source": "Cost Explorer",
      "environments": {
        "dev": {
          "monthToDateUsd": 320.0,
          "forecastUsd": 510.0,                   # optional: Cost Explorer's month-end forecast
          "teams": {"frontend": {"monthToDateUsd": 95.0}, "backend": {"monthToDateUsd": 50.0},
                    "(untagged)": {"monthToDateUsd": 12.0}},  # spend without a Team tag
          "owners": {"jdoe": {"monthToDateUsd": 30.0, "forecastUsd": 44.0}}   # optional: by Owner tag
        }
      }
    }

A team's (or an owner's) projection is its ``forecastUsd`` when the snapshot has one, else its run-rate
(month-to-date scaled to the whole month), never less than what it has already spent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .reading import ConfigError, JsonDoc, Path_, YamlDoc, load_json, require_mapping

KIND = "finops-spend-snapshot"
VERSION = 1
UNTAGGED = "(untagged)"


@dataclass(frozen=True)
class Spend:
    month_to_date: float
    forecast: float | None = None     # month-end, when Cost Explorer gave one

    def projection(self, days_elapsed: int | None, days_in_month: int | None) -> float:
        """Month-end spend: the forecast, else the run-rate; at least what is already spent."""
        if self.forecast is not None:
            return max(self.forecast, self.month_to_date)
        if days_elapsed and days_in_month and days_elapsed < days_in_month:
            return self.month_to_date * days_in_month / days_elapsed
        return self.month_to_date


@dataclass(frozen=True)
class EnvironmentSpend:
    total: Spend
    teams: Mapping[str, Spend] = field(default_factory=dict)
    owners: Mapping[str, Spend] = field(default_factory=dict)   # by Owner tag value (finops actuals)


@dataclass(frozen=True)
class SpendSnapshot:
    source: str
    taken_at: dt.datetime
    month: str
    days_elapsed: int | None
    days_in_month: int | None
    environments: Mapping[str, EnvironmentSpend]

    def age_days(self, today: dt.date) -> int:
        return (today - self.taken_at.date()).days

    def projection(self, spend: Spend) -> float:
        return round(spend.projection(self.days_elapsed, self.days_in_month), 2)

    def as_json(self) -> dict[str, Any]:
        def spend(s: Spend) -> dict[str, float]:
            return {"monthToDateUsd": s.month_to_date, **({"forecastUsd": s.forecast} if s.forecast is not None
                                                          else {})}

        return {
            "kind": KIND, "version": VERSION, "takenAt": self.taken_at.isoformat().replace("+00:00", "Z"),
            "month": self.month, "daysElapsed": self.days_elapsed, "daysInMonth": self.days_in_month,
            "source": self.source,
            "environments": {name: {**spend(env.total), "teams": {t: spend(s) for t, s in sorted(env.teams.items())},
                                    **({"owners": {o: spend(s) for o, s in sorted(env.owners.items())}}
                                       if env.owners else {})}
                             for name, env in sorted(self.environments.items())},
        }


def _spend(doc: YamlDoc, raw: object, path: Path_) -> Spend:
    entry = require_mapping(doc, raw, path)
    unknown = set(entry) - {"monthToDateUsd", "forecastUsd", "teams", "owners"}
    if unknown:
        bad = sorted(unknown)[0]
        raise doc.error((*path, bad), bad, "monthToDateUsd, forecastUsd, teams or owners")
    amount = doc.number((*path, "monthToDateUsd"), entry.get("monthToDateUsd"), "an amount in USD >= 0")
    if amount < 0:
        raise doc.error((*path, "monthToDateUsd"), amount, "an amount in USD >= 0")
    forecast = None
    if entry.get("forecastUsd") is not None:
        forecast = doc.number((*path, "forecastUsd"), entry["forecastUsd"], "an amount in USD >= 0")
        if forecast < 0:
            raise doc.error((*path, "forecastUsd"), forecast, "an amount in USD >= 0")
    return Spend(amount, forecast)


def _day_count(doc: YamlDoc, top: Mapping[str, Any], key: str) -> int | None:
    value = top.get(key)
    if value is None:
        return None
    number = doc.number((key,), value, "a whole number of days from 1 to 31")
    if not number.is_integer() or not 1 <= number <= 31:
        raise doc.error((key,), value, "a whole number of days from 1 to 31")
    return int(number)


def parse_snapshot(doc: YamlDoc) -> SpendSnapshot:
    top = require_mapping(doc, doc.data, ())
    if top.get("kind") != KIND:
        raise doc.error(("kind",), top.get("kind", "<missing>"), f"{KIND} (a file written by finops actuals)")
    taken = top.get("takenAt")
    try:
        taken_at = dt.datetime.fromisoformat(str(taken).replace("Z", "+00:00"))
    except ValueError:
        raise doc.error(("takenAt",), taken, "a date and time such as 2026-11-20T06:00:00Z") from None
    if taken_at.tzinfo is None:
        taken_at = taken_at.replace(tzinfo=dt.timezone.utc)
    environments = {}
    for name, raw in require_mapping(doc, top.get("environments", {}), ("environments",)).items():
        path: Path_ = ("environments", name)
        entry = require_mapping(doc, raw, path)
        teams = {str(team): _spend(doc, spend, (*path, "teams", team))
                 for team, spend in require_mapping(doc, entry.get("teams", {}), (*path, "teams")).items()}
        owners = {str(owner): _spend(doc, spend, (*path, "owners", owner))
                  for owner, spend in require_mapping(doc, entry.get("owners", {}), (*path, "owners")).items()}
        environments[str(name)] = EnvironmentSpend(_spend(doc, entry, path), teams, owners)
    return SpendSnapshot(str(top.get("source") or doc.source), taken_at, str(top.get("month", "")),
                         _day_count(doc, top, "daysElapsed"), _day_count(doc, top, "daysInMonth"), environments)


def load_snapshot(path: str | Path) -> SpendSnapshot:
    return parse_snapshot(load_json(path))


def snapshot_from_config(value: object, source: str) -> SpendSnapshot:
    """A snapshot given inline in policy config (as ``finops preview --spend`` passes it)."""
    if not isinstance(value, Mapping):
        raise ConfigError(source, "snapshot", value, "a spend snapshot object (finops actuals -o SPEND.json)")
    return parse_snapshot(JsonDoc(source, value))
