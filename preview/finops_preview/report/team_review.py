"""``--period week``: the weekly team review. The 7 days to yesterday against the 7 days before,
by team and by service, from the billing export's daily sums (all environments together)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .billing_sums import BillingSums
from .spend_trend import change_percent


@dataclass(frozen=True)
class Change:
    current: float
    previous: float

    @property
    def percent(self) -> float | None:
        return change_percent(self.current, self.previous)

    def as_dict(self) -> dict[str, Any]:
        return {"currentUsd": self.current, "previousUsd": self.previous, "changePercent": self.percent}


@dataclass
class WeeklyReview:
    current: tuple[str, str]        # [start, end) days
    previous: tuple[str, str]
    by_team: dict[str, Change]
    by_service: dict[str, Change]

    def as_dict(self) -> dict[str, Any]:
        return {"period": "week",
                "current": {"start": self.current[0], "end": self.current[1]},
                "previous": {"start": self.previous[0], "end": self.previous[1]},
                "byTeam": {k: v.as_dict() for k, v in self.by_team.items()},
                "byService": {k: v.as_dict() for k, v in self.by_service.items()}}


def week_windows(today: dt.date) -> tuple[tuple[str, str], tuple[str, str]]:
    """The 7 days ending yesterday and the 7 before them, as [start, end) ISO days."""
    end = today
    start = today - dt.timedelta(days=7)
    before = start - dt.timedelta(days=7)
    return (start.isoformat(), end.isoformat()), (before.isoformat(), start.isoformat())


def _changes(sums: BillingSums, dimension: str, current: tuple[str, str],
             previous: tuple[str, str]) -> dict[str, Change]:
    now = sums.across_environments(dimension, *current)
    before = sums.across_environments(dimension, *previous)
    return {key: Change(now.get(key, 0.0), before.get(key, 0.0)) for key in sorted(set(now) | set(before))}


def weekly_review(sums: BillingSums, today: dt.date) -> WeeklyReview:
    current, previous = week_windows(today)
    return WeeklyReview(current, previous, _changes(sums, "team", current, previous),
                        _changes(sums, "service", current, previous))
