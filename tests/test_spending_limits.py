"""Spending limits at preview: a change judged against what each team already spends this month.

The fixture is a team's stack (tests/fixtures/spending) covered by its team's shared budget,
with one t3.small (about $15 a month); the snapshot says frontend has spent $95 of its $100 dev
budget and backend $50 of its $200.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import PACK_DIR, ROOT, run_cli

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

FIXTURE = ROOT / "tests/fixtures/spending"
SNAPSHOT = FIXTURE / "snapshot.json"
AS_OF = {"FINOPS_TODAY": "2026-11-20"}  # the snapshot's day: fresh


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "shop", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "shop"


def configure(stack: Path, team: str = "frontend", instances: int = 1) -> None:
    (stack / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  finops:coveredByBudget: frontend-dev\n"
        f"  shop:team: {team}\n  shop:instances: \"{instances}\"\n")


def preview(stack: Path, *extra: str, env: dict[str, str] | None = None) -> Any:
    return run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR), "--json",
                   "--spend", str(SNAPSHOT), *extra, env={**AS_OF, **(env or {})})


def limits(completed: Any) -> list[dict[str, Any]]:
    return [v for v in json.loads(completed.stdout)["violations"] if v["policy"].startswith("finops-spending-limits")]


def test_a_change_that_takes_a_team_past_its_budget_is_refused(stack: Path) -> None:
    configure(stack, "frontend")
    completed = preview(stack)
    assert completed.returncode == 1, completed.stderr
    [refused] = [v for v in limits(completed) if v["enforcementLevel"] == "mandatory"]
    message = refused["message"]
    assert "team frontend in dev has spent $95.00 of its $100.00 budget" in message
    assert "this change adds $15.82/month" in message and "111 % of the budget" in message
    assert "approve a waiver of finops-spending-limits" in message


def test_the_refusal_names_the_budget_approvers_of_the_projects_waivers_file(stack: Path) -> None:
    configure(stack, "frontend")
    (stack / "waivers.yaml").write_text("approvers:\n  budget: [cfo-jane, vp-eng]\nwaivers: []\n")
    [refused] = [v for v in limits(preview(stack)) if v["enforcementLevel"] == "mandatory"]
    assert "ask cfo-jane, vp-eng (approvers.budget in waivers.yaml)" in refused["message"]


def test_a_team_project_with_the_installed_pack_is_judged_against_its_own_budgets(stack: Path) -> None:
    # No policy_pack/ of its own: the installed pack must find the project's budgets/, not its own.
    configure(stack, "frontend")
    completed = run_cli("preview", "-s", "dev", "-C", str(stack), "--json", "--spend", str(SNAPSHOT), env=AS_OF)
    assert completed.returncode == 1, completed.stdout[-2000:]
    assert [v["policy"] for v in limits(completed) if v["enforcementLevel"] == "mandatory"] == [
        "finops-spending-limits"]


def test_limits_that_cannot_be_judged_say_why(stack: Path) -> None:
    configure(stack, "frontend")
    (stack / "no-budgets-here").mkdir()
    completed = preview(stack, "--budgets-dir", str(stack / "no-budgets-here"))
    [said] = limits(completed)
    assert said["enforcementLevel"] == "advisory" and "no budget file" in said["message"], said


def test_the_same_change_for_a_team_with_room_passes(stack: Path) -> None:
    configure(stack, "backend")
    completed = preview(stack)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert limits(completed) == []


def test_a_change_that_deletes_a_teams_resource_passes(stack: Path, tmp_path: Path) -> None:
    configure(stack, "frontend", instances=2)
    baseline = tmp_path / "main.json"
    baseline.write_text(run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR), "--json",
                                env=AS_OF).stdout)
    configure(stack, "frontend", instances=1)  # the change deletes web-1
    completed = preview(stack, "--baseline", str(baseline))
    assert [v for v in limits(completed) if v["enforcementLevel"] == "mandatory"] == []
    assert completed.returncode == 0, completed.stdout


def test_near_the_budget_is_an_advisory(stack: Path, tmp_path: Path) -> None:
    snapshot = json.loads(SNAPSHOT.read_text())
    snapshot["environments"]["dev"]["teams"]["frontend"] = {"monthToDateUsd": 70.0, "forecastUsd": 78.0}
    near = tmp_path / "near.json"
    near.write_text(json.dumps(snapshot))
    configure(stack, "frontend")
    completed = run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR), "--json",
                        "--spend", str(near), env=AS_OF)
    assert completed.returncode == 0
    [warning] = limits(completed)
    assert warning["enforcementLevel"] == "advisory" and "94 % of the budget" in warning["message"]


def test_a_stale_snapshot_is_said_and_not_trusted(stack: Path) -> None:
    configure(stack, "frontend")
    completed = preview(stack, env={"FINOPS_TODAY": "2026-11-25"})
    assert completed.returncode == 0  # the estimate alone is within the budget
    [stale] = limits(completed)
    assert stale["enforcementLevel"] == "advisory" and "(5 days old)" in stale["message"]


def test_without_a_snapshot_the_estimate_is_judged_and_the_preview_says_so(stack: Path) -> None:
    configure(stack, "frontend")
    completed = run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR), "--json")
    report = json.loads(completed.stdout)
    assert completed.returncode == 0 and limits(completed) == []
    assert any("no spend snapshot" in note for note in report["notes"])


def test_untagged_spend_counts_against_the_environment(stack: Path, tmp_path: Path) -> None:
    snapshot = json.loads(SNAPSHOT.read_text())
    snapshot["environments"]["dev"]["teams"]["(untagged)"] = {"monthToDateUsd": 480.0}
    snapshot["environments"]["dev"]["forecastUsd"] = 590.0
    crowded = tmp_path / "crowded.json"
    crowded.write_text(json.dumps(snapshot))
    configure(stack, "backend")
    completed = run_cli("preview", "-s", "dev", "-C", str(stack), "--policy-pack", str(PACK_DIR), "--json",
                        "--spend", str(crowded), env=AS_OF)
    [refused] = [v for v in limits(completed) if v["enforcementLevel"] == "mandatory"]
    assert "environment dev (untagged spend included)" in refused["message"]
    assert "team backend" not in refused["message"]


def test_a_malformed_snapshot_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "spend.json"
    bad.write_text('{"kind": "finops-spend-snapshot", "takenAt": "yesterday"}')
    completed = run_cli("preview", "-s", "dev", "-C", str(FIXTURE), "--policy-pack", str(PACK_DIR), "--spend",
                        str(bad))
    assert completed.returncode == 2 and "takenAt: found 'yesterday'" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


def test_finops_actuals_fetches_the_snapshot_from_cost_explorer(moto_server: str, tmp_path: Path) -> None:
    import requests

    def grouped(second: str, groups: dict[tuple[str, str], float]) -> dict[str, Any]:
        return {"ResultsByTime": [{"TimePeriod": {"Start": "2026-11-01", "End": "2026-11-20"}, "Total": {},
                                   "Estimated": True, "Groups": [
                                       {"Keys": [f"Environment${e}", f"{second}${v}"],
                                        "Metrics": {"UnblendedCost": {"Amount": str(a), "Unit": "USD"}}}
                                       for (e, v), a in groups.items()]}]}

    by_team = {("dev", "frontend"): 95.0, ("dev", "backend"): 50.0, ("dev", ""): 15.0}
    by_service = {("dev", "ui"): 95.0, ("dev", "policy-engine"): 50.0, ("dev", ""): 15.0}
    by_owner = {("dev", "jdoe"): 42.5, ("dev", "asmith"): 10.0, ("dev", ""): 107.5}
    requests.post(f"{moto_server}/moto-api/static/ce/cost-and-usage-results",
                  json={"results": [grouped("Team", by_team), grouped("Service", by_service),
                                    grouped("Owner", by_owner)]},
                  timeout=10).raise_for_status()
    out = tmp_path / "SPEND.json"
    env = {"AWS_ENDPOINT_URL": moto_server, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "FINOPS_TODAY": "2026-11-20"}
    completed = run_cli("actuals", "--environments", "dev", "-o", str(out), env=env)
    assert completed.returncode == 0, completed.stderr
    snapshot = json.loads(out.read_text())
    dev = snapshot["environments"]["dev"]
    assert snapshot["kind"] == "finops-spend-snapshot" and snapshot["month"] == "2026-11"
    assert dev["monthToDateUsd"] == 160.0 and dev["teams"]["frontend"]["monthToDateUsd"] == 95.0
    assert dev["teams"]["(untagged)"]["monthToDateUsd"] == 15.0
    assert snapshot["daysElapsed"] == 19 and snapshot["daysInMonth"] == 30
    # spend by owner beside the teams, for the owner limits; not counted twice in the totals
    assert dev["owners"] == {"jdoe": {"monthToDateUsd": 42.5}, "asmith": {"monthToDateUsd": 10.0},
                             "(untagged)": {"monthToDateUsd": 107.5}}


def test_finops_actuals_builds_the_snapshot_from_saved_responses(tmp_path: Path) -> None:
    saved = ROOT / "tests/fixtures/report/actuals.json"
    if not saved.exists():
        pytest.skip("the report fixtures are not there")
    out = tmp_path / "SPEND.json"
    completed = run_cli("actuals", "--actuals", str(saved), "-o", str(out))
    assert completed.returncode == 0, completed.stderr
    snapshot = json.loads(out.read_text())
    assert snapshot["environments"] and all("teams" in e for e in snapshot["environments"].values())
