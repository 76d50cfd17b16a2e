"""Approved exceptions (waivers.yaml), honoured by the pack over the Analyzer protocol."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PACK_DIR, mandatory, tags
from finops_core.waivers import load_waivers
from finops_preview.analyzer import PolicyPackProcess, StackResource

WAIVERS = """\
approvers:
  budget: [cfo]
waivers:
  - policy: finops-instance-size
    stack: dev
    type: aws:ec2/instance:Instance
    name: "trainer-*"
    reason: model retraining for two weeks
    approver: head-of-platform
    ticket: FIN-1
    expires: 2999-12-31
  - policy: finops-instance-size
    name: "old-*"
    reason: was needed last year
    approver: jdoe
    ticket: FIN-2
    expires: 2001-01-31
  - policy: finops-cost-vs-budget
    reason: launch month
    approver: jdoe
    ticket: FIN-3
    expires: 2999-12-31
  - policy: finops-required-tags
    name: "legacy-*"
    reason: imported, tagged next sprint
    approver: jdoe
    expires: 2999-12-31
"""
BIG = {"instanceType": "m5.24xlarge", "tags": tags()}


@pytest.fixture(scope="module")
def waiver_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("waivers") / "waivers.yaml"
    path.write_text(WAIVERS)
    return path


@pytest.fixture(scope="module")
def waived_pack(waiver_file: Path) -> Iterator[PolicyPackProcess]:
    with PolicyPackProcess(PACK_DIR, stack="dev", project="p", env={"FINOPS_WAIVERS_FILE": str(waiver_file)}) as pack:
        pack.handshake()
        yield pack


def test_active_waiver_turns_the_violation_into_an_advisory(waived_pack: PolicyPackProcess) -> None:
    found = [d for d in waived_pack.analyze("aws:ec2/instance:Instance", "trainer-1", BIG)
             if not d.policy.startswith("finops-advice-")]
    assert mandatory(found) == []
    assert len(found) == 1 and found[0].policy == "finops-waivers"
    message = found[0].message
    assert "waived finops-instance-size: aws:ec2/instance:Instance 'trainer-1': dev instance size" in message
    assert re.search(r"waiver FIN-1 \(line \d+, approved by head-of-platform until 2999-12-31\): model retraining",
                     message), message
    assert "approve a waiver" not in message  # it has one


def test_waiver_selector_must_match(waived_pack: PolicyPackProcess) -> None:
    found = mandatory(waived_pack.analyze("aws:ec2/instance:Instance", "web-1", BIG))
    assert [d.policy for d in found] == ["finops-instance-size"]


def test_expired_waiver_no_longer_applies_and_is_reported(waived_pack: PolicyPackProcess) -> None:
    found = mandatory(waived_pack.analyze("aws:ec2/instance:Instance", "old-1", BIG))
    assert len(found) == 1 and re.search(r"waiver FIN-2 \(line \d+, approved by jdoe until 2001-01-31\) expired",
                                         found[0].message), found[0].message
    stack = [d.message for d in waived_pack.analyze_stack([]) if d.policy == "finops-waivers-stack"]
    assert any("waiver FIN-2 (line" in m and "expired; remove or renew it" in m for m in stack)


def test_budget_waiver_needs_an_approver_from_the_list(waived_pack: PolicyPackProcess) -> None:
    stack = [d.message for d in waived_pack.analyze_stack([]) if d.policy == "finops-waivers-stack"]
    assert any("waivers[2].approver: found 'jdoe'; expected for a budget policy, one of approvers.budget: cfo"
               in m for m in stack)


def test_malformed_waiver_is_reported_and_not_applied(waived_pack: PolicyPackProcess) -> None:
    found = mandatory(waived_pack.analyze("aws:s3/bucket:Bucket", "legacy-bucket", {}))
    assert [d.policy for d in found] == ["finops-required-tags"]
    stack = [d.message for d in waived_pack.analyze_stack([]) if d.policy == "finops-waivers-stack"]
    assert any("waivers[3].ticket: found <missing>; expected the key ticket" in m for m in stack)


def test_waivers_also_cover_stack_policies(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - {policy: finops-budget-alerts, reason: r, approver: jdoe, ticket: T-1, "
                    "expires: 2999-01-01}\n")
    with PolicyPackProcess(PACK_DIR, stack="dev", project="p", env={"FINOPS_WAIVERS_FILE": str(path)}) as pack:
        pack.handshake()
        found = pack.analyze_stack([StackResource("aws:s3/bucket:Bucket", "b", "urn:pulumi:dev::p::aws:s3/bucket:"
                                                  "Bucket::b", {"tags": tags()})])
    assert mandatory(found) == []
    assert any(d.policy == "finops-waivers-stack" and "waived finops-budget-alerts" in d.message for d in found)


def test_broken_waivers_file_applies_no_waiver(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers: [unclosed\n")
    loaded = load_waivers(path)
    assert loaded.waivers == [] and "found <malformed YAML" in loaded.problems[0]


def test_finops_preview_honours_waivers(tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    from conftest import ROOT

    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {policy: finops-instance-size, name: big-box, reason: benchmark, approver: jdoe,"
                       " ticket: FIN-9, expires: 2999-01-01}\n")
    completed = subprocess.run(
        [sys.executable, "-m", "finops_preview", "preview", "-C", str(ROOT / "tests/fixtures/untagged"), "-s", "dev",
         "--policy-pack", str(PACK_DIR), "--waivers", str(waivers), "--json"],
        capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(completed.stdout)
    levels = {(v["policy"], v["enforcementLevel"]) for v in report["violations"]}
    assert ("finops-instance-size", "mandatory") not in levels
    waived = [v for v in report["violations"] if v["policy"] == "finops-waivers"]
    assert waived and "waived finops-instance-size" in waived[0]["message"] and "FIN-9" in waived[0]["message"]
    assert completed.returncode == 1  # the missing tags are not waived


def test_a_waived_finding_is_reported_exactly_once_whatever_else_is_enabled(waived_pack: PolicyPackProcess) -> None:
    waived_pack.configure({"finops-required-tags": "disabled", "finops-advice-graviton": "disabled"})
    try:
        for _ in range(2):  # again: nothing carried over from one request to the next
            found = waived_pack.analyze("aws:ec2/instance:Instance", "trainer-2", BIG)
            waived = [d for d in found if d.policy == "finops-waivers"]
            assert len(waived) == 1 and mandatory(found) == []
    finally:
        waived_pack.configure({})


def test_with_the_waivers_policy_disabled_waivers_do_not_apply(waived_pack: PolicyPackProcess) -> None:
    waived_pack.configure({"finops-waivers": "disabled", "finops-waivers-stack": "disabled"})
    try:
        found = waived_pack.analyze("aws:ec2/instance:Instance", "trainer-3", BIG)
        assert [d.policy for d in mandatory(found)] == ["finops-instance-size"]
        assert not any(d.policy.startswith("finops-waivers") for d in found)
    finally:
        waived_pack.configure({})
    found = waived_pack.analyze("aws:ec2/instance:Instance", "trainer-3", BIG)
    assert [d.policy for d in found if d.policy == "finops-waivers"] == ["finops-waivers"]


def test_the_waivers_file_can_be_named_in_policy_config(waiver_file: Path) -> None:
    with PolicyPackProcess(PACK_DIR, stack="dev", project="p") as pack:
        pack.handshake({"finops-waivers": {"file": str(waiver_file)}})
        found = pack.analyze("aws:ec2/instance:Instance", "trainer-1", BIG)
    assert mandatory(found) == [] and any(d.policy == "finops-waivers" for d in found)


def test_a_bad_finops_today_applies_no_waiver_and_is_said_once(waiver_file: Path) -> None:
    with PolicyPackProcess(PACK_DIR, stack="dev", project="p", env={"FINOPS_WAIVERS_FILE": str(waiver_file),
                                                                    "FINOPS_TODAY": "tomorrow"}) as pack:
        pack.handshake()
        found = pack.analyze("aws:ec2/instance:Instance", "trainer-1", BIG)
        stack = [d.message for d in pack.analyze_stack([]) if d.policy == "finops-waivers-stack"]
    assert [d.policy for d in mandatory(found)] == ["finops-instance-size"]
    assert len([m for m in stack if "FINOPS_TODAY" in m]) == 1


def test_waived_findings_are_those_the_policy_finds_under_its_own_config(waived_pack: PolicyPackProcess) -> None:
    # With dev's cap raised to fit m5.24xlarge, the instance policy finds nothing: nothing to waive.
    waived_pack.configure({"finops-instance-size": {"environments": {"dev": {"maxVcpus": 128, "maxMemoryGib": 512}}}})
    try:
        found = waived_pack.analyze("aws:ec2/instance:Instance", "trainer-4", BIG)
    finally:
        waived_pack.configure({})
    assert [d.policy for d in found if d.policy in ("finops-instance-size", "finops-waivers")] == []
