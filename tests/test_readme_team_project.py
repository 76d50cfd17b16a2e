"""The README's team project, exactly as written there: its files copied into an empty directory
and its commands run. A newcomer who copies it gets exit 0, not a budget-alerts failure."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from conftest import ROOT, run_cli

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
