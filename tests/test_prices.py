"""The price catalogue and its updater, on a fixture in the offer file's real shape."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from finops_core import estimate_resource, load_prices
from finops_core.prices import PRICES_FILE, PriceCatalogue


def test_every_region_records_its_date_and_source() -> None:
    for region, figures in load_prices().regions.items():
        assert figures["published"] and figures["source"], region


def test_missing_regional_price_falls_back_to_us_east_1_and_says_so() -> None:
    estimate = estimate_resource("aws:rds/instance:Instance", {"instanceClass": "db.t4g.micro",
                                                               "allocatedStorage": 20}, "eu-west-1")
    assert estimate is not None and estimate.fallback_regions == {"us-east-1"}
    assert "price of us-east-1: none recorded for eu-west-1" in estimate.basis
    regional = estimate_resource("aws:ec2/instance:Instance", {"instanceType": "t3.micro"}, "eu-west-1")
    assert regional is not None and not regional.fallback_regions


def test_multi_az_doubles_instance_and_storage() -> None:
    single = estimate_resource("aws:rds/instance:Instance", {"instanceClass": "db.r6g.large",
                                                             "allocatedStorage": 100}, "us-east-1")
    multi = estimate_resource("aws:rds/instance:Instance", {"instanceClass": "db.r6g.large",
                                                            "allocatedStorage": 100, "multiAz": True}, "us-east-1")
    assert single and multi and multi.monthly_usd == round(2 * (single.monthly_usd or 0), 2)
    assert single.monthly_usd == round(0.225 * 730 + 100 * 0.115, 2)


def test_usage_priced_and_unpriced_resources_say_why() -> None:
    bucket = estimate_resource("aws:s3/bucket:Bucket", {}, "us-east-1")
    assert bucket is not None and bucket.usage_priced and "usage-priced" in bucket.basis
    assert estimate_resource("aws:s3/bucket:Bucket", {}, "us-east-1", usage_usd=12.5).monthly_usd == 12.5
    unknown = estimate_resource("aws:ec2/instance:Instance", {"instanceType": "x9.huge"}, "us-east-1")
    assert unknown is not None and unknown.monthly_usd is None and "no price for instance type x9.huge" in unknown.basis
    assert estimate_resource("aws:iam/role:Role", {}, "us-east-1") is None


def test_updater_reads_offer_files(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    shutil.copy(PRICES_FILE, prices)
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts/update_prices.py"), "--region", "eu-west-1", "--prices", str(prices),
         "--offer", f"AmazonEC2={ROOT / 'tests/fixtures/offers/AmazonEC2-eu-west-1.json'}"],
        capture_output=True, text=True, check=True)
    assert "AmazonEC2 eu-west-1: 1 ec2 prices, 1 ebsGbMonth prices" in completed.stdout
    catalogue = PriceCatalogue(json.loads(prices.read_text()))
    micro = catalogue.price("ec2", "t3.micro", "eu-west-1")
    assert micro is not None and micro.usd == 0.0123 and micro.published == "2026-01-01"  # Linux/shared only
    assert catalogue.price("ebsGbMonth", "gp3", "eu-west-1").usd == 0.099  # type: ignore[union-attr]
    assert catalogue.price("ec2", "m9.large", "eu-west-1") is None  # pre-installed software skipped
