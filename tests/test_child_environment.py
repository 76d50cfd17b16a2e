"""The CLI keeps credentials away from the programs and packs it runs, and a program that reaches
for AWS offline is told which call it made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from finops_preview.analyzer import PolicyPackProcess
from finops_preview.child_environment import child_environment

SECRETS = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY000001", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-secret-value",
           "AWS_SESSION_TOKEN": "FwoGZXIvYXdzE-session-token", "PULUMI_ACCESS_TOKEN": "pul-0123456789abcdef",
           "PULUMI_CONFIG_PASSPHRASE": "passphrase-value", "GITHUB_TOKEN": "ghp_example_token_value"}
PROGRAM = """
import os, sys
print("ENVIRON " + repr(sorted(os.environ.items())), file=sys.stderr)
{extra}
"""


def _project(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: probe\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(PROGRAM.format(extra=extra))
    return tmp_path


def _preview(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SECRETS, "FINOPS_PROBE": "kept"}
    return subprocess.run([sys.executable, "-m", "finops_preview", "preview", "-C", str(project), "-s", "dev"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_program_that_prints_its_environment_shows_no_credentials(tmp_path: Path) -> None:
    completed = _preview(_project(tmp_path))
    output = completed.stdout + completed.stderr
    [line] = [line for line in output.splitlines() if line.startswith("ENVIRON ")]
    for name, value in SECRETS.items():
        assert name not in line and value not in output, name
    assert "('FINOPS_PROBE', 'kept')" in line          # finops' own settings pass
    assert "('PATH'," in line and "('AWS_EC2_METADATA_DISABLED', 'true')" in line


def test_a_program_calling_aws_offline_is_told_which_call(tmp_path: Path) -> None:
    pytest.importorskip("boto3", reason="the program under test calls AWS through boto3")
    extra = "import boto3\nboto3.client('sts', region_name='eu-west-1').get_caller_identity()\n"
    completed = _preview(_project(tmp_path, extra))
    assert completed.returncode != 0
    assert "the program called AWS (sts GetCallerIdentity, through boto3) during the offline preview" in (
        completed.stderr)
    assert "Traceback" not in completed.stderr.split("ENVIRON", 1)[0]


def test_the_policy_pack_runs_without_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import json, os\n"
        "from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy\n"
        "with open('environ.json', 'w') as out:\n    json.dump(dict(os.environ), out)\n"
        "PolicyPack('probe', enforcement_level=EnforcementLevel.ADVISORY, policies=[ResourceValidationPolicy(\n"
        "    name='noop', description='does nothing', validate=lambda args, report: None)])\n")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    with PolicyPackProcess(tmp_path, stack="dev", project="probe") as pack:
        pack.handshake()
    seen = json.loads((tmp_path / "environ.json").read_text())
    assert not set(SECRETS) & set(seen)
    assert seen["PULUMI_STACK"] == "dev" and seen["PULUMI_PROJECT"] == "probe"   # what the engine sets


def test_the_allow_list() -> None:
    env = child_environment({"PULUMI_STACK": "dev"}, source={**SECRETS, "HOME": "/home/u", "LC_ALL": "C",
                                                             "FINOPS_RULES_FILE": "r.yaml", "AWS_PROFILE": "prod"})
    assert env == {"HOME": "/home/u", "LC_ALL": "C", "FINOPS_RULES_FILE": "r.yaml", "PULUMI_STACK": "dev",
                   "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_CONFIG_FILE": os.devnull,
                   "AWS_EC2_METADATA_DISABLED": "true"}
