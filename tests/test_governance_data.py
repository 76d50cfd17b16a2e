"""Governance data beyond the preview: budget increases as AWS Budgets planned limits, the
governance keys of budgets and waivers files (bad input is one line), owner spend from Cost
Explorer, and Pulumi's local policy exceptions map (read, and written by finops waivers export)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import finops_components as finops
import pytest
from conftest import PACK_DIR, ROOT, budgets_of, mandatory, run_cli, run_in, tags
from finops_core.budget_increases import budget_on, planned_limits
from finops_core.budget_plans import load_budget_plan
from finops_core.reading import ConfigError
from finops_core.waivers import load_waivers
from finops_preview.analyzer import PolicyPackProcess
from finops_preview.preview import PreviewOptions, run_preview

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

INCREASE = (ROOT / "tests/fixtures/governance/increase.yaml").read_text()
TIERS = ("approvalTiers:\n  - {upToUsd: 500, anyOf: [team-lead, head-of-platform]}\n"
         "  - {allOf: [head-of-platform, cfo]}\n")


@pytest.fixture
def budgets(tmp_path: Path) -> Path:
    directory = tmp_path / "budgets"
    directory.mkdir()
    (directory / "dev.yaml").write_text((ROOT / "budgets/dev.yaml").read_text() + INCREASE)
    return directory


def test_an_approved_increase_raises_the_months_its_window_touches(budgets: Path) -> None:
    plan = load_budget_plan("dev", budgets)
    months = planned_limits(plan, (), dt.date(2026, 11, 20))
    assert [m for m, _ in months] == [dt.date(2026, 11, 1)] + [dt.date(2026 + (m > 12), (m - 1) % 12 + 1, 1)
                                                               for m in range(12, 23)]
    assert dict(months)[dt.date(2026, 12, 1)] == 1000.0
    assert {a for m, a in months if m != dt.date(2026, 12, 1)} == {600.0}
    assert planned_limits(plan, (), dt.date(2027, 1, 5)) == []  # nothing raised from January on
    assert budget_on(plan, dt.date(2026, 12, 31)).limit == 1000.0  # the window includes its last day
    assert budget_on(plan, dt.date(2027, 1, 1)).limit == 600.0


def test_an_increase_missing_its_tiers_approval_plans_nothing(budgets: Path, tmp_path: Path) -> None:
    plan = load_budget_plan("dev", budgets)
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(TIERS.replace("upToUsd: 500", "upToUsd: 100") + "waivers: []\n")
    tiers = load_waivers(waivers).tiers
    assert planned_limits(plan, tiers, dt.date(2026, 11, 20)) != []  # both approved: above $100 too
    solo = load_budget_plan("dev", budgets)
    object.__setattr__(solo, "increases", tuple(i.__class__(i.amount, i.start, i.until, i.reason, i.ticket,
                                                            i.approvals[:1]) for i in solo.increases))
    assert planned_limits(solo, tiers, dt.date(2026, 11, 20)) == []
    [(_, gap)] = budget_on(solo, dt.date(2026, 12, 2), tiers).unapproved
    assert gap == "needs cfo: this increase lets through $400.00/month, above $100"


def test_budget_alerts_turns_an_increase_into_planned_limits(budgets: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FINOPS_TODAY", "2026-11-20")

    def program() -> None:
        finops.enforce(team="backend")
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(budgets_dir=str(budgets),
                                                              emergency_instance_ids=["i-0123456789abcdef0"]))

    budgets_made = budgets_of(run_in("shop", program))
    environment = budgets_made["shop-dev-backend"]
    assert "limitAmount" not in environment  # AWS refuses BudgetLimit beside PlannedBudgetLimits
    planned = {p["startTime"]: p["amount"] for p in environment["plannedLimits"]}
    assert len(planned) == 12 and planned["2026-12-01_00:00"] == "1000.00" and planned["2026-11-01_00:00"] == "600.00"
    assert {p["unit"] for p in environment["plannedLimits"]} == {"USD"}
    # the alerts stay shares of the month's limit; team budgets keep their own fixed limits
    assert sorted(n["threshold"] for n in environment["notifications"] if n["notificationType"] == "ACTUAL") == \
        [50, 75, 90]
    assert budgets_made["shop-dev-backend-frontend"]["limitAmount"] == "100.00"


@pytest.mark.parametrize(("text", "expected"), [
    ("increases:\n  - {amountUsd: 400, from: 2026-12-01, until: 2026-11-01, reason: r, ticket: T}\n",
     "increases[0].until: found '2026-11-01'; expected a date on or after 2026-12-01"),
    ("increases:\n  - {amountUsd: -4, from: 2026-12-01, until: 2026-12-02, reason: r, ticket: T}\n",
     "increases[0].amountUsd: found -4; expected an amount in USD greater than 0"),
    ("owners:\n  jdoe: lots\n", "owners.jdoe: found 'lots'"),
    ("increases:\n  - {amountUsd: 4, from: 2026-12-01, until: 2026-12-02, reason: r, ticket: T,\n"
     "     approvals: [{on: x}]}\n",
     "increases[0].approvals[0].by: found <missing>; expected a lowercase user name"),
])
def test_bad_governance_keys_of_a_budget_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "dev.yaml").write_text((ROOT / "budgets/dev.yaml").read_text() + text)
    with pytest.raises(ConfigError) as raised:
        load_budget_plan("dev", tmp_path)
    assert expected in str(raised.value) and "dev.yaml:" in str(raised.value)


@pytest.mark.parametrize(("tiers", "expected"), [
    ("approvalTiers:\n  - {anyOf: [a1]}\n  - {upToUsd: 5, allOf: [b1]}\n",
     "approvalTiers[0].upToUsd: found <missing>; expected a bound: only the last tier may have none"),
    ("approvalTiers:\n  - {upToUsd: 500, anyOf: [a1]}\n  - {upToUsd: 50, allOf: [b1]}\n",
     "approvalTiers[1].upToUsd: found 50; expected an amount above the tier before ($500)"),
    ("approvalTiers:\n  - {upToUsd: 500}\n", "approvalTiers[0]: found <no approvers>; expected anyOf or allOf"),
])
def test_bad_approval_tiers_apply_no_waiver_and_say_why(tmp_path: Path, tiers: str, expected: str) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(tiers + "waivers: []\n")
    loaded = load_waivers(path)
    assert loaded.waivers == [] and expected in loaded.problems[0]


def test_an_approval_counts_with_or_without_the_old_approver_key(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yaml"
    path.write_text(TIERS + "waivers:\n"
                    "  - {policy: finops-instance-size, reason: r, ticket: T-1, expires: 2099-01-01, approver: cfo,\n"
                    "     approvals: [{by: head-of-platform, on: 2026-11-02}]}\n"
                    "  - {policy: finops-instance-size, reason: r, ticket: T-2, expires: 2099-01-01}\n")
    loaded = load_waivers(path)
    [waiver] = loaded.waivers
    assert waiver.approvers == ("cfo", "head-of-platform") and loaded.approval_gap(waiver, 50_000) is None
    assert "waivers[1].approver: found <missing>; expected the key approver or approvals" in loaded.problems[0]


# -- Pulumi's local policy exceptions: a map keyed by ID -------------------------------------------

PLAN = ROOT / "tests/fixtures/engine/plan-dev.json"
BIG = "urn:pulumi:dev::shop::aws:ec2/instance:Instance::big"


def test_an_exceptions_map_keyed_by_id_exempts_and_names_its_id(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"finops-budget-alerts": "advisory", "finops-cost-vs-budget": "advisory",
                                  "exceptions": {"EXC-42": {"reason": "load test", "match": [
                                      {"policies": ["finops-instance-size"], "targets": [BIG]}]}}}))
    result = run_preview(PreviewOptions(cwd=ROOT, from_plan=PLAN, policy_packs=[PACK_DIR], policy_pack_config=config))
    [exempted] = result.exempted
    assert exempted.policy == "finops-instance-size" and "[exempted by EXC-42: load test]" in exempted.message


def test_waivers_export_carries_the_approvals_and_only_waivers_their_tier_allows(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        TIERS + "waivers:\n"
        "  - policy: finops-instance-size\n    name: big\n    reason: load test\n    ticket: FIN-7\n"
        "    expires: 2099-01-31\n    approvals: [{by: head-of-platform, on: 2026-11-02}, {by: cfo, on: 2026-11-03}]\n"
        "  - policy: finops-required-tags\n    name: big\n    reason: tags next sprint\n    ticket: FIN-8\n"
        "    expires: 2099-01-31\n    approvals: [{by: team-lead}]\n")   # the instance costs more than $500
    exported = tmp_path / "exceptions.json"
    completed = run_cli("waivers", "export", "--from-plan", str(PLAN), "--policy-pack", str(PACK_DIR),
                        "--waivers", str(waivers), "-o", str(exported))
    assert completed.returncode == 0, completed.stderr
    exceptions = json.loads(exported.read_text())["exceptions"]
    assert list(exceptions) == ["FIN-7"]
    assert "approved by head-of-platform on 2026-11-02, cfo on 2026-11-03" in exceptions["FIN-7"]["reason"]


# -- over the Analyzer protocol (the session's pack) ----------------------------------------------

@pytest.mark.parametrize(("approvals", "needs"), [("[{by: head-of-platform}]", "needs cfo"),
                                                  ("[{by: head-of-platform}, {by: cfo}]", None)])
def test_over_the_analyzer_protocol_a_waiver_applies_only_with_its_tiers_approvals(
        pack: PolicyPackProcess, tmp_path: Path, approvals: str, needs: str | None) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(TIERS.replace("upToUsd: 500", "upToUsd: 5000") + "waivers:\n"
                       "  - {policy: finops-instance-size, name: ledger, reason: month end, ticket: FIN-90,\n"
                       f"     expires: 2099-01-31, approvals: {approvals}}}\n")
    pack.configure({"finops-waivers": {"file": str(waivers)}})
    try:
        found = pack.analyze("aws:ec2/instance:Instance", "ledger",
                             {"instanceType": "x1e.32xlarge", "tags": tags(Environment="prod")})
    finally:
        pack.configure({})
    refused = [d.message for d in mandatory(found, "finops-instance-size")]
    if needs is None:
        assert refused == [] and any(d.policy == "finops-waivers" for d in found)
    else:
        [message] = refused
        assert f"does not apply: {needs}: this waiver lets through $19," in message and "above $5,000" in message
