"""The estimate against independently published monthly figures: Infracost's golden test files,
for us-east-1 (tests/fixtures/estimate/golden_cases.json names the file of every figure).

Each configuration must come within 5 % of its published figure. Where we differ on purpose the
difference is within that margin: a root volume without a type is priced as gp3 (what current
AMIs use; Infracost assumes gp2), and an OpenSearch domain's EBS volume is billed per data node
(as AWS bills it; Infracost counts it once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from conftest import ROOT
from finops_core import estimate_resource

CASES = json.loads((ROOT / "tests/fixtures/estimate/golden_cases.json").read_text())["cases"]
TOLERANCE = 0.05


def _related(case: Mapping[str, Any]) -> Any:
    found = case.get("related", {})
    return lambda resource_type, reference: found.get(resource_type, {}).get(reference)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['type'].split(':')[1]}-{c['name']}" for c in CASES])
def test_estimate_within_5_percent_of_the_published_figure(case: Mapping[str, Any]) -> None:
    estimate = estimate_resource(case["type"], case["inputs"], case["region"], related=_related(case))
    assert estimate is not None and estimate.monthly_usd is not None, estimate
    published = case["monthlyUsd"]
    assert abs(estimate.monthly_usd - published) <= TOLERANCE * published, (
        f"{case['name']}: ours ${estimate.monthly_usd:,.2f}, published ${published:,.2f} ({case['source']}); "
        f"{estimate.basis}")


def test_the_comparison_covers_the_services_teams_deploy() -> None:
    assert len(CASES) >= 30
    assert len({c["type"] for c in CASES}) >= 25
    # One table is in us-east-2, whose DynamoDB rates are us-east-1's (the estimate falls back and says so).
    assert all(c["source"] for c in CASES) and sum(c["region"] == "us-east-1" for c in CASES) >= len(CASES) - 1
