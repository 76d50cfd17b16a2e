"""What `finops preview` says about its estimate: price books, typed usage, what a total leaves out;
and what the reports list per resource (JUnit cases, SARIF rule descriptions).

One preview of the dev stack is shared by the module (rendered in each format in-process); the
price book and usage file each take one more."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import PACK_DIR, ROOT, run_cli
from finops_preview.formats import render
from finops_preview.model import PreviewResult
from finops_preview.preview import PreviewOptions, run_preview

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)


def _preview(**options: Any) -> PreviewResult:
    return run_preview(PreviewOptions(cwd=ROOT, stack="dev", policy_packs=[PACK_DIR], **options))


@pytest.fixture(scope="module")
def plain() -> PreviewResult:
    return _preview()


def _json(result: PreviewResult) -> dict[str, Any]:
    return json.loads(render(result, "json"))  # type: ignore[no-any-return]


def test_a_price_book_discounts_the_estimate_and_shows_the_list_price(plain: PreviewResult, tmp_path: Path) -> None:
    book = tmp_path / "price-book.yaml"
    book.write_text("name: EDP\ndiscounts:\n  - {service: eks, percent: 28, label: Compute Savings Plan}\n")
    discounted = _preview(price_book=book)
    report, base = _json(discounted), _json(plain)
    assert report["summary"]["listMonthlyUsd"] == base["summary"]["monthlyUsd"] > report["summary"]["monthlyUsd"]
    groups = [r for r in report["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"]
    assert groups and all(g["discount"].endswith("Compute Savings Plan 28 %") for g in groups)
    assert all(abs(g["monthlyUsd"] - 0.72 * g["listUsd"]) < 0.02 for g in groups)
    table = render(discounted, "table")
    assert f"list price ${base['summary']['monthlyUsd']:,.2f} before discounts" in table
    # Each discounted row shows its list price beside the figure after the discount.
    group = groups[0]
    line = next(t for t in table.splitlines() if "aws:eks:NodeGroup" in t and group["name"] in t)
    assert line.split()[-2:] == [f"${group['monthlyUsd']:,.2f}", f"${group['listUsd']:,.2f}"], line
    assert "LIST: the list price" in table and "LIST" not in render(plain, "table")


def test_a_discount_for_ec2_reaches_what_is_billed_as_ec2(plain: PreviewResult, tmp_path: Path) -> None:
    # A Compute Savings Plan written as `service: ec2` covers the EC2 instances of EKS node groups.
    book = tmp_path / "price-book.yaml"
    book.write_text("name: EDP\ndiscounts:\n  - {service: ec2, percent: 28, label: Compute Savings Plan}\n")
    report = _json(_preview(price_book=book))
    groups = [r for r in report["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"]
    assert groups and all(g["discount"].endswith("Compute Savings Plan 28 %") for g in groups), groups
    cluster = next(r for r in report["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    assert not cluster.get("discount")  # the control plane is billed as EKS


def test_typed_usage_amounts_are_priced_and_what_is_left_out_is_said(plain: PreviewResult, tmp_path: Path) -> None:
    before = _json(plain)
    pending = [r for r in before["resources"] if r["usagePendingLines"]]
    assert pending and before["summary"]["usagePendingResources"] == len(pending)
    assert any("usage-priced costs without amounts" in note for note in before["notes"])
    noun = "resource" if len(pending) == 1 else "resources"
    table = render(plain, "table")
    assert f"usage of {len(pending)} {noun} not included" in " ".join(table.split())
    # Every resource the summary counts is marked in the table: "usage", or a figure "+usage".
    marked = [line for line in table.splitlines() if line.rstrip().endswith(("usage", "+usage"))]
    assert len(marked) == len(pending), marked
    assert "+usage = plus usage-priced lines without amounts" in " ".join(table.split())
    bucket = next(r for r in pending if r["type"] in ("aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket"))
    usage = tmp_path / "usage.yaml"
    usage.write_text(f"resources:\n  {bucket['name']}:\n    storageGb: 1000\n")
    after = _json(_preview(usage_file=usage))
    priced = next(r for r in after["resources"] if r["urn"] == bucket["urn"])
    assert priced["usageUsd"] > 0 and priced["monthlyUsd"] >= priced["usageUsd"]
    assert after["summary"]["usageUsd"] == priced["usageUsd"]


@pytest.mark.parametrize(("entry", "words"), [
    ("{bucket}:\n    storageGB: 1000\n", ["resources.{bucket}.storageGB: found 'storageGB'", "storageGb",
                                           "did you mean storageGb?", "usage.yaml:3:"]),
    ("no-such-bucket:\n    storageGb: 1000\n", ["resources.no-such-bucket: found 'no-such-bucket'",
                                                "the name or URN of a resource in the stack", "usage.yaml:2:"]),
], ids=["misspelt key", "unknown resource"])
def test_a_usage_file_mistake_is_one_line_naming_the_file_and_key(plain: PreviewResult, tmp_path: Path, entry: str,
                                                                  words: list[str]) -> None:
    bucket = next(r.name for r in plain.resources if r.type in ("aws:s3/bucketV2:BucketV2", "aws:s3/bucket:Bucket"))
    usage = tmp_path / "usage.yaml"
    usage.write_text("resources:\n  " + entry.format(bucket=bucket))
    completed = run_cli("preview", "-s", "dev", "--policy-pack", str(PACK_DIR), "--usage-file", str(usage))
    assert completed.returncode == 2, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"finops: error: {usage}:"), completed.stderr
    for word in words:
        assert word.format(bucket=bucket) in lines[0], (word, lines[0])


def test_junit_has_one_case_per_applicable_policy_and_resource(plain: PreviewResult) -> None:
    cases = ET.fromstring(render(plain, "junit")).findall(".//testcase")
    resources = len(plain.resources)
    assert resources < len(cases) < 12 * resources  # not every policy crossed with every resource
    names = [c.get("name") or "" for c in cases]
    assert not any("finops-instance-size" in n and "aws:s3/" in n for n in names)
    assert all(r.policies is not None for r in plain.resources)


def test_sarif_rules_carry_the_policy_description(plain: PreviewResult) -> None:
    rules = json.loads(render(plain, "sarif"))["runs"][0]["tool"]["driver"]["rules"]
    tags = next(r for r in rules if r["id"].endswith("finops-required-tags"))
    assert "mandatory cost-allocation tags" in tags["shortDescription"]["text"]
