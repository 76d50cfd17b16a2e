"""Financial governance through `finops preview`: owner limits, approval tiers for large expenses,
emergency budget increases (budgets/<env>.yaml `owners:` and `increases:`, waivers.yaml
`approvalTiers:` and `approvals:`).

The fixture (tests/fixtures/governance) is a team's stack covered by a shared budget
(`finops:coveredByBudget`), made of EC2 instances and private NAT gateways as its config says;
each test copies it with the repository's budgets and writes its own stack config, budgets and
waivers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import PACK_DIR, ROOT, run_cli

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

FIXTURE = ROOT / "tests/fixtures/governance"
POLICY_CONFIG = "policy-config.json"  # written by a test that needs the pack configured
TIERS = """\
approvalTiers:
  - {upToUsd: 500, anyOf: [team-lead, head-of-platform]}
  - {upToUsd: 5000, allOf: [head-of-platform]}
  - {allOf: [head-of-platform, cfo]}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "gov", ignore=shutil.ignore_patterns("__pycache__", "Pulumi.*.yaml"))
    shutil.copytree(ROOT / "budgets", tmp_path / "gov/budgets")
    (tmp_path / "gov/waivers.yaml").write_text(TIERS + "waivers: []\n")
    return tmp_path / "gov"


def stack(project: Path, name: str, **config: str) -> None:
    lines = [f"  gov:{key}: \"{value}\"" for key, value in config.items()]
    (project / f"Pulumi.{name}.yaml").write_text(
        "config:\n  aws:region: us-east-1\n" f"  finops:coveredByBudget: backend-{name}\n" + "\n".join(lines) + "\n")


def add_to_budget(project: Path, environment: str, text: str) -> None:
    path = project / "budgets" / f"{environment}.yaml"
    path.write_text(path.read_text() + text)


def preview(project: Path, name: str, *extra: str, today: str = "2026-11-20") -> tuple[int, dict[str, Any]]:
    if (project / POLICY_CONFIG).exists():
        extra = ("--policy-pack-config", str(project / POLICY_CONFIG), *extra)
    completed = run_cli("preview", "-s", name, "-C", str(project), "--policy-pack", str(PACK_DIR), "--json", *extra,
                        env={"FINOPS_TODAY": today})
    assert completed.returncode in (0, 1), completed.stderr
    return completed.returncode, json.loads(completed.stdout)


def refusals(report: dict[str, Any], policy: str) -> list[str]:
    return [v["message"] for v in report["violations"]
            if v["policy"] == policy and v["enforcementLevel"] == "mandatory"]


# Owner limits ---------------------------------------------------------------------------------

SNAPSHOT = {
    "kind": "finops-spend-snapshot", "version": 1, "takenAt": "2026-11-20T06:00:00Z", "month": "2026-11",
    "daysElapsed": 19, "daysInMonth": 30, "source": "Cost Explorer",
    "environments": {"dev": {
        "monthToDateUsd": 160.0, "forecastUsd": 250.0,
        "teams": {"backend": {"monthToDateUsd": 50.0, "forecastUsd": 80.0}},
        "owners": {"jdoe": {"monthToDateUsd": 30.0, "forecastUsd": 44.0},
                   "asmith": {"monthToDateUsd": 10.0, "forecastUsd": 10.0}}}},
}


@pytest.fixture
def spend(tmp_path: Path) -> Path:
    path = tmp_path / "SPEND.json"
    path.write_text(json.dumps(SNAPSHOT))
    return path


def test_an_owner_near_their_limit_is_refused_a_15_dollar_instance_naming_them(project: Path, spend: Path) -> None:
    add_to_budget(project, "dev", "owners:\n  default: 50\n  lead-dev: 300\n")
    stack(project, "dev", instances="1", owner="jdoe")  # one t3.small: $15.82 a month
    code, report = preview(project, "dev", "--spend", str(spend))
    [refused] = refusals(report, "finops-spending-limits")
    assert code == 1
    assert "owner jdoe in dev has spent $30.00 of its $50.00 limit this month (projected $44.00" in refused
    assert "this change adds $15.82/month" in refused and "$59.82, 120 % of the limit" in refused
    # who may approve: the tier of what a waiver would let through ($9.82 over the limit)
    assert "ask team-lead or head-of-platform (approvalTiers in waivers.yaml" in refused


def test_the_same_instance_for_an_owner_with_room_passes(project: Path, spend: Path) -> None:
    add_to_budget(project, "dev", "owners:\n  default: 50\n")
    stack(project, "dev", instances="1", owner="asmith")
    code, report = preview(project, "dev", "--spend", str(spend))
    assert code == 0, refusals(report, "finops-spending-limits")
    assert refusals(report, "finops-spending-limits") == []


# Approval tiers -------------------------------------------------------------------------------

def waive_big_box(project: Path, approvals: str) -> None:
    entries = "".join(
        f"  - policy: {policy}\n    stack: prod\n{selector}    reason: month-end reconciliation of the ledger\n"
        f"    ticket: FIN-90\n    expires: 2027-01-31\n    approvals: {approvals}\n"
        for policy, selector in (("finops-instance-size", "    name: box-0\n"), ("finops-cost-vs-budget", "")))
    (project / "waivers.yaml").write_text(TIERS + "waivers:\n" + entries)


def test_a_large_waiver_with_one_approval_of_two_needed_does_not_apply(project: Path) -> None:
    waive_big_box(project, "[{by: head-of-platform, on: 2026-11-18}]")
    stack(project, "prod", instances="1", instanceType="x1e.32xlarge")
    code, report = preview(project, "prod")
    assert code == 1
    [size] = refusals(report, "finops-instance-size")
    [budget] = refusals(report, "finops-cost-vs-budget")
    assert "approved by head-of-platform on 2026-11-18 until 2027-01-31) does not apply: needs cfo: this waiver " \
           "lets through $19,4" in size and "/month, above $5,000" in size
    assert "does not apply: needs cfo: this waiver lets through $13,4" in budget  # the amount over $6,000
    assert not [v for v in report["violations"] if v["policy"] == "finops-waivers"]


def test_the_same_waiver_with_both_approvals_applies(project: Path) -> None:
    waive_big_box(project, "[{by: head-of-platform, on: 2026-11-18}, {by: cfo, on: 2026-11-19}]")
    stack(project, "prod", instances="1", instanceType="x1e.32xlarge")
    code, report = preview(project, "prod")
    assert code == 0, [v["message"] for v in report["violations"] if v["enforcementLevel"] == "mandatory"]
    waived = [v["message"] for v in report["violations"] if v["policy"].startswith("finops-waivers")]
    both = "approved by head-of-platform on 2026-11-18, cfo on 2026-11-19"
    assert any("waived finops-instance-size" in m and both in m for m in waived)
    assert any("waived finops-cost-vs-budget" in m for m in waived)


# Emergency budget increases ---------------------------------------------------------------------

INCREASE = (FIXTURE / "increase.yaml").read_text()  # $400 for December 2026, approved by both


@pytest.fixture
def over_budget(project: Path) -> Path:
    stack(project, "dev", natGateways="23")  # 23 x $32.85: $755.55 against dev's $600
    # The budget is what these tests judge: lift dev's limit of one NAT gateway (finops-network-limits).
    (project / POLICY_CONFIG).write_text(json.dumps(
        {"finops-network-limits": {"environments": {"dev": {"maxNatGateways": 0}}}}))
    return project


def test_a_dev_stack_over_its_budget_is_refused_without_an_increase(over_budget: Path) -> None:
    code, report = preview(over_budget, "dev", today="2026-12-15")
    [refused] = refusals(report, "finops-cost-vs-budget")
    assert code == 1 and "$755.55 a month, 125.9 % of the dev budget of $600.00" in refused


def test_inside_an_approved_increases_window_it_passes(over_budget: Path) -> None:
    add_to_budget(over_budget, "dev", INCREASE)
    code, report = preview(over_budget, "dev", today="2026-12-15")
    assert code == 0, refusals(report, "finops-cost-vs-budget")
    assert report["summary"]["budgetUsd"] == 1000.0
    assert any("$1,000.00 ($600.00 + increase FIN-77 of $400.00" in note for note in report["notes"])


def test_after_the_window_it_is_refused_again_and_the_increase_said_expired(over_budget: Path) -> None:
    add_to_budget(over_budget, "dev", INCREASE)
    code, report = preview(over_budget, "dev", today="2027-01-02")
    [refused] = refusals(report, "finops-cost-vs-budget")
    assert code == 1 and "increase FIN-77 of $400.00 (2026-12-01 to 2026-12-31) expired on 2026-12-31" in refused


def test_the_report_allocates_by_owner_against_the_raised_budget(over_budget: Path) -> None:
    add_to_budget(over_budget, "dev", INCREASE)
    completed = run_cli("report", "--stacks", "dev", "-C", str(over_budget), "--format", "json",
                        env={"FINOPS_TODAY": "2026-12-15"})
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["allocation"]["owner"] == {"jdoe": 755.55}
    [dev] = [b for b in report["budgets"] if b["environment"] == "dev" and b["team"] is None]
    assert dev["budgetUsd"] == 1000.0
    assert any("increase FIN-77 of $400.00" in note for note in report["notes"])


def test_an_expired_increase_is_reported_even_when_the_estimate_fits(project: Path) -> None:
    add_to_budget(project, "dev", INCREASE)
    stack(project, "dev", instances="1")
    code, report = preview(project, "dev", today="2027-01-02")
    [said] = [v for v in report["violations"] if v["policy"] == "finops-cost-vs-budget-warning"]
    assert code == 0 and said["enforcementLevel"] == "advisory"
    assert "increase FIN-77 of $400.00 (2026-12-01 to 2026-12-31) expired on 2026-12-31" in said["message"]
