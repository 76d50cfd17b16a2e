"""What the suite's own machinery promises: a replayed program run is never a stale one, a pack
process kept across previews reads each preview's waivers and budgets afresh, and a pytest
session leaves no process behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from conftest import PACK_DIR, ROOT, program_key, run_cli
from proc_table import processes

FIXTURE = ROOT / "tests/fixtures/spending"


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "shop"


def test_the_program_key_follows_content_subfolders_the_library_and_the_programs_environment(
        stack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = program_key(stack, "dev")
    assert before is not None and program_key(stack, "dev") == before
    (stack / "helpers").mkdir()
    (stack / "helpers" / "sizes.py").write_text("SIZE = 1\n")
    in_subfolder = program_key(stack, "dev")
    assert in_subfolder != before
    (stack / "helpers" / "sizes.py").write_text("SIZE = 2\n")  # same name, other bytes
    assert program_key(stack, "dev") != in_subfolder
    changed = program_key(stack, "dev")
    # The key follows the environment the program gets (finops' allow-list), not ours: a variable
    # that reaches the program changes it; an AWS_* one, which never reaches it, does not.
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")
    assert program_key(stack, "dev") == changed
    monkeypatch.setenv("FINOPS_TODAY", "2027-02-01")
    assert program_key(stack, "dev") not in (before, in_subfolder, changed)
    assert program_key(stack, "staging") != program_key(stack, "dev")


def test_a_change_to_the_librarys_data_changes_the_key(stack: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import conftest

    library = tmp_path / "library"
    shutil.copytree(ROOT / "core" / "finops_core" / "data", library / "data")
    monkeypatch.setattr(conftest, "LIBRARY_DIRS", (library,))
    before = program_key(stack, "dev")
    rules = library / "data" / "rules.yaml"
    rules.write_text(rules.read_text().replace("maxVcpus: 2", "maxVcpus: 3", 1))
    assert program_key(stack, "dev") != before


@pytest.mark.usefixtures("program_replay")
def test_under_the_replay_a_second_preview_of_the_same_program_does_not_run_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The program counts its own runs in a file beside the project (a FINOPS_ variable, which
    # reaches it); the CLI imports a command's modules only when it runs, after the fixture's set-up.
    project, runs = tmp_path / "counted", tmp_path / "runs.txt"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: counted\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (project / "__main__.py").write_text("import os\nimport pulumi\n\nwith open(os.environ['FINOPS_TEST_RUNS'], 'a') "
                                         "as f:\n    f.write('run\\n')\n")
    monkeypatch.setenv("FINOPS_TEST_RUNS", str(runs))
    for _ in range(2):
        completed = run_cli("preview", "-s", "dev", "-C", str(project), "--policy-pack", str(PACK_DIR), "--json")
        assert completed.returncode in (0, 1), completed.stderr  # 1: the stack has no budget alerts
    assert runs.read_text() == "run\n"
    (project / "__main__.py").write_text((project / "__main__.py").read_text() + "# changed\n")
    run_cli("preview", "-s", "dev", "-C", str(project), "--policy-pack", str(PACK_DIR), "--json")
    assert runs.read_text() == "run\nrun\n"  # another program: run for real


@pytest.mark.usefixtures("program_replay")
def test_a_kept_pack_reads_each_previews_budget_and_waivers_afresh(stack: Path) -> None:
    (stack / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n  finops:coveredByBudget: frontend-dev\n"
                                           "  shop:team: frontend\n  shop:instances: \"1\"\n")

    def preview() -> dict[str, object]:
        completed = run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR), "--json")
        return json.loads(completed.stdout)

    first = preview()
    assert first["summary"]["budgetUsd"] == 600.0  # type: ignore[index]
    budget = stack / "budgets" / "dev.yaml"
    budget.write_text(budget.read_text().replace("monthlyLimit: 600", "monthlyLimit: 10")
                      .replace("backend: 200", "backend: 1").replace("frontend: 100", "frontend: 1")
                      .replace("devops: 200", "devops: 1").replace("security: 100", "security: 1"))
    second = preview()
    [refused] = [v for v in second["violations"] if v["policy"] == "finops-cost-vs-budget"]  # type: ignore[attr-defined]
    assert "of the dev budget of $10.00" in refused["message"] and second["summary"]["budgetUsd"] == 10.0  # type: ignore[index]
    (stack / "waivers.yaml").write_text(
        "approvers:\n  budget: [cfo]\nwaivers:\n  - policy: finops-cost-vs-budget\n    stack: dev\n"
        "    reason: a test\n    approver: cfo\n    ticket: FIN-1\n    expires: 2999-01-01\n")
    third = preview()
    assert [v for v in third["violations"] if v["policy"] == "finops-cost-vs-budget"] == []  # type: ignore[attr-defined]


def _processes_marked(marker: str) -> list[str]:
    """Command lines of the processes whose environment holds ``marker``."""
    return [p.command for p in processes(with_environ=True) if marker.encode() in p.environ]


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc to list processes")
def test_a_pytest_session_leaves_no_process_of_the_project(tmp_path: Path) -> None:
    # A small session that starts the shared pack, a kept preview pack and a program: after it,
    # no process it started (they inherit the marker) may be left, least of all one naming ROOT.
    marker = f"FINOPS_SUBSESSION_{uuid.uuid4().hex}"
    env = {**os.environ, marker: "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "sub"),
         "tests/test_policy_budget.py::test_budget_with_50_75_90_and_a_subscriber_passes",
         "tests/test_one_total.py::test_a_usage_amount_just_past_the_warning_line_warns"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    deadline = time.monotonic() + 2
    left = _processes_marked(marker)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = _processes_marked(marker)
    assert left == [], left
    assert not [command for command in left if str(ROOT) in command]


def test_a_run_forked_from_the_fork_server_is_the_run_the_runner_starts(program_forks: Any) -> None:
    # The replay's real runs are children of a fork server that imported the SDKs (conftest,
    # program_forks.py); the runner starts each program as a process of its own. Same resources.
    import conftest
    from finops_preview.runner import run_stack
    from program_forks import ForkedProcess

    project = ROOT / "tests/fixtures/report"
    spawned = run_stack(project, "staging")
    with conftest._forked_program_class(program_forks)(project, "staging") as program:
        forked = program.wait()
        assert isinstance(program._process, ForkedProcess)  # a child of the server, not a process of its own
    assert len(forked.resources) == len(spawned.resources) >= 5
    # (registrations arrive in the order the program's outputs resolve, which may differ by run)
    assert sorted((asdict(r) for r in forked.resources), key=lambda r: r["urn"]) == \
        sorted((asdict(r) for r in spawned.resources), key=lambda r: r["urn"])

