"""The price catalogue (``prices.json``): list prices per region, each table with its source and date.

Layout (schema 2)::

    {"schema": 2, "currency": "USD", "hoursPerMonth": 730,
     "regions": {"us-east-1": {"published": "...", "source": "...",
                               "tables": {"ec2": {"unit": "USD per instance-hour", "source": "...",
                                                  "published": "2026-01-19", "prices": {"m5.large": 0.096}}}}},
     "calendars": {"eksStandardSupportEnds": {"source": "...", "published": "...", "standardSupportEnds": {...},
                                              "extendedSupportEnds": {...}}}}

A table may name other sources for some of its keys (``keySources: {key: {source, published}}``),
as ``scripts/update_prices.py`` writes when an offer file updates part of a table.

A price missing for a region falls back to us-east-1, and every lookup says which region's figure
it used, from which source and of which date, so a report can say so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from .data import DATA_DIR

PRICES_FILE = DATA_DIR / "prices.json"
FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    usd: float
    region: str        # the region whose figure this is
    published: str     # the date of that figure (its table's date)
    source: str = ""   # where the figure comes from
    unit: str = ""     # e.g. "USD per instance-hour"


@dataclass(frozen=True)
class Table:
    unit: str
    source: str
    published: str
    prices: Mapping[str, float]
    key_sources: Mapping[str, tuple[str, str]]   # key -> (source, published) where it differs

    def provenance(self, key: str) -> tuple[str, str]:
        return self.key_sources.get(key, (self.source, self.published))


def _tables(figures: Mapping[str, Any]) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for name, raw in figures.get("tables", {}).items():
        prices = {str(k): float(v) for k, v in raw.get("prices", {}).items()
                  if isinstance(v, (int, float)) and not isinstance(v, bool)}
        overrides = {str(k): (str(v.get("source", "")), str(v.get("published", "unknown")))
                     for k, v in raw.get("keySources", {}).items()}
        tables[str(name)] = Table(str(raw.get("unit", "")), str(raw.get("source", figures.get("source", ""))),
                                  str(raw.get("published", figures.get("published", "unknown"))), prices, overrides)
    return tables


class PriceCatalogue:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.hours_per_month = float(data.get("hoursPerMonth", 730))
        self.regions: dict[str, dict[str, Any]] = data["regions"]
        self.tables: dict[str, dict[str, Table]] = {
            region: _tables(figures) for region, figures in self.regions.items()}
        self.calendars: Mapping[str, Any] = data.get("calendars", {})

    def price(self, table: str, key: str, region: str) -> Price | None:
        """The price of ``key`` in ``table`` for ``region``, else us-east-1's; None when neither has one."""
        for candidate in (region, FALLBACK_REGION):
            found = self.tables.get(candidate, {}).get(table)
            if found is not None and key in found.prices:
                source, published = found.provenance(key)
                return Price(found.prices[key], candidate, published, source, found.unit)
        return None

    def table(self, table: str, region: str) -> Table | None:
        return self.tables.get(region, {}).get(table)

    def published(self, region: str) -> dt.date:
        """The date of a region's catalogue (us-east-1's where the region has none)."""
        figures = self.regions.get(region) or self.regions.get(FALLBACK_REGION, {})
        try:
            return dt.date.fromisoformat(str(figures.get("published")))
        except ValueError:
            return dt.date.today()

    def dates(self) -> dict[str, str]:
        return {region: str(figures.get("published", "unknown")) for region, figures in self.regions.items()}

    def eks_extended_support(self, version: str, on: dt.date) -> bool | None:
        """Whether an EKS Kubernetes ``version`` ("1.29", "1.29.3") is past its standard support on the
        day ``on``; None for a version the calendar does not list.

        ``on`` is the day of the estimate, never a region's catalogue date: the support phase is a
        fact of the calendar, the same in every region, and a table dated months ago must not
        price a version at standard support after AWS started billing it as extended."""
        ends = self.eks_support_ends(version)
        if ends is None:
            return None
        # Billing for extended support starts at the beginning of the end-of-standard-support day (UTC).
        return ends[0] <= on

    def eks_support_ends(self, version: str) -> tuple[dt.date, dt.date | None] | None:
        """(end of standard support, end of extended support or None) of an EKS Kubernetes minor
        version, from the calendar; None for a version it does not list."""
        calendar = self.calendars.get("eksStandardSupportEnds", {})
        minor = ".".join(version.split(".")[:2])
        standard = calendar.get("standardSupportEnds", {}).get(minor)
        if not isinstance(standard, str):
            return None
        extended = calendar.get("extendedSupportEnds", {}).get(minor)
        return (dt.date.fromisoformat(standard),
                dt.date.fromisoformat(extended) if isinstance(extended, str) else None)


@cache
def load_prices(path: str | None = None) -> PriceCatalogue:
    with open(path or PRICES_FILE, encoding="utf-8") as handle:
        return PriceCatalogue(json.load(handle))
