"""The price catalogue and its updater, on fixtures in the offer files' real shape."""

from __future__ import annotations

import contextlib
import io
import json
import math
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from finops_core import estimate_resource, load_prices
from finops_core.prices import PRICES_FILE, PriceCatalogue

OFFERS = ROOT / "tests/fixtures/offers"


def test_every_table_states_its_unit_source_and_date() -> None:
    catalogue = load_prices()
    for region, tables in catalogue.tables.items():
        assert catalogue.regions[region]["published"], region
        for name, table in tables.items():
            assert table.unit and table.source and table.published[:2] == "20", (region, name)
            assert table.prices, (region, name)
            assert all(math.isfinite(usd) and usd >= 0 for usd in table.prices.values()), (region, name)


def test_every_price_lookup_carries_its_source_and_date() -> None:
    price = load_prices().price("rds", "postgres/db.t3.large/single", "us-east-1")
    assert price is not None and price.usd == 0.145
    assert "db_instance_test.golden" in price.source and price.published == "2026-11-29"
    estimate = estimate_resource("aws:ec2/instance:Instance", {"instanceType": "m5.large"}, "us-east-1")
    assert estimate is not None
    assert all(c.source and " us-east-1 20" in c.source for c in estimate.components)


def test_missing_regional_price_falls_back_to_us_east_1_and_says_so() -> None:
    estimate = estimate_resource("aws:rds/instance:Instance", {"instanceClass": "db.t4g.micro",
                                                               "allocatedStorage": 20}, "eu-west-1")
    assert estimate is not None and estimate.fallback_regions == {"us-east-1"}
    assert "price of us-east-1: none recorded for eu-west-1" in estimate.basis
    regional = estimate_resource("aws:ec2/instance:Instance", {"instanceType": "t3.micro"}, "eu-west-1")
    assert regional is not None and not regional.fallback_regions
    assert regional.monthly_usd == round(0.0114 * 730 + 8 * 0.088, 2)


def _update(tmp_path: Path, *services: str) -> tuple[PriceCatalogue, str]:
    prices = tmp_path / "prices.json"
    shutil.copy(PRICES_FILE, prices)
    offers = [arg for service in services for arg in ("--offer", f"{service}={OFFERS / f'{service}-eu-west-1.json'}")]
    # The script run in this process, as its command line runs it (its own process: the bad-file test).
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), pytest.raises(SystemExit) as ended:
        mp.setattr(sys, "argv", ["update_prices.py", "--region", "eu-west-1", "--prices", str(prices), *offers])
        runpy.run_path(str(ROOT / "scripts/update_prices.py"), run_name="__main__")
    assert ended.value.code == 0
    return PriceCatalogue(json.loads(prices.read_text())), out.getvalue()


def test_updater_reads_ec2_offer_files(tmp_path: Path) -> None:
    catalogue, out = _update(tmp_path, "AmazonEC2")
    assert "AmazonEC2 eu-west-1: 1 ec2 prices, 1 ebsGbMonth prices, 1 ebsIopsMonth prices, 1 hourly prices" in out
    micro = catalogue.price("ec2", "t3.micro", "eu-west-1")
    assert micro is not None and micro.usd == 0.0123 and micro.published == "2026-01-01"  # Linux/shared only
    assert "offers/v1.0/aws/AmazonEC2/current/eu-west-1" in micro.source
    small = catalogue.price("ec2", "t3.small", "eu-west-1")   # kept from the earlier source, which it still names
    assert small is not None and small.published == "2025-06-01" and "carried over by hand" in small.source
    assert catalogue.price("ebsGbMonth", "gp3", "eu-west-1").usd == 0.099  # type: ignore[union-attr]
    assert catalogue.price("ebsIopsMonth", "io2", "eu-west-1").usd == 0.072  # type: ignore[union-attr]
    assert catalogue.price("hourly", "natGateway", "eu-west-1").usd == 0.048  # type: ignore[union-attr]
    assert catalogue.price("natGatewayData", "processed_gb", "eu-west-1").usd == 0.048  # type: ignore[union-attr]
    assert catalogue.price("ec2", "m9.large", "eu-west-1") is None  # pre-installed software skipped


def test_updater_reads_rds_by_engine_edition_licence_and_deployment(tmp_path: Path) -> None:
    catalogue, out = _update(tmp_path, "AmazonRDS")
    assert "AmazonRDS eu-west-1: 6 rds prices, 2 rdsStorageGbMonth prices, 1 rdsIopsMonth prices" in out

    def usd(table: str, key: str) -> float | None:
        price = catalogue.price(table, key, "eu-west-1")
        return price.usd if price and price.region == "eu-west-1" else None

    assert usd("rds", "postgres/db.r6g.large/single") == 0.25
    assert usd("rds", "postgres/db.r6g.large/multi") == 0.5
    assert usd("rds", "sqlserver-se/db.m5.xlarge/single") == 1.35
    assert usd("rds", "oracle-byol/db.m5.xlarge/single") == 0.35
    assert usd("rds", "aurora-postgresql/db.r6g.large") == 0.29
    assert usd("rds", "aurora-postgresql/db.r6g.large/io-optimized") == 0.377
    assert usd("rdsStorageGbMonth", "gp3/single") == 0.127 and usd("rdsIopsMonth", "io1/multi") == 0.22
    multi = estimate_resource("aws:rds/instance:Instance", {"engine": "postgres", "instanceClass": "db.r6g.large",
                                                            "multiAz": True, "storageType": "io1",
                                                            "allocatedStorage": 100, "iops": 1000},
                              "eu-west-1", catalogue=catalogue)
    assert multi is not None and multi.monthly_usd == round(0.5 * 730 + 100 * 0.276 + 1000 * 0.22, 2)
    assert not multi.fallback_regions


@pytest.mark.parametrize(("service", "table", "key", "usd"), [
    ("AmazonElastiCache", "elasticache", "cache.r6g.large", 0.229),
    ("AmazonElastiCache", "elasticacheValkey", "cache.r6g.large", 0.1832),
    ("AmazonEKS", "hourly", "eksClusterExtendedSupport", 0.6),
    ("AmazonES", "opensearch", "r6g.large.search", 0.186),
    ("AmazonES", "opensearch", "r6g.large.elasticsearch", 0.186),
    ("AmazonES", "opensearchStorage", "gp3_gb_month", 0.135),
    ("AmazonMSK", "msk", "kafka.m5.large", 0.228),
    ("AmazonMSK", "mskStorageGbMonth", "ebs", 0.11),
])
def test_updater_reads_each_service(tmp_path: Path, service: str, table: str, key: str, usd: float) -> None:
    catalogue, _ = _update(tmp_path, service)
    price = catalogue.price(table, key, "eu-west-1")
    assert price is not None and price.usd == usd and price.region == "eu-west-1"
    assert price.published == "2026-11-01" and f"aws/{service}/current/eu-west-1" in price.source


def test_updater_refuses_an_unreadable_offer_file(tmp_path: Path) -> None:
    bad = tmp_path / "offer.json"
    bad.write_text("{not json")
    prices = tmp_path / "prices.json"
    shutil.copy(PRICES_FILE, prices)
    completed = subprocess.run([sys.executable, str(ROOT / "scripts/update_prices.py"), "--region", "eu-west-1",
                                "--prices", str(prices), "--offer", f"AmazonEC2={bad}"],
                               capture_output=True, text=True)
    assert completed.returncode == 2 and "cannot read the offer file" in completed.stderr
    assert "Traceback" not in completed.stderr and prices.read_bytes() == PRICES_FILE.read_bytes()
