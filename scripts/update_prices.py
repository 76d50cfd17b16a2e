#!/usr/bin/env python3
"""Rebuild tables of ``finops_core/data/prices.json`` from AWS's public Price List bulk offer files.

Offer files live at ``https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<service>/current/
<region>/index.json``. Download them where the network allows, then:

    python scripts/update_prices.py --region eu-west-1 \\
        --offer AmazonEC2=ec2.json --offer AmazonRDS=rds.json --offer AmazonElastiCache=cache.json \\
        --offer AmazonEKS=eks.json --offer AmazonES=es.json --offer AmazonMSK=msk.json

Each service fills the tables the estimator reads, with on-demand prices of the configurations
it prices: EC2 Linux, shared tenancy, no pre-installed software, capacity "Used", EBS storage,
IOPS and throughput, NAT gateways; RDS by engine, edition, licence and deployment (single-AZ or
Multi-AZ), storage and provisioned IOPS; ElastiCache (Redis OSS/Memcached and Valkey); the EKS
cluster hour (standard and extended support); OpenSearch instances; MSK brokers and storage.
Every table written records its source (the offer file, its version) and date (the offer file's
publicationDate); tables the offer files do not cover are left as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

PRICES = Path(__file__).resolve().parents[1] / "core/finops_core/data/prices.json"
Tables = dict[str, dict[str, float]]

UNITS = {
    "ec2": "USD per instance-hour", "ebsGbMonth": "USD per GB-month",
    "ebsIopsMonth": "USD per provisioned IOPS-month", "ebsThroughputMbpsMonth": "USD per MiB/s-month",
    "hourly": "USD per hour (per resource, per AZ or per ENI as named)", "natGatewayData": "USD per GB",
    "rds": "USD per instance-hour; key engine/class/single|multi (Aurora: engine/class[/io-optimized])",
    "rdsStorageGbMonth": "USD per GB-month (multi = Multi-AZ instance deployment)",
    "rdsIopsMonth": "USD per IOPS-month", "elasticache": "USD per node-hour (Redis OSS / Memcached)",
    "elasticacheValkey": "USD per node-hour", "opensearch": "USD per instance-hour",
    "msk": "USD per broker-hour", "mskStorageGbMonth": "USD per GB-month",
    "opensearchStorage": "USD per GB-month / IOPS-month / MiB/s-month",
}


def _on_demand_usd(offer: Mapping[str, Any], sku: str) -> float | None:
    """The first non-zero on-demand USD price of a SKU (tiered prices start with the first tier)."""
    terms = offer.get("terms", {}).get("OnDemand", {}).get(sku, {})
    for term in terms.values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None and float(usd) > 0:
                return float(usd)
    return None


def _products(offer: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for sku, product in offer.get("products", {}).items():
        yield sku, str(product.get("productFamily", "")), product.get("attributes", {})


def _put(tables: Tables, table: str, key: str, price: float | None) -> None:
    if price is not None:
        tables.setdefault(table, {})[key] = price


def ec2_prices(offer: Mapping[str, Any]) -> Tables:
    tables: Tables = {"ec2": {}, "ebsGbMonth": {}}
    for sku, family, a in _products(offer):
        usage = str(a.get("usagetype", ""))
        if a.get("instanceType") and a.get("operatingSystem") == "Linux" and a.get("tenancy") == "Shared" \
                and a.get("preInstalledSw") == "NA" and a.get("capacitystatus") == "Used":
            _put(tables, "ec2", a["instanceType"], _on_demand_usd(offer, sku))
        elif a.get("volumeApiName") and family == "Storage":
            _put(tables, "ebsGbMonth", a["volumeApiName"], _on_demand_usd(offer, sku))
        elif a.get("volumeApiName") and family == "System Operation" and a.get("group") == "EBS IOPS":
            name = str(a["volumeApiName"])
            _put(tables, "ebsIopsMonth", "gp3_above_3000" if name == "gp3" else name, _on_demand_usd(offer, sku))
        elif a.get("volumeApiName") == "gp3" and family == "Provisioned Throughput":
            _put(tables, "ebsThroughputMbpsMonth", "gp3_above_125", _on_demand_usd(offer, sku))
        elif family == "NAT Gateway" and usage.endswith("NatGateway-Hours"):
            _put(tables, "hourly", "natGateway", _on_demand_usd(offer, sku))
        elif family == "NAT Gateway" and usage.endswith("NatGateway-Bytes"):
            _put(tables, "natGatewayData", "processed_gb", _on_demand_usd(offer, sku))
    return tables


RDS_ENGINES = {"PostgreSQL": "postgres", "MySQL": "mysql", "MariaDB": "mariadb",
               "Aurora MySQL": "aurora-mysql", "Aurora PostgreSQL": "aurora-postgresql"}
LICENSED_EDITIONS = {("Oracle", "Standard One"): "oracle-se1", ("Oracle", "Standard Two"): "oracle-se2",
                     ("SQL Server", "Express"): "sqlserver-ex", ("SQL Server", "Web"): "sqlserver-web",
                     ("SQL Server", "Standard"): "sqlserver-se", ("SQL Server", "Enterprise"): "sqlserver-ee"}
RDS_DEPLOYMENTS = {"Single-AZ": "single", "Multi-AZ": "multi"}
RDS_VOLUMES = {"General Purpose": "gp2", "General Purpose-GP3": "gp3", "Provisioned IOPS": "io1",
               "Provisioned IOPS-IO2": "io2", "Magnetic": "standard"}


def _rds_engine(a: Mapping[str, Any]) -> str | None:
    engine = str(a.get("databaseEngine", ""))
    if engine in RDS_ENGINES:
        return RDS_ENGINES[engine]
    if engine == "Oracle" and a.get("licenseModel") == "Bring your own license":
        return "oracle-byol"
    if a.get("licenseModel") == "License included":
        return LICENSED_EDITIONS.get((engine, str(a.get("databaseEdition", ""))))
    return None


def rds_prices(offer: Mapping[str, Any]) -> Tables:
    tables: Tables = {"rds": {}}
    for sku, family, a in _products(offer):
        deployment = RDS_DEPLOYMENTS.get(str(a.get("deploymentOption", "")))
        usage = str(a.get("usagetype", ""))
        if family == "Database Instance" and str(a.get("instanceType", "")).startswith("db."):
            engine = _rds_engine(a)
            if engine is None or deployment is None:
                continue
            if engine.startswith("aurora"):
                optimized = "/io-optimized" if "IOOptimized" in usage else ""
                _put(tables, "rds", f"{engine}/{a['instanceType']}{optimized}", _on_demand_usd(offer, sku))
            else:
                _put(tables, "rds", f"{engine}/{a['instanceType']}/{deployment}", _on_demand_usd(offer, sku))
        elif family == "Database Storage" and deployment and a.get("databaseEngine") in ("Any", "PostgreSQL", None):
            volume = RDS_VOLUMES.get(str(a.get("volumeType", "")))
            if volume:
                _put(tables, "rdsStorageGbMonth", f"{volume}/{deployment}", _on_demand_usd(offer, sku))
        elif family == "Provisioned IOPS" and deployment and a.get("databaseEngine") in ("Any", "PostgreSQL", None):
            kind = "gp3_above_baseline" if "GP3" in usage.upper() else "io2" if "IO2" in usage.upper() else "io1"
            _put(tables, "rdsIopsMonth", f"{kind}/{deployment}", _on_demand_usd(offer, sku))
    return tables


def elasticache_prices(offer: Mapping[str, Any]) -> Tables:
    tables: Tables = {"elasticache": {}}
    for sku, _, a in _products(offer):
        node = str(a.get("instanceType", ""))
        if not node.startswith("cache."):
            continue
        engine = a.get("cacheEngine")
        if engine == "Redis":
            _put(tables, "elasticache", node, _on_demand_usd(offer, sku))
        elif engine == "Valkey":
            _put(tables, "elasticacheValkey", node, _on_demand_usd(offer, sku))
    return tables


def eks_prices(offer: Mapping[str, Any]) -> Tables:
    tables: Tables = {"hourly": {}}
    for sku, _, a in _products(offer):
        usage = str(a.get("usagetype", ""))
        if usage.endswith("AmazonEKS-Hours:perCluster"):
            _put(tables, "hourly", "eksCluster", _on_demand_usd(offer, sku))
        elif usage.endswith("AmazonEKS-Hours:extendedSupport"):
            _put(tables, "hourly", "eksClusterExtendedSupport", _on_demand_usd(offer, sku))
    return tables


OPENSEARCH_VOLUMES = {"GP2": "gp2_gb_month", "GP3": "gp3_gb_month", "PIOPS": "io1_gb_month",
                      "Magnetic": "standard_gb_month"}


def opensearch_prices(offer: Mapping[str, Any]) -> Tables:
    tables: Tables = {"opensearch": {}}
    for sku, family, a in _products(offer):
        instance = str(a.get("instanceType", ""))
        volume = OPENSEARCH_VOLUMES.get(str(a.get("storageMedia", "")))
        if "Volume" in family and volume:
            _put(tables, "opensearchStorage", volume, _on_demand_usd(offer, sku))
        if "Instance" in family and instance.endswith((".search", ".elasticsearch")):
            price = _on_demand_usd(offer, sku)
            name = instance.removesuffix(".elasticsearch").removesuffix(".search")
            _put(tables, "opensearch", f"{name}.search", price)          # both suffixes bill alike
            _put(tables, "opensearch", f"{name}.elasticsearch", price)
    return tables


def msk_prices(offer: Mapping[str, Any]) -> Tables:
    tables: Tables = {"msk": {}}
    for sku, family, a in _products(offer):
        instance = str(a.get("instanceType", ""))
        if instance.startswith("kafka."):
            _put(tables, "msk", instance, _on_demand_usd(offer, sku))
        elif family == "Storage" and "Kafka" in str(a.get("usagetype", "")):
            _put(tables, "mskStorageGbMonth", "ebs", _on_demand_usd(offer, sku))
    return tables


PARSERS: dict[str, Callable[[Mapping[str, Any]], Tables]] = {
    "AmazonEC2": ec2_prices, "AmazonRDS": rds_prices, "AmazonElastiCache": elasticache_prices,
    "AmazonEKS": eks_prices, "AmazonES": opensearch_prices, "AmazonMSK": msk_prices,
}


def update(prices: dict[str, Any], service: str, offer: Mapping[str, Any], region: str) -> dict[str, int]:
    """Writes the service's tables into ``prices`` for ``region``; returns how many prices each got."""
    tables = PARSERS[service](offer)
    published = str(offer.get("publicationDate", "unknown"))[:10]
    source = (f"AWS Price List offer file offers/v1.0/aws/{service}/current/{region}/index.json "
              f"(version {offer.get('version', 'unknown')}), via scripts/update_prices.py")
    entry = prices["regions"].setdefault(region, {"published": published, "source": source, "tables": {}})
    for name, values in tables.items():
        if not values:
            continue
        table = entry.setdefault("tables", {}).setdefault(
            name, {"unit": UNITS.get(name, ""), "source": source, "published": published, "prices": {}})
        if table["source"] == source or set(table["prices"]) <= set(values):
            # The offer file gives every price of the table: it becomes the table's one source.
            table.update(source=source, published=published)
            table.pop("keySources", None)
        else:
            # Some prices of another source stay: the new ones say where they come from.
            for key in values:
                table.setdefault("keySources", {})[key] = {"source": source, "published": published}
        table["prices"] = dict(sorted({**table["prices"], **values}.items()))
    entry["published"] = max(str(entry.get("published", "")), published)
    return {name: len(values) for name, values in tables.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offer", action="append", required=True, metavar="SERVICE=FILE",
                        help=f"an offer file, SERVICE one of {', '.join(PARSERS)}")
    parser.add_argument("--region", required=True)
    parser.add_argument("--prices", type=Path, default=PRICES)
    args = parser.parse_args()
    try:
        prices = json.loads(args.prices.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{args.prices}: cannot read the price catalogue ({exc})", file=sys.stderr)
        return 2
    for spec in args.offer:
        service, _, file = spec.partition("=")
        if service not in PARSERS or not file:
            parser.error(f"--offer {spec!r}: expected SERVICE=FILE with SERVICE one of {', '.join(PARSERS)}")
        try:
            offer = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"{file}: cannot read the offer file ({exc})", file=sys.stderr)
            return 2
        counts = update(prices, service, offer, args.region)
        print(f"{service} {args.region}: " + ", ".join(f"{n} {t} prices" for t, n in counts.items()))
    args.prices.write_text(json.dumps(prices, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
