"""One total and one budget per `finops preview`: what the summary shows is what the policies judge.

The stack is a team's (tests/fixtures/spending) with one S3 bucket and no instance, so the usage
file's figure for the bucket is the whole estimate; the dev budget is the fixture's own file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import PACK_DIR, ROOT, run_cli

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

FIXTURE = ROOT / "tests/fixtures/spending"
AS_OF = {"FINOPS_TODAY": "2026-11-20"}  # the day of the fixture's spend snapshot
BUDGET = yaml.safe_load((FIXTURE / "budgets" / "dev.yaml").read_text())


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "shop" / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  finops:coveredByBudget: frontend-dev\n"
        "  shop:team: backend\n  shop:instances: \"0\"\n  shop:buckets: \"1\"\n")
    return tmp_path / "shop"


def preview(stack: Path, monthly_usd: float, *extra: str, output: str = "--json") -> Any:
    # Beside the project, not in it: the program's run is then the same for every amount (conftest).
    usage = stack.parent / "usage.yaml"
    usage.write_text(f"resources:\n  logs-0:\n    monthlyUsd: {monthly_usd:.2f}\n")
    return run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR), output,
                   "--usage-file", str(usage), *extra, env=AS_OF)


def budget_findings(completed: Any) -> list[tuple[str, str]]:
    return [(v["policy"], v["enforcementLevel"]) for v in json.loads(completed.stdout)["violations"]
            if v["policy"].startswith(("finops-cost-vs-budget", "finops-spending-limits"))]


def share(percent: float) -> float:
    return round(BUDGET["monthlyLimit"] * percent / 100, 2)


def test_the_budget_judges_the_usage_amounts_the_summary_shows(stack: Path) -> None:
    at_limit = preview(stack, share(100))
    assert at_limit.returncode == 0, at_limit.stdout[-2000:]
    assert json.loads(at_limit.stdout)["summary"]["budgetPercent"] == 100.0
    assert ("finops-cost-vs-budget", "mandatory") not in budget_findings(at_limit)
    over = preview(stack, share(100) + 0.01)
    assert over.returncode == 1
    assert json.loads(over.stdout)["summary"]["monthlyUsd"] == share(100) + 0.01
    assert ("finops-cost-vs-budget", "mandatory") in budget_findings(over)


def test_a_usage_amount_just_past_the_warning_line_warns(stack: Path) -> None:
    assert budget_findings(preview(stack, share(75))) == []
    near = preview(stack, share(75) + 0.01)
    assert near.returncode == 0
    assert budget_findings(near) == [("finops-cost-vs-budget-warning", "advisory")]


def test_a_spending_limit_at_the_limit_passes_and_a_cent_above_fails(stack: Path) -> None:
    # The fixture's snapshot projects backend at $80 of its budget: the bucket's usage is the change.
    room = BUDGET["teams"]["backend"] - 80.0
    spend = ("--spend", str(FIXTURE / "snapshot.json"))
    at_limit = preview(stack, room, *spend)
    assert ("finops-spending-limits", "mandatory") not in budget_findings(at_limit)
    assert at_limit.returncode == 0
    over = preview(stack, room + 0.01, *spend)
    assert ("finops-spending-limits", "mandatory") in budget_findings(over)
    assert over.returncode == 1


@pytest.mark.parametrize("output", ["--json", "--format=markdown", "--format=sarif", "--format=table"])
def test_a_policy_config_budgets_dir_is_the_summarys_budget_in_every_format(stack: Path, tmp_path: Path,
                                                                             output: str) -> None:
    small = tmp_path / "small-budgets"
    small.mkdir()
    plan = dict(BUDGET, monthlyLimit=150, teams={"backend": 150})
    (small / "dev.yaml").write_text(yaml.safe_dump(plan))
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"finops-cost-vs-budget": {"budgetsDir": str(small)}}))
    completed = preview(stack, 214.50, "--policy-pack-config", str(config), output=output)
    assert completed.returncode == 1, completed.stderr
    assert "$600.00" not in completed.stdout and "(35.8 %)" not in completed.stdout
    assert "143.0 % of the dev budget of $150.00" in completed.stdout  # the violation
    if output == "--json":
        summary = json.loads(completed.stdout)["summary"]
        assert (summary["budgetUsd"], summary["budgetSource"]) == (150.0, str(small / "dev.yaml"))
    elif output == "--format=table":
        assert "of the dev budget $150.00 (143.0 %)" in completed.stdout  # the summary


def test_policy_config_paths_that_do_not_exist_are_exit_2_naming_them(stack: Path, tmp_path: Path) -> None:
    for config, missing in (({"finops-cost-vs-budget": {"budgetsDir": "no-such-budgets"}}, "no-such-budgets"),
                            ({"finops-waivers": {"file": str(tmp_path / "gone.yaml")}}, "gone.yaml"),
                            ({"finops-spending-limits": {"usageFile": str(tmp_path / "u.yaml")}}, "u.yaml")):
        file = tmp_path / "config.json"
        file.write_text(json.dumps(config))
        completed = run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR),
                            "--policy-pack-config", str(file))
        assert completed.returncode == 2, completed.stdout[-1000:]
        [line] = completed.stderr.strip().splitlines()
        assert str(file) in line and missing in line and "expected an existing" in line
        assert "Traceback" not in completed.stderr


def test_two_budgets_for_one_run_are_refused(stack: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(FIXTURE / "budgets" / "dev.yaml", other)
    file = tmp_path / "config.json"
    file.write_text(json.dumps({"finops-cost-vs-budget": {"budgetsDir": str(other)}}))
    completed = run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR),
                        "--policy-pack-config", str(file), "--budgets-dir", str(stack / "budgets"))
    assert completed.returncode == 2
    assert "finops-cost-vs-budget.budgetsDir" in completed.stderr and "--budgets-dir" in completed.stderr
