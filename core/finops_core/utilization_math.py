"""The arithmetic of right-sizing, standard library only: it also ships, as one file, inside the
daily cost report's Lambda package (finops_components.DailyCostReport), so the report and
`finops utilization` judge a resource the same way."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def average_and_p95(hourly: Sequence[float]) -> tuple[float, float] | None:
    """Average and p95 (linear between the nearest ranks) of hourly averages; None without data."""
    values = sorted(float(v) for v in hourly if math.isfinite(v))
    if not values:
        return None
    rank = 0.95 * (len(values) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    p95 = values[low] + (values[high] - values[low]) * (rank - low)
    return round(sum(values) / len(values), 2), round(p95, 2)


def projected_percent(p95: float, vcpus_now: float, vcpus_then: float) -> float:
    """The same work on fewer vCPUs: the busy share grows by their ratio."""
    return p95 * vcpus_now / vcpus_then


def smaller_types(p95: float, vcpus_now: float, candidates: Iterable[tuple[str, float]],
                  target: float) -> list[str]:
    """Candidates (name, vCPUs) with fewer vCPUs that keep the p95 at or under ``target``,
    smallest first; the caller keeps the first one it can price for less."""
    fitting = [(vcpus, name) for name, vcpus in candidates
               if vcpus < vcpus_now and projected_percent(p95, vcpus_now, vcpus) <= target]
    return [name for _, name in sorted(fitting)]
