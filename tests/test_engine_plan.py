"""``finops preview --from-plan``: the engine's own plan (``pulumi preview --json``), judged over
the Analyzer protocol and priced, with the plan's own cost difference."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import PACK_DIR, ROOT, run_cli
from finops_core.values import UNKNOWN_STRING as UNKNOWN
from finops_preview.engine_plan import read_plan
from finops_preview.formats import render
from finops_preview.model import PreviewResult, RemediationRow
from finops_preview.preview import PreviewOptions, run_preview

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

PLAN = ROOT / "tests" / "fixtures" / "engine" / "plan-dev.json"
SAMPLES = ROOT.parent / "shared" / "reference" / "pulumi-engine-samples"


def finops(*args: str) -> subprocess.CompletedProcess[str]:
    """``finops ARGS`` in this process (conftest.run_cli: the exit code and output a process would give)."""
    return run_cli(*args)


@pytest.fixture(scope="module")
def planned() -> PreviewResult:
    return run_preview(PreviewOptions(cwd=ROOT, from_plan=PLAN, policy_packs=[PACK_DIR]))


def test_the_plan_is_judged_by_the_same_policies(planned: PreviewResult) -> None:
    found = {(v.policy, v.resource) for v in planned.mandatory}
    assert ("finops-instance-size", "aws:ec2/instance:Instance 'big'") in found
    assert ("finops-required-tags", "aws:ec2/instance:Instance 'big'") in found
    # The deleted instance is not judged, and the updated database with its valid tags passes.
    assert not [v for v in planned.violations if "'old'" in v.resource]
    assert not [v for v in planned.mandatory if "'db'" in v.resource]


def test_the_estimate_is_the_stack_after_the_update(planned: PreviewResult) -> None:
    assert planned.stack == "dev" and planned.project == "shop" and planned.environment == "dev"
    assert sorted(r.name for r in planned.resources) == ["big", "data", "db"]  # 'old' is deleted
    big = next(r for r in planned.resources if r.name == "big")
    assert big.monthly_usd is not None and big.monthly_usd > 1000  # m5.24xlarge in us-east-1
    assert (big.source_file, big.source_line) == ("__main__.py", 12)


def test_the_cost_difference_is_the_plans_own_delta(planned: PreviewResult) -> None:
    diff = planned.baseline
    assert diff is not None and "plan-dev.json" in diff.source
    changes = {c.name: c for c in diff.changes}
    assert changes["big"].before == 0 and changes["big"].after > 1000
    assert changes["old"].after == 0 and changes["old"].before > 0   # deletion lowers the cost
    assert "data" not in changes                                    # replaced by the same size: no change
    assert diff.total_after == planned.total_usd


def test_unknowns_and_secrets_are_read_as_the_engine_writes_them(planned: PreviewResult) -> None:
    big = next(r for r in planned.resources if r.name == "big")
    assert big.inputs["subnetId"] == UNKNOWN
    assert big.inputs["userData"] == "[secret]"
    assert "__defaults" not in big.inputs


def test_the_plan_counts_resources_it_leaves_out(planned: PreviewResult) -> None:
    assert read_plan(PLAN).omitted_sames == 2
    assert any("leaves out 2 unchanged resources" in note for note in planned.notes)


def test_exit_codes_and_the_increase_guard_as_for_a_program(tmp_path: Path) -> None:
    completed = finops("preview", "--from-plan", str(PLAN), "--policy-pack", str(PACK_DIR), "--json")
    assert completed.returncode == 1
    report = json.loads(completed.stdout)
    assert report["summary"]["mandatory"] >= 2
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"all": "advisory"}))
    guarded = finops("preview", "--from-plan", str(PLAN), "--policy-pack", str(PACK_DIR),
                     "--policy-pack-config", str(config), "--max-increase-usd", "100")
    assert guarded.returncode == 1 and "rises by" in guarded.stdout


def test_policy_exceptions_exempt_violations_and_are_reported(tmp_path: Path) -> None:
    urn = "urn:pulumi:dev::shop::aws:ec2/instance:Instance::big"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "finops-budget-alerts": "advisory", "finops-cost-vs-budget": "advisory",
        "exceptions": [{"reason": "load test until January (FIN-1)", "match": [
            {"policies": ["finops-instance-size", "finops-required-tags"], "targets": [urn]}]}]}))
    result = run_preview(PreviewOptions(cwd=ROOT, from_plan=PLAN, policy_packs=[PACK_DIR],
                                        policy_pack_config=config))
    assert not result.mandatory and not result.failed
    exempted = {v.policy for v in result.exempted}
    assert exempted == {"finops-instance-size", "finops-required-tags"}
    assert all("load test until January" in v.message for v in result.exempted)
    assert "[exempted]" in render(result, "table")


def test_an_expired_exception_no_longer_applies(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    urn = "urn:pulumi:dev::shop::aws:ec2/instance:Instance::big"
    config.write_text(json.dumps({"exceptions": [{
        "reason": "over", "expiresAt": "2020-01-01T00:00:00Z",
        "match": [{"policies": ["finops-instance-size"], "targets": [urn]}]}]}))
    result = run_preview(PreviewOptions(cwd=ROOT, from_plan=PLAN, policy_packs=[PACK_DIR],
                                        policy_pack_config=config))
    assert "finops-instance-size" in {v.policy for v in result.mandatory}


@pytest.mark.parametrize(("text", "expected"), [
    ("{\"steps\": [{\"op\": \"explode\", \"urn\": \"x\"}]}", "steps[0].op"),
    ("{\"version\": 3, \"deployment\": {\"resources\": []}}", "use --from-state"),
    ("{\"steps\": [", "malformed JSON"),
    ("[]", "pulumi preview --json"),
])
def test_a_file_that_is_not_a_plan_is_bad_input(tmp_path: Path, text: str, expected: str) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(text)
    completed = finops("preview", "--from-plan", str(plan), "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and expected in completed.stderr and "Traceback" not in completed.stderr


def _sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"real engine samples are not here ({SAMPLES}): they live outside the project")
    return path


@pytest.mark.parametrize("name", ["preview--stratify--sample-preview-creates.json",
                                  "preview--drift-adopter--aws_tags_and_sets.json",
                                  "preview--drift-adopter--aws_secret_input.json"])
def test_real_plans_are_judged_and_priced(name: str) -> None:
    path = _sample(name)
    data = json.loads(path.read_text())
    result = run_preview(PreviewOptions(cwd=ROOT, from_plan=path, policy_packs=[PACK_DIR]))
    kept = {s["urn"] for s in data["steps"] if s["op"] != "delete" and (s.get("newState") or {}).get("custom")
            and "pulumi:providers:" not in s["urn"]}
    assert {r.urn for r in result.resources} == kept
    assert result.violations  # real stacks without our tags are judged
    for row in result.resources:
        assert row.monthly_usd is not None or row.basis  # priced, usage-priced or saying why not


def test_real_plan_tags_are_read(tmp_path: Path) -> None:
    result = run_preview(PreviewOptions(cwd=ROOT, from_plan=_sample("preview--drift-adopter--aws_tags_and_sets.json"),
                                        policy_packs=[PACK_DIR]))
    bucket = next(r for r in result.resources if r.type == "aws:s3/bucket:Bucket")
    assert bucket.environment == "production"
    messages = " ".join(v.message for v in result.violations if v.policy == "finops-required-tags")
    assert "production" in messages  # the plan's Environment tag, outside the allowed values


def test_real_plan_secrets_never_reach_a_report() -> None:
    result = run_preview(PreviewOptions(cwd=ROOT, from_plan=_sample("preview--drift-adopter--aws_secret_input.json"),
                                        policy_packs=[PACK_DIR]))
    secure = [r for r in result.resources if r.inputs.get("type") == "SecureString"]
    assert secure and all(r.inputs["value"] == "[secret]" for r in secure)


def test_waivers_export_writes_pulumi_exceptions_that_exempt_the_same_violations(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - policy: finops-instance-size\n    stack: dev\n    type: aws:ec2/instance:Instance\n    name: big\n"
        "    reason: load test\n    approver: head-of-platform\n    ticket: FIN-7\n    expires: 2099-01-31\n"
        "  - policy: finops-required-tags\n    name: nothing-like-this\n"
        "    reason: unused\n    approver: head-of-platform\n    ticket: FIN-8\n    expires: 2099-01-31\n")
    exported = tmp_path / "exceptions.json"
    completed = finops("waivers", "export", "--from-plan", str(PLAN), "--policy-pack", str(PACK_DIR),
                       "--waivers", str(waivers), "-o", str(exported))
    assert completed.returncode == 0, completed.stderr
    # Pulumi's local shape: a map keyed by the exception's ID (the waiver's ticket), reason and match.
    exceptions = json.loads(exported.read_text())["exceptions"]
    assert list(exceptions) == ["FIN-7"] and set(exceptions["FIN-7"]) == {"reason", "match"}
    exception = exceptions["FIN-7"]
    assert exception["match"] == [{"policies": ["finops-instance-size"],
                                   "targets": ["urn:pulumi:dev::shop::aws:ec2/instance:Instance::big"]}]
    assert "approved by head-of-platform" in exception["reason"] and "until 2099-01-31" in exception["reason"]
    result = run_preview(PreviewOptions(cwd=ROOT, from_plan=PLAN, policy_packs=[PACK_DIR],
                                        policy_pack_config=exported))
    assert [v.policy for v in result.exempted] == ["finops-instance-size"]


def test_waivers_export_names_a_missing_waivers_file(tmp_path: Path) -> None:
    completed = finops("waivers", "export", "--from-plan", str(PLAN), "--waivers", str(tmp_path / "none.yaml"))
    assert completed.returncode == 2 and "none.yaml" in completed.stderr and completed.stderr.count("\n") == 1


def test_default_tags_from_the_plans_config_count(tmp_path: Path) -> None:
    from conftest import VALID_TAGS

    plan = json.loads(PLAN.read_text())
    plan["config"]["aws:defaultTags"] = json.dumps({"tags": VALID_TAGS})  # config values are strings
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    result = run_preview(PreviewOptions(cwd=ROOT, from_plan=path, policy_packs=[PACK_DIR]))
    big = next(r for r in result.resources if r.name == "big")
    assert (big.team, big.service) == ("backend", "ssa")
    assert not [v for v in result.violations if v.policy == "finops-required-tags" and "'big'" in v.resource]


def test_a_lambda_from_a_plan_reports_no_code_hash_change_after_remediation() -> None:
    # The plan's archive carries the engine's hash; the policy SDK sends the archive back without
    # it. Only what the policy changed (the tags) is reported.
    archive = {"4dabf18193072939515e22adb298388d": "0def7320c3a5731c473e5ecbe6d01bc7",
               "assets": {"app.py": {"4dabf18193072939515e22adb298388d": "c44067f5952c0a294b673a41bacd8c17",
                                     "text": "def handler(e, c): pass"}}}
    before = {"code": {**archive, "hash": "0f3c5a"}, "runtime": "python3.12", "tags": {}}
    after = {"code": archive, "runtime": "python3.12", "tags": {"Team": "backend"}}
    row = RemediationRow.of("finops-required-tags", "finops-guardrails", "urn", "aws:lambda/function:Function 'f'",
                            before, after)
    assert row.changed == ["tags.Team"]
