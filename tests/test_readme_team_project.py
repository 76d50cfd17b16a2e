"""The README's team project, exactly as written there: its files copied into an empty directory
and its commands run. A newcomer who copies it gets exit 0, not a budget-alerts failure."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

# Packs shared and runs replayed (conftest): the README's commands are the subject, not the runner.
pytestmark = pytest.mark.usefixtures("program_replay")

SECTION = "## Using the components in your own stack"
FILE_NAME = re.compile(r"`(Pulumi(?:\.\w+)?\.yaml|__main__\.py)`")
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def readme_project() -> tuple[dict[str, str], list[str]]:
    """The files (name -> text) and the shell commands of the README's team section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", len(SECTION))]
    files: dict[str, str] = {}
    commands: list[str] = []
    end = 0
    for block in BLOCK.finditer(section):
        language, body = block.groups()
        named = FILE_NAME.findall(section[end:block.start()])
        if language in ("yaml", "python") and named:
            files[named[0]] = body
        elif language == "sh":
            commands += [line.split("#")[0].strip() for line in body.splitlines() if line.strip()]
        end = block.end()
    return files, commands


def test_the_readme_team_project_previews_cleanly(tmp_path: Path) -> None:
    files, commands = readme_project()
    assert set(files) == {"Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"}, files
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    assert "owner" in files["Pulumi.dev.yaml"] and "finops:coveredByBudget" in files["Pulumi.dev.yaml"]
    preview = next(c for c in commands if c.startswith("finops preview"))
    completed = run_cli(*shlex.split(preview)[1:], cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 mandatory" in completed.stdout
    assert any('--policy-pack "$(finops pack)"' in c for c in commands)
    pack = run_cli("pack")
    assert pack.returncode == 0 and (Path(pack.stdout.strip()) / "PulumiPolicy.yaml").is_file(), pack.stderr


ORGANISATION_RULES = ROOT / "examples" / "other-organisation-rules.yaml"


def _team_project(directory: Path, team: str, service: str, extra_config: str = "") -> Path:
    files, _ = readme_project()
    for name, body in files.items():
        if name == "__main__.py":
            body = body.replace('service="ui", team="frontend"', f'service="{service}", team="{team}"')
            body = body.replace('LogGroupArgs(service="ui")', f'LogGroupArgs(service="{service}")')
        (directory / name).write_text(body + (extra_config if name == "Pulumi.dev.yaml" else ""), encoding="utf-8")
    return directory


def test_a_team_outside_the_rules_is_refused_with_the_way_to_an_organisations_own(tmp_path: Path) -> None:
    project = _team_project(tmp_path, "payments", "checkout")
    completed = run_cli("preview", "-s", "dev", cwd=project)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    (line,) = completed.stderr.strip().splitlines()
    assert "team: found 'payments'; expected one of backend, frontend, devops, security" in line
    assert "--rules FILE or $FINOPS_RULES_FILE" in line and "examples/other-organisation-rules.yaml" in line


def test_the_example_rules_of_another_organisation_accept_its_teams(tmp_path: Path) -> None:
    project = _team_project(tmp_path, "payments", "checkout", "  checkout:costCenter: cc-100\n")
    completed = run_cli("preview", "-s", "dev", "--rules", str(ORGANISATION_RULES), cwd=project)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 mandatory" in completed.stdout
    by_env = run_cli("preview", "-s", "dev", cwd=project, env={"FINOPS_RULES_FILE": str(ORGANISATION_RULES)})
    assert by_env.returncode == 0, by_env.stdout + by_env.stderr
