"""The files the real Pulumi CLI reads, checked against what Pulumi documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "reference" / "pulumi-project.schema.json"


@pytest.mark.skipif(not SCHEMA.exists(), reason=f"Pulumi's project schema is not at {SCHEMA}: it is reference "
                    "material beside the repository (../shared/reference), not ours to ship; clones elsewhere "
                    "skip this check")
def test_pulumi_yaml_validates_against_pulumis_project_schema() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    jsonschema.validate(project, json.loads(SCHEMA.read_text()))
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    assert project["stackConfigDir"] == "stacks"


def test_policy_pack_project_file() -> None:
    policy = yaml.safe_load((ROOT / "policy_pack" / "PulumiPolicy.yaml").read_text())
    assert policy["runtime"]["name"] == "python"
    venv = ROOT / "policy_pack" / policy["runtime"]["options"]["virtualenv"]
    assert venv.resolve() == (ROOT / ".venv").resolve()  # the venv `make setup` builds
    assert isinstance(policy["version"], str) and policy["description"]


@pytest.mark.parametrize("pack", ["policy_pack", "policy_pack/finops_policies/pack"])
def test_policy_pack_requirements_are_pip_requirements(pack: str) -> None:
    # As pip reads them: a comment starts at a '#' at the line's start or after whitespace.
    text = (ROOT / pack / "requirements.txt").read_text()
    lines = [re.sub(r"(^|\s)#.*$", "", line).strip() for line in text.splitlines()]
    names = {Requirement(line).name for line in lines if line}
    assert {"pulumi", "pulumi-policy"} <= names


def test_the_pack_installed_with_the_library_uses_the_python_on_path() -> None:
    # No runtime.options.virtualenv: the CLI runs it with the python3 of the team's activated venv.
    policy = yaml.safe_load((ROOT / "policy_pack" / "finops_policies" / "pack" / "PulumiPolicy.yaml").read_text())
    assert policy["runtime"] == "python" and isinstance(policy["version"], str) and policy["description"]
    package_data = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    shipped = package_data["package-data"]["finops_policies"]
    assert {"pack/PulumiPolicy.yaml", "pack/__main__.py", "pack/requirements.txt"} <= set(shipped)


def test_no_package_is_called_components() -> None:
    # Teams' stack repos often have a components/ folder; ours must not shadow it.
    assert not (ROOT / "components" / "__init__.py").exists()
    assert (ROOT / "components" / "finops_components" / "__init__.py").exists()


def test_ci_posts_the_comment_and_uploads_sarif_even_when_the_preview_fails() -> None:
    from finops_preview.formats import RENDERERS

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "finops.yml").read_text())
    steps = workflow["jobs"]["offline-preview"]["steps"]
    preview = next(s for s in steps if s.get("id") == "preview")
    # The preview step never stops the job itself: it keeps the exit code for the verdict.
    assert preview["run"].lstrip().startswith("set +e") and preview["run"].rstrip().endswith("exit 0")
    assert "exit-code=$code" in preview["run"]
    # One run writes every report (--report FORMAT=FILE), so they cannot disagree.
    assert preview["run"].count("finops preview") == 1
    formats = set(re.findall(r'--report "(\w+)=', preview["run"]))
    assert formats == {"markdown", "sarif", "junit"} and formats <= set(RENDERERS)
    comment = next(s for s in steps if s.get("uses", "").startswith("marocchino/sticky-pull-request-comment@"))
    assert "always()" in comment["if"] and comment["with"]["path"].endswith(".md") and comment["with"]["header"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert "always()" in upload["if"] and upload["with"]["sarif_file"].endswith(".sarif")
    assert "head.repo.full_name == github.repository" in upload["if"]  # a fork's PR may not upload
    assert "id-token" not in workflow["jobs"]["offline-preview"]["permissions"]  # no cloud role offline
    verdict = steps[-1]
    assert "always()" in verdict["if"] and "steps.preview.outputs.exit-code" in verdict["run"]
    assert steps.index(comment) < steps.index(verdict) and steps.index(upload) < steps.index(verdict)
