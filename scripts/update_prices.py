#!/usr/bin/env python3
"""Rebuild entries of ``finops_core/data/prices.json`` from AWS's public price list offer files.

Offer files live at ``https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<service>/current/
<region>/index.json`` (AmazonEC2, AmazonRDS, AmazonElastiCache). Download them where the
network allows, then:

    python scripts/update_prices.py --offer AmazonEC2=ec2-eu-west-1.json --region eu-west-1

Only on-demand prices of the configurations the estimates assume are taken: Linux, shared
tenancy, no pre-installed software, capacity "Used"; RDS PostgreSQL single-AZ; ElastiCache
Redis. The region's ``published`` date becomes the offer file's publicationDate.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PRICES = Path(__file__).resolve().parents[1] / "core/finops_core/data/prices.json"


def _on_demand_usd(offer: Mapping[str, Any], sku: str) -> float | None:
    terms = offer.get("terms", {}).get("OnDemand", {}).get(sku, {})
    for term in terms.values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None and float(usd) > 0:
                return float(usd)
    return None


def _products(offer: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for sku, product in offer.get("products", {}).items():
        yield sku, product.get("attributes", {})


def ec2_prices(offer: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    instances: dict[str, float] = {}
    volumes: dict[str, float] = {}
    for sku, a in _products(offer):
        if a.get("instanceType") and a.get("operatingSystem") == "Linux" and a.get("tenancy") == "Shared" \
                and a.get("preInstalledSw") == "NA" and a.get("capacitystatus") == "Used":
            price = _on_demand_usd(offer, sku)
            if price is not None:
                instances[a["instanceType"]] = price
        elif a.get("volumeApiName") and a.get("productFamily", "Storage") == "Storage":
            price = _on_demand_usd(offer, sku)
            if price is not None:
                volumes[a["volumeApiName"]] = price
    return {"ec2": instances, "ebsGbMonth": volumes}


def rds_prices(offer: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    classes: dict[str, float] = {}
    for sku, a in _products(offer):
        if a.get("instanceType", "").startswith("db.") and a.get("databaseEngine") == "PostgreSQL" \
                and a.get("deploymentOption") == "Single-AZ":
            price = _on_demand_usd(offer, sku)
            if price is not None:
                classes[a["instanceType"]] = price
    return {"rds": classes}


def elasticache_prices(offer: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    nodes: dict[str, float] = {}
    for sku, a in _products(offer):
        if a.get("instanceType", "").startswith("cache.") and a.get("cacheEngine") == "Redis":
            price = _on_demand_usd(offer, sku)
            if price is not None:
                nodes[a["instanceType"]] = price
    return {"elasticache": nodes}


PARSERS = {"AmazonEC2": ec2_prices, "AmazonRDS": rds_prices, "AmazonElastiCache": elasticache_prices}


def update(prices: dict[str, Any], service: str, offer: Mapping[str, Any], region: str) -> dict[str, int]:
    tables = PARSERS[service](offer)
    entry = prices["regions"].setdefault(region, {})
    for table, values in tables.items():
        if values:
            entry.setdefault(table, {}).update(values)
    entry["published"] = str(offer.get("publicationDate", entry.get("published", "unknown")))[:10]
    entry["source"] = f"AWS price list offer files (offers/v1.0/aws/<service>/current/{region}), via " \
                      "scripts/update_prices.py"
    return {table: len(values) for table, values in tables.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offer", action="append", required=True, metavar="SERVICE=FILE",
                        help=f"an offer file, SERVICE one of {', '.join(PARSERS)}")
    parser.add_argument("--region", required=True)
    parser.add_argument("--prices", type=Path, default=PRICES)
    args = parser.parse_args()
    prices = json.loads(args.prices.read_text(encoding="utf-8"))
    for spec in args.offer:
        service, _, file = spec.partition("=")
        if service not in PARSERS or not file:
            parser.error(f"--offer {spec!r}: expected SERVICE=FILE with SERVICE one of {', '.join(PARSERS)}")
        offer = json.loads(Path(file).read_text(encoding="utf-8"))
        counts = update(prices, service, offer, args.region)
        print(f"{service} {args.region}: " + ", ".join(f"{n} {t} prices" for t, n in counts.items()))
    args.prices.write_text(json.dumps(prices, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
