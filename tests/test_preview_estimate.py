"""What `finops preview` says about its estimate: price books, typed usage, what a total leaves out;
and what the reports list per resource (JUnit cases, SARIF rule descriptions)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import run_cli


def _json(*args: str) -> dict[str, object]:
    completed = run_cli("preview", "-s", "dev", "--json", *args)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


def test_a_price_book_discounts_the_estimate_and_shows_the_list_price(tmp_path: Path) -> None:
    book = tmp_path / "price-book.yaml"
    book.write_text("name: EDP\ndiscounts:\n  - {service: eks, percent: 28, label: Compute Savings Plan}\n")
    plain, discounted = _json(), _json("--price-book", str(book))
    summary, base = discounted["summary"], plain["summary"]
    assert isinstance(summary, dict) and isinstance(base, dict)
    assert summary["listMonthlyUsd"] == base["monthlyUsd"] > summary["monthlyUsd"]
    groups = [r for r in discounted["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"]  # type: ignore[index,union-attr]
    assert groups and all(g["discount"].endswith("Compute Savings Plan 28 %") for g in groups)
    assert all(abs(g["monthlyUsd"] - 0.72 * g["listUsd"]) < 0.02 for g in groups)
    table = run_cli("preview", "-s", "dev", "--price-book", str(book)).stdout
    assert f"list price ${base['monthlyUsd']:,.2f} before discounts" in table


def test_typed_usage_amounts_are_priced_and_what_is_left_out_is_said(tmp_path: Path) -> None:
    before = _json()
    pending = [r for r in before["resources"] if r["usagePendingLines"]]  # type: ignore[union-attr,index]
    assert pending and before["summary"]["usagePendingResources"] == len(pending)  # type: ignore[index]
    assert any("usage-priced costs without amounts" in note for note in before["notes"])  # type: ignore[union-attr]
    bucket = next(r for r in pending if r["type"] == "aws:s3/bucketV2:BucketV2" or r["type"] == "aws:s3/bucket:Bucket")
    usage = tmp_path / "usage.yaml"
    usage.write_text(f"resources:\n  {bucket['name']}:\n    storageGb: 1000\n")
    after = _json("--usage-file", str(usage))
    priced = next(r for r in after["resources"] if r["urn"] == bucket["urn"])  # type: ignore[union-attr]
    assert priced["usageUsd"] > 0 and priced["monthlyUsd"] >= priced["usageUsd"]
    assert after["summary"]["usageUsd"] == priced["usageUsd"]  # type: ignore[index]


def test_junit_has_one_case_per_applicable_policy_and_resource(tmp_path: Path) -> None:
    out = tmp_path / "finops.xml"
    assert run_cli("preview", "-s", "dev", "--format", "junit", "-o", str(out)).returncode == 0
    cases = ET.parse(out).getroot().findall(".//testcase")
    report = _json()
    resources = len(report["resources"])  # type: ignore[arg-type]
    assert resources < len(cases) < 12 * resources  # not every policy crossed with every resource
    names = {c.get("name") for c in cases}
    assert not any("finops-instance-size" in (n or "") and "aws:s3/" in (n or "") for n in names)


def test_sarif_rules_carry_the_policy_description(tmp_path: Path) -> None:
    out = tmp_path / "finops.sarif"
    run_cli("preview", "-s", "dev", "--format", "sarif", "-o", str(out))
    rules = json.loads(out.read_text())["runs"][0]["tool"]["driver"]["rules"]
    tags = next(r for r in rules if r["id"].endswith("finops-required-tags"))
    assert "mandatory cost-allocation tags" in tags["shortDescription"]["text"]
