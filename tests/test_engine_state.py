"""``finops preview --from-state`` and ``read_state``: the deployed resources of ``pulumi stack
export``, judged as ``pulumi policy analyze`` does and priced, default tags included."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import PACK_DIR, ROOT, run_cli
from finops_preview.engine_state import read_state
from finops_preview.formats import RENDERERS, render
from finops_preview.model import PreviewResult
from finops_preview.preview import PreviewOptions, run_preview

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

STATE = ROOT / "tests" / "fixtures" / "engine" / "state-dev.json"
SAMPLES = ROOT.parent / "shared" / "reference" / "pulumi-engine-samples"
SECRET_OWNER = "s3cr3t-owner-value"


def finops(*args: str) -> subprocess.CompletedProcess[str]:
    """``finops ARGS`` in this process (conftest.run_cli: the exit code and output a process would give)."""
    return run_cli(*args)


@pytest.fixture(scope="module")
def deployed() -> PreviewResult:
    return run_preview(PreviewOptions(cwd=ROOT, from_state=STATE, policy_packs=[PACK_DIR]))


def test_read_state_returns_the_resources_as_the_runner_records_them() -> None:
    resources = {r.name: r for r in read_state(STATE)}
    assert set(resources) >= {"web", "db", "p", "api", "default_6_83_0"}
    web = resources["web"]
    assert web.inputs["instanceType"] == "t3.medium" and "__defaults" not in web.inputs
    assert "__meta" not in web.outputs
    assert (web.source_file, web.source_line) == ("__main__.py", 7)
    db = resources["db"]
    assert db.inputs["password"] == {"__secret": "[secret]"}             # a ciphertext stays unreadable
    assert db.inputs["tags"]["Owner"] == {"__secret": SECRET_OWNER}      # --show-secrets: the value, marked
    assert resources["p"].inputs["function"] == "fn-123"                 # a resource reference: its id
    assert not resources["api"].custom


def test_deployed_resources_are_priced_in_their_providers_region(deployed: PreviewResult) -> None:
    assert deployed.region == "eu-west-1"
    rows = {r.name: r for r in deployed.resources}
    assert set(rows) == {"web", "db", "p"}  # custom resources only: no stack, component or provider
    assert rows["web"].monthly_usd and rows["db"].monthly_usd


def test_default_tags_of_the_provider_count(deployed: PreviewResult) -> None:
    web = next(r for r in deployed.resources if r.name == "web")
    assert (web.team, web.service) == ("devops", "audit")
    assert not [v for v in deployed.mandatory if v.policy == "finops-required-tags" and "'web'" in v.resource]


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_no_secret_of_the_state_reaches_a_report(deployed: PreviewResult, fmt: str) -> None:
    text = render(deployed, fmt)
    assert SECRET_OWNER not in text and "c2VjcmV0LWNpcGhlcg" not in text


def test_from_state_exits_as_a_preview() -> None:
    completed = finops("preview", "--from-state", str(STATE), "--policy-pack", str(PACK_DIR), "--json")
    assert completed.returncode in (0, 1), completed.stderr
    assert json.loads(completed.stdout)["summary"]["resources"] == 3
    wrong = finops("preview", "--from-state", str(STATE), "-s", "prod", "--policy-pack", str(PACK_DIR))
    assert wrong.returncode == 2 and "stack 'dev'" in wrong.stderr


def test_a_plan_given_as_state_is_bad_input() -> None:
    completed = finops("preview", "--from-state", str(ROOT / "tests" / "fixtures" / "engine" / "plan-dev.json"),
                       "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 2 and "use --from-plan" in completed.stderr


def _sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"real engine samples are not here ({SAMPLES}): they live outside the project")
    return path


@pytest.mark.parametrize("name", ["export--stratify--sample-export.json",
                                  "export--drift-adopter--aws_secret_input_state.json",
                                  "export--pulumi-eks--tags-3.0.0.json",
                                  "export--pulumi-eks--oidc-iam-sa-3.0.0.json",
                                  "export--pulumi-eks--managed-nodegroups-3.0.0.json",
                                  "export--pulumi-awsx--ts-lb-attach-ec2-1.0.6.json",
                                  "export--pulumi-aws--rds-instance-5.42.0.json"])
def test_real_exports_are_judged_and_priced(name: str) -> None:
    path = _sample(name)
    resources = read_state(path)
    result = run_preview(PreviewOptions(cwd=ROOT, from_state=path, policy_packs=[PACK_DIR]))
    custom = [r for r in resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert len(result.resources) == len(custom)
    assert result.violations


def test_real_export_sizes_are_read() -> None:
    rds = run_preview(PreviewOptions(cwd=ROOT, from_state=_sample("export--pulumi-aws--rds-instance-5.42.0.json"),
                                     policy_packs=[PACK_DIR]))
    (db,) = rds.resources
    assert db.monthly_usd and "db.t4g.micro" in db.basis
    eks = run_preview(PreviewOptions(cwd=ROOT, from_state=_sample("export--pulumi-eks--managed-nodegroups-3.0.0.json"),
                                     policy_packs=[PACK_DIR]))
    node_groups = [r for r in eks.resources if r.type == "aws:eks/nodeGroup:NodeGroup"]
    assert len(node_groups) == 5 and all(r.monthly_usd for r in node_groups)


def test_real_export_ciphertext_never_reaches_a_report() -> None:
    path = _sample("export--pulumi-aws--rds-instance-5.42.0.json")
    ciphertexts = [r.outputs.get("password") for r in read_state(path) if r.type == "aws:rds/instance:Instance"]
    assert ciphertexts == [{"__secret": "[secret]"}]
    result = run_preview(PreviewOptions(cwd=ROOT, from_state=path, policy_packs=[PACK_DIR]))
    assert "v1:" not in render(result, "json")
