"""``finops report``: allocation of every estimated dollar, budgets, actuals and variance, formats."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import ROOT, run_cli

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

FIXTURE = ROOT / "tests" / "fixtures" / "chargeback"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def finops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The command in this process, sharing each stack's program run with the other tests (conftest).
    return run_cli(*args, cwd=ROOT, env=env)


@pytest.fixture(scope="module")
def platform_formats() -> dict[str, str]:
    """The reference platform's three stacks rendered in every format."""
    from finops_preview.report.allocation import allocate, load_stacks
    from finops_preview.report.render import RENDERERS
    from finops_preview.report.summary import summarize

    report = summarize(allocate(load_stacks(ROOT, ["dev", "staging", "prod"])), None)
    return {fmt: render(report) for fmt, render in RENDERERS.items()}


@pytest.fixture(scope="module")
def platform_report(platform_formats: dict[str, str]) -> dict[str, Any]:
    return json.loads(platform_formats["json"])


def test_all_four_formats_carry_the_same_allocation(platform_formats: dict[str, str],
                                                    platform_report: dict[str, Any]) -> None:
    total = platform_report["totalMonthlyUsd"]
    rows = list(csv.DictReader(io.StringIO(platform_formats["csv"])))
    assert round(sum(float(r["monthly_usd"]) for r in rows), 2) == pytest.approx(total, abs=0.05)
    assert {r["team"] for r in rows} == {"backend", "frontend", "devops", "security"}  # nothing untagged
    assert f"${total:,.2f}" in platform_formats["table"] and f"${total:,.2f}" in platform_formats["html"]
    for team in ("backend", "frontend", "devops", "security"):
        assert team in platform_formats["table"] and f">{team}</text>" in platform_formats["html"]


def test_every_estimated_dollar_is_allocated_to_a_team_and_a_service(platform_report: dict[str, Any]) -> None:
    total = platform_report["totalMonthlyUsd"]
    assert total == round(sum(s["monthlyUsd"] for s in platform_report["stacks"]), 2) > 0
    for dimension in ("team", "service", "environment", "cost_center"):
        assert round(sum(platform_report["allocation"][dimension].values()), 2) == pytest.approx(total, abs=0.02)
    assert set(platform_report["allocation"]["team"]) == {"backend", "frontend", "devops", "security"}
    assert round(sum(line["monthlyUsd"] for line in platform_report["chargeback"]), 2) == pytest.approx(total, abs=0.05)


def test_budget_use_per_environment_and_team(platform_report: dict[str, Any]) -> None:
    dev = next(b for b in platform_report["budgets"] if b["environment"] == "dev" and b["team"] is None)
    assert dev["budgetUsd"] == 600 and dev["estimatePercent"] == round(100 * dev["estimateUsd"] / 600, 1)
    teams = [b for b in platform_report["budgets"] if b["team"]]
    assert all(b["estimateUsd"] <= b["budgetUsd"] for b in teams), "shipped team budgets cover the estimate"


@pytest.fixture(scope="module")
def fixture_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("report")
    results = {}
    for fmt in ("table", "csv", "json", "html"):
        path = out / f"report.{fmt}"
        completed = finops("report", "--stacks", "dev", "-C", str(FIXTURE), "--format", fmt, "-o", str(path))
        assert completed.returncode == 0, completed.stderr
        results[fmt] = path.read_text()
    results["html_path"] = str(out / "report.html")
    return results


def test_untagged_spend_gets_its_own_row(fixture_outputs: dict[str, str]) -> None:
    report = json.loads(fixture_outputs["json"])
    teams = report["allocation"]["team"]
    assert teams["(untagged)"] == pytest.approx(0.0416 * 730 + 8 * 0.08, abs=0.01)  # orphan t3.medium
    assert teams["backend"] == pytest.approx(0.0104 * 730 + 8 * 0.08, abs=0.01)
    rows = list(csv.DictReader(io.StringIO(fixture_outputs["csv"])))
    assert any(r["team"] == "(untagged)" and r["service"] == "(untagged)" for r in rows)
    assert round(sum(float(r["monthly_usd"]) for r in rows), 2) == pytest.approx(report["totalMonthlyUsd"], abs=0.02)
    assert "By cost center" in fixture_outputs["table"] and "research" in fixture_outputs["table"]


def test_html_is_self_contained_and_escapes_user_strings(fixture_outputs: dict[str, str]) -> None:
    page = fixture_outputs["html"]
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count("<svg") == 5  # team, service, environment, cost center, owner


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_chromium_renders_the_report(fixture_outputs: dict[str, str], tmp_path: Path) -> None:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    url = Path(fixture_outputs["html_path"]).as_uri()
    dom = subprocess.run([str(CHROMIUM), *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    assert 'id="total"' in dom and "FinOps cost allocation" in dom
    assert dom.count("<rect") >= 4 and "<img" not in dom  # the hostile tag stayed text
    assert "&lt;img src=x onerror=alert(1)&gt;" in dom
    shot = tmp_path / "report.png"
    subprocess.run([str(CHROMIUM), *flags, f"--screenshot={shot}", "--window-size=900,1200", url],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one


def _ce_result(groups: dict[tuple[str, str], float]) -> dict[str, Any]:
    return {"ResultsByTime": [{
        "TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"}, "Total": {}, "Estimated": False,
        "Groups": [{"Keys": [f"Team${t}", f"Service${s}"], "Metrics": {"UnblendedCost": {"Amount": str(v),
                                                                                         "Unit": "USD"}}}
                   for (t, s), v in groups.items()]}]}


def _by_environment(second: str, groups: dict[tuple[str, str], float]) -> dict[str, Any]:
    """A GetCostAndUsage result grouped by the Environment tag and ``second`` (Team or Service)."""
    return {"ResultsByTime": [{
        "TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"}, "Total": {}, "Estimated": False,
        "Groups": [{"Keys": [f"Environment${e}", f"{second}${v}"],
                    "Metrics": {"UnblendedCost": {"Amount": str(a), "Unit": "USD"}}}
                   for (e, v), a in groups.items()]}]}


def test_actuals_from_cost_explorer_on_a_local_moto_server(moto_server: str) -> None:
    # Queue Cost Explorer answers in the order the report asks: by Environment and Team, then by
    # Environment and Service (no filter: untagged spend is fetched too).
    by_team = {("dev", "backend"): 400.0, ("dev", "devops"): 300.0}
    by_service = {("dev", "policy-engine"): 400.0, ("dev", "ssa"): 300.0}
    requests.post(f"{moto_server}/moto-api/static/ce/cost-and-usage-results",
                  json={"results": [_by_environment("Team", by_team), _by_environment("Service", by_service)]},
                  timeout=10).raise_for_status()
    env = {"AWS_ENDPOINT_URL": moto_server, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    completed = finops("report", "--stacks", "dev", "--actuals", "ce", "--month", "2026-10", "--format", "json",
                       env=env)
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["actualsPeriod"] == "2026-10-01 to 2026-11-01"
    dev_line = next(b for b in report["budgets"] if b["environment"] == "dev" and b["team"] is None)
    assert dev_line["actualUsd"] == 700.0
    assert dev_line["variancePercent"] == round(100 * (700 - 600) / 600, 1) and dev_line["flagged"]
    backend = next(b for b in report["budgets"] if b["environment"] == "dev" and b["team"] == "backend")
    assert backend["actualUsd"] == 400.0 and backend["variancePercent"] == 100.0
    table = finops("report", "--stacks", "dev", "--actuals", "ce", "--month", "2026-10", env=env).stdout
    assert " overspend" in table


def test_actuals_from_a_saved_response(tmp_path: Path) -> None:
    saved = tmp_path / "ce.json"
    saved.write_text(json.dumps({"dev": _ce_result({("devops", "ssa"): 590.0})}))
    report = json.loads(finops("report", "--stacks", "dev", "--actuals", str(saved), "--format", "json").stdout)
    line = next(b for b in report["budgets"] if b["environment"] == "dev" and b["team"] is None)
    assert line["actualUsd"] == 590.0 and line["variancePercent"] == round(100 * (590 - 600) / 600, 1)
    assert "budget" not in line["over"]   # within budget; above the estimate, which is flagged on its own


def test_bad_report_input_is_one_line(tmp_path: Path) -> None:
    missing = finops("report", "--stacks", "dev,nope")
    assert missing.returncode == 2 and "no stack named 'nope'" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "ce.json"
    bad.write_text("[1, 2]")
    broken = finops("report", "--stacks", "dev", "--actuals", str(bad))
    assert broken.returncode == 2 and "not an object of responses" in broken.stderr
