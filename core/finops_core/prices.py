"""The price catalogue (``prices.json``): on-demand list prices per region, with their date.

Prices missing for a region fall back to us-east-1, and every lookup says which region's
figure it used, so a report can say so.
"""

from __future__ import annotations

import json
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
    published: str     # the date of that region's figures


class PriceCatalogue:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.hours_per_month = float(data.get("hoursPerMonth", 730))
        self.regions: dict[str, dict[str, Any]] = data["regions"]
        self.usage_priced: dict[str, str] = data.get("usagePriced", {})

    def price(self, table: str, key: str, region: str) -> Price | None:
        """``table`` is ec2, rds, elasticache, ebsGbMonth, rdsStorageGbMonth or hourly."""
        for candidate in (region, FALLBACK_REGION):
            figures = self.regions.get(candidate, {})
            value = figures.get(table, {}).get(key)
            if isinstance(value, (int, float)):
                return Price(float(value), candidate, str(figures.get("published", "unknown")))
        return None

    def dates(self) -> dict[str, str]:
        return {region: str(figures.get("published", "unknown")) for region, figures in self.regions.items()}


@cache
def load_prices(path: str | None = None) -> PriceCatalogue:
    with open(path or PRICES_FILE, encoding="utf-8") as handle:
        return PriceCatalogue(json.load(handle))
