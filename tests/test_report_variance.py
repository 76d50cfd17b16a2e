"""``finops report`` with actual spend: variance against budget and estimate, forecast, untagged
spend, dates, feature allocation, unit costs and usage amounts, in every format.

The fixture project (tests/fixtures/report) has dev, staging and prod with known prices; its
saved Cost Explorer responses (actuals.json, as ``--actuals ce`` asks: grouped by Environment
and Team, and by Environment and Service) hold underspend (dev frontend), overspend (prod
backend: estimate $422.40, actual $1,700), a team at 97 % of its budget (staging devops),
spend without a Team tag and spend without an Environment tag.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from finops_preview.cli import main

FIXTURE = ROOT / "tests" / "fixtures" / "report"
ACTUALS = FIXTURE / "actuals.json"
TODAY = "2026-11-29"
STACKS = "dev,staging,prod"
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def finops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """``finops report`` in-process (dated FINOPS_TODAY); returns (exit code, output, stderr)."""
    out = tmp_path_factory.mktemp("report")
    patch = pytest.MonkeyPatch()
    patch.setenv("FINOPS_TODAY", TODAY)
    counter = iter(range(1_000))

    def run(*args: str) -> tuple[int, str, str]:
        target = out / f"out-{next(counter)}"
        with pytest.MonkeyPatch.context() as mp:
            err = io.StringIO()
            mp.setattr("sys.stderr", err)
            code = main(["report", "-C", str(FIXTURE), *args, "-o", str(target)])
        return code, target.read_text(encoding="utf-8") if target.exists() else "", err.getvalue()

    yield run
    patch.undo()


@pytest.fixture(scope="module")
def formats(finops: Run) -> dict[str, str]:
    result = {}
    for fmt in ("table", "csv", "json", "html"):
        code, text, err = finops("--stacks", STACKS, "--actuals", str(ACTUALS), "--format", fmt,
                                 "--usage-file", str(FIXTURE / "usage.yaml"), "--units", str(FIXTURE / "units.yaml"))
        assert code == 0, err
        result[fmt] = text
    return result


@pytest.fixture(scope="module")
def report(formats: dict[str, str]) -> dict[str, Any]:
    return json.loads(formats["json"])


def line(report: dict[str, Any], environment: str, team: str | None) -> dict[str, Any]:
    return next(b for b in report["budgets"] if b["environment"] == environment and b["team"] == team)


def csv_rows(formats: dict[str, str]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(formats["csv"])))


def table_line(formats: dict[str, str], environment: str, team: str) -> str:
    return next(t for t in formats["table"].splitlines() if t.split()[:2] == [environment, team])


def test_overspend_is_flagged_against_budget_and_estimate(report: dict[str, Any], formats: dict[str, str]) -> None:
    backend = line(report, "prod", "backend")
    assert (backend["budgetUsd"], backend["estimateUsd"], backend["actualUsd"]) == (1000, 422.4, 1700.0)
    assert backend["variancePercent"] == 70.0 and backend["estimateVariancePercent"] == 302.5
    assert backend["over"] == ["budget", "estimate"] and backend["flagged"] and backend["status"] == "overspend"
    assert "+70.0 %" in table_line(formats, "prod", "backend")
    assert table_line(formats, "prod", "backend").endswith("<-- over 10 % (budget, estimate)")
    row = next(r for r in csv_rows(formats) if (r["environment"], r["team"]) == ("prod", "backend"))
    assert (row["team_actual_usd"], row["team_variance_vs_budget_percent"], row["team_status"]) == (
        "1700.00", "70.00", "overspend")
    assert '<tr class="overspend"><td>prod</td><td>backend</td>' in formats["html"]


def test_underspend_is_shown_and_not_flagged(report: dict[str, Any], formats: dict[str, str]) -> None:
    frontend = line(report, "dev", "frontend")
    assert frontend["variancePercent"] == -70.0 and frontend["estimateVariancePercent"] == -24.1
    assert not frontend["flagged"] and frontend["status"] == "within budget"
    security = line(report, "dev", "security")   # nothing spent at all: -100 %, still not flagged
    assert security["actualUsd"] == 0.0 and security["variancePercent"] == -100.0 and not security["flagged"]
    text = table_line(formats, "dev", "frontend")
    assert "-70.0 %" in text and "<--" not in text and text.endswith("within budget")
    row = next(r for r in csv_rows(formats) if (r["environment"], r["team"]) == ("dev", "frontend"))
    assert row["team_variance_vs_budget_percent"] == "-70.00" and row["team_status"] == "within budget"
    assert '<tr class="within"><td>dev</td><td>frontend</td>' in formats["html"]
    assert "-70.0 %" in formats["html"]


def test_near_budget_is_highlighted(report: dict[str, Any], formats: dict[str, str]) -> None:
    devops = line(report, "staging", "devops")
    assert devops["actualPercent"] == 96.9 and not devops["flagged"] and devops["status"] == "near budget"
    assert table_line(formats, "staging", "devops").endswith("near budget")
    assert '<tr class="near"><td>staging</td><td>devops</td>' in formats["html"]


def test_untagged_actual_spend_has_rows_of_its_own(report: dict[str, Any], formats: dict[str, str]) -> None:
    no_environment = line(report, "(untagged)", None)
    assert no_environment["actualUsd"] == 42.5 and no_environment["status"] == "unallocated"
    no_team = line(report, "dev", "(untagged)")
    assert no_team["actualUsd"] == 8.5 and no_team["estimateUsd"] == 8.23   # the orphan instance
    assert report["totalActualUsd"] == 52 + 176 + 2023 + 42.5   # every fetched dollar is in the total
    assert table_line(formats, "(untagged)", "(all)").split()[5] == "$42.50"
    rows = csv_rows(formats)
    orphan = next(r for r in rows if (r["environment"], r["team"]) == ("(untagged)", "(untagged)"))
    assert orphan["environment_actual_usd"] == "42.50" and orphan["monthly_usd"] == "0.00"
    assert round(sum(float(r["monthly_usd"]) for r in rows), 2) == report["totalMonthlyUsd"]
    assert '<tr class="unallocated"><td>(untagged)</td><td>(all)</td>' in formats["html"]


def test_forecast_to_month_end(report: dict[str, Any], formats: dict[str, str]) -> None:
    prod = line(report, "prod", None)
    assert prod["actualUsd"] == 2023.0 and prod["forecastUsd"] == 2023.0 + 1100.0   # so far + GetCostForecast
    assert prod["forecastPercent"] == 104.1
    assert "$3,123.00" in table_line(formats, "prod", "(all)")
    assert next(r for r in csv_rows(formats) if r["environment"] == "prod")["environment_forecast_usd"] == "3123.00"
    assert "$3,123.00" in formats["html"] and 'title="forecast 104 %"' in formats["html"]


def test_financial_visibility(report: dict[str, Any], formats: dict[str, str]) -> None:
    visibility = report["financialVisibility"]
    untagged_estimate = 3 * 8.23   # the orphan instance of each stack
    assert visibility["estimatePercent"] == round(100 * (1 - untagged_estimate / report["totalMonthlyUsd"]), 1)
    assert visibility["actualPercent"] == round(100 * (1 - (8.5 + 8 + 42.5) / 2293.5), 1) == 97.4
    assert "97 % of actual spend carries Environment and Team" in formats["table"]
    assert "97 % of actual spend carries Environment and Team" in formats["html"]


def test_every_format_is_dated(report: dict[str, Any], formats: dict[str, str]) -> None:
    # Region -> publication date of the prices in core/finops_core/data/prices.json (its tables' dates).
    catalogue = {"us-east-1": "2026-11-29", "eu-west-1": "2025-06-01"}
    assert report["priceDates"] == catalogue
    assert (report["reportDate"], report["actualsPeriod"]) == (TODAY, "2026-11-01 to 2026-11-29")
    prices = report["pricesDate"]
    assert all(date in prices for date in catalogue.values())
    dated = f"Report date 2026-11-29; prices of {prices}; actual spend: 2026-11-01 to 2026-11-29"
    assert dated in formats["table"] and dated in formats["html"]
    rows = csv_rows(formats)
    assert {(r["report_date"], r["prices_date"], r["actuals_period"]) for r in rows} == {
        (TODAY, prices, "2026-11-01 to 2026-11-29")}


def test_cost_center_and_feature_are_allocated(report: dict[str, Any], formats: dict[str, str]) -> None:
    rows = csv_rows(formats)
    ops = next(r for r in rows if r["service"] == "ssa" and r["environment"] == "prod")
    assert ops["cost_center"] == "operations" and ops["feature"] == "(untagged)"
    api = next(r for r in rows if r["service"] == "policy-engine" and r["environment"] == "prod")
    assert api["feature"] == "agent-sandbox" and api["monthly_usd"] == "422.40"
    features = report["allocation"]["feature"]
    assert features["agent-sandbox"] == round(15.82 + 61.38 + 422.40, 2)
    assert round(sum(features.values()), 2) == report["totalMonthlyUsd"]   # untagged stays visible
    assert {c["costCenter"] for c in report["chargeback"]} == {"engineering", "operations", "(untagged)"}
    assert "By feature" in formats["table"] and 'aria-label="By feature"' in formats["html"]


def test_unit_costs_per_environment_and_service(report: dict[str, Any], formats: dict[str, str]) -> None:
    units = report["unitCosts"]
    assert units["metric"] == "monthly active user"
    prod = next(u for u in units["lines"] if u["environment"] == "prod" and u["service"] is None)
    assert prod["units"] == 12000 and prod["estimatePerUnitUsd"] == round(742.23 / 12000, 4)
    assert prod["actualPerUnitUsd"] == round(2023 / 12000, 4)
    api = next(u for u in units["lines"] if u["environment"] == "prod" and u["service"] == "policy-engine")
    assert api["actualPerUnitUsd"] == round(1700 / 12000, 4)
    assert "Unit costs per monthly active user" in formats["table"] and 'id="unit-costs"' in formats["html"]
    assert any("no monthly active user count for dev" in n for n in report["notes"])


def test_units_from_a_flag(finops: Run) -> None:
    code, text, err = finops("--stacks", "prod", "--units", "prod=1000", "--unit-metric", "tenant",
                             "--format", "json")
    assert code == 0, err
    units = json.loads(text)["unitCosts"]
    assert units["metric"] == "tenant" and units["lines"][0]["estimatePerUnitUsd"] == round(712.23 / 1000, 4)


def test_usage_file_prices_usage_priced_resources(report: dict[str, Any], finops: Run) -> None:
    assert line(report, "prod", "security")["estimateUsd"] == 30.0     # audit-logs from usage.yaml
    code, text, err = finops("--stacks", "prod", "--format", "json")
    assert code == 0, err
    bare = json.loads(text)
    assert line(bare, "prod", "security")["estimateUsd"] == 0.0
    assert "prod: 1 usage-priced resources counted as $0 (give amounts with --usage-file): audit-logs" in bare["notes"]


def test_threshold_is_a_flag(finops: Run) -> None:
    code, text, err = finops("--stacks", "prod", "--actuals", str(ACTUALS), "--variance-threshold", "400",
                             "--format", "json")
    assert code == 0, err
    assert not line(json.loads(text), "prod", "backend")["flagged"]   # +302.5 % is within 400 %


def test_a_saved_response_per_environment_still_reads(finops: Run, tmp_path: Path) -> None:
    saved = tmp_path / "ce.json"
    result = {"ResultsByTime": [{"TimePeriod": {"Start": "2026-10-01", "End": "2026-11-01"}, "Groups": [
        {"Keys": ["Team$frontend", "Service$ui"], "Metrics": {"UnblendedCost": {"Amount": "50", "Unit": "USD"}}},
        {"Keys": ["Team$", "Service$"], "Metrics": {"UnblendedCost": {"Amount": "5", "Unit": "USD"}}}]}]}
    saved.write_text(json.dumps({"dev": result}))
    code, text, err = finops("--stacks", "dev", "--actuals", str(saved), "--format", "json")
    assert code == 0, err
    report = json.loads(text)
    assert line(report, "dev", "frontend")["actualUsd"] == 50 and line(report, "dev", "frontend")["flagged"]
    assert line(report, "dev", "(untagged)")["actualUsd"] == 5 and line(report, "dev", None)["actualUsd"] == 55


@pytest.mark.parametrize(("content", "found"), [
    ("[1, 2]", "not an object of responses"),
    ('{"dev": {"ResultsByTime": 3}}', "dev: found <GetCostAndUsage response without a ResultsByTime list>"),
    ('{"dev": {"ResultsByTime": [{"Groups": [{"Keys": ["Team$a"], "Metrics": {"UnblendedCost": {"Amount": "x"}}}]}]}}',
     "expected an amount such as"),
    ('{"GetCostAndUsage": [], "GetCostForecast": {"prod": {"Total": {}}}}', "GetCostForecast.prod"),
    ('{"dev": ', "malformed JSON"),
])
def test_bad_saved_actuals_name_the_file(finops: Run, tmp_path: Path, content: str, found: str) -> None:
    saved = tmp_path / "saved-ce.json"
    saved.write_text(content)
    code, _, err = finops("--stacks", "dev", "--actuals", str(saved))
    assert code == 2 and err.count("\n") == 1 and str(saved) in err and found in err, err
    assert "Cost Explorer error" not in err and "Traceback" not in err


def test_missing_saved_actuals_name_the_file(finops: Run, tmp_path: Path) -> None:
    code, _, err = finops("--stacks", "dev", "--actuals", str(tmp_path / "nope.json"))
    assert code == 2 and f"{tmp_path / 'nope.json'}: found <no such file>" in err


@pytest.mark.parametrize(("args", "found"), [
    (["--units", "prod=lots"], "--units: prod: found 'prod=lots'"),
    (["--units", str(FIXTURE / "budgets" / "dev.yaml")], "one of the keys metric, environments"),
    (["--state", "qa=x.json"], "--state: qa: found 'qa=x.json'; expected a stack named in --stacks"),
    (["--variance-threshold", "-1"], "--variance-threshold: found '-1.0'"),
    (["--variance-threshold", "nan"], "--variance-threshold: found 'nan'"),
    (["--budgets-dir", "no-such-budgets"], "no-such-budgets: found <no such directory>"),
    (["--month", "2026-13", "--actuals", "ce"], "--month: found '2026-13'"),
])
def test_bad_flags_are_one_line(finops: Run, args: list[str], found: str) -> None:
    code, _, err = finops("--stacks", "dev", *args)
    assert code == 2 and found in err and err.count("\n") == 1, err


# --- Cost Explorer: the query fetches untagged spend ------------------------------------------

class RecordingCostExplorer:
    """Answers like Cost Explorer from the fixture's saved responses and records each request."""

    def __init__(self) -> None:
        self.saved = json.loads(ACTUALS.read_text())
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def get_cost_and_usage(self, **request: Any) -> dict[str, Any]:
        self.requests.append(("GetCostAndUsage", request))
        second = request["GroupBy"][1]["Key"]
        return next(r for r in self.saved["GetCostAndUsage"] if r["GroupDefinitions"][1]["Key"] == second)

    def get_cost_forecast(self, **request: Any) -> dict[str, Any]:
        self.requests.append(("GetCostForecast", request))
        if request["Filter"]["Tags"]["Values"] == ["prod"]:
            return dict(self.saved["GetCostForecast"]["prod"])
        raise RuntimeError("DataUnavailableException: not enough data")


def test_the_query_does_not_filter_on_environment_and_forecasts_the_current_month() -> None:
    from finops_preview.report.actuals import from_cost_explorer

    client = RecordingCostExplorer()
    actuals = from_cost_explorer(["dev", "prod"], "2026-11-01", "2026-12-01", dt.date(2026, 11, 29), client)
    usage = [r for name, r in client.requests if name == "GetCostAndUsage"]
    assert all("Filter" not in r for r in usage)
    assert [r["GroupBy"] for r in usage] == [[{"Type": "TAG", "Key": "Environment"}, {"Type": "TAG", "Key": k}]
                                             for k in ("Team", "Service")]
    assert {r["TimePeriod"]["End"] for r in usage} == {"2026-11-29"}   # Cost Explorer has nothing for today yet
    forecasts = [r for name, r in client.requests if name == "GetCostForecast"]
    assert [r["TimePeriod"] for r in forecasts] == [{"Start": "2026-11-29", "End": "2026-12-01"}] * 2
    assert actuals.environment_total("(untagged)") == 42.5 and actuals.forecast == {"prod": 3123.0}
    assert actuals.notes == ["no month-end forecast for dev: RuntimeError: DataUnavailableException: not enough data"]

    past = RecordingCostExplorer()
    from_cost_explorer(["prod"], "2026-10-01", "2026-11-01", dt.date(2026, 11, 29), past)
    assert [name for name, _ in past.requests] == ["GetCostAndUsage", "GetCostAndUsage"]   # no forecast


def test_actuals_from_a_local_moto_server(finops: Run, monkeypatch: pytest.MonkeyPatch, moto_server: str) -> None:
    requests = pytest.importorskip("requests")
    saved = json.loads(ACTUALS.read_text())["GetCostAndUsage"]   # queued in the order the report asks
    requests.post(f"{moto_server}/moto-api/static/ce/cost-and-usage-results", json={"results": saved},
                  timeout=10).raise_for_status()
    for key, value in {"AWS_ENDPOINT_URL": moto_server, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    code, text, err = finops("--stacks", STACKS, "--actuals", "ce", "--month", "2026-11", "--format", "json")
    assert code == 0, err
    report = json.loads(text)
    assert report["actualsSource"] == "Cost Explorer" and report["actualsPeriod"] == "2026-11-01 to 2026-11-29"
    assert line(report, "prod", "backend")["status"] == "overspend"
    assert line(report, "(untagged)", None)["actualUsd"] == 42.5
    # moto has no GetCostForecast: the report says so and goes on.
    assert any(n.startswith("no month-end forecast for prod:") for n in report["notes"])


def _export(tmp_path: Path) -> Path:
    """A `pulumi stack export` of prod: the stack, its AWS provider and one tagged instance."""
    prefix = "urn:pulumi:prod::report-demo::"
    stack = f"{prefix}pulumi:pulumi:Stack::report-demo-prod"
    provider = {"urn": f"{prefix}pulumi:providers:aws::default_7_0_0", "custom": True, "id": "p-1",
                "type": "pulumi:providers:aws", "inputs": {"region": "us-east-1"}, "outputs": {"region": "us-east-1"},
                "parent": stack}
    tags = {"Project": "ai-agent-security-platform", "Environment": "prod", "Team": "backend",
            "Service": "policy-engine", "Owner": "jdoe", "CostCenter": "engineering", "Phase": "mvp",
            "Feature": "agent-sandbox"}
    instance = {"urn": f"{prefix}aws:ec2/instance:Instance::api-live", "custom": True, "id": "i-0abc",
                "type": "aws:ec2/instance:Instance", "inputs": {"instanceType": "m5.2xlarge", "ami": "ami-1",
                                                                 "tags": tags},
                "outputs": {"instanceType": "m5.2xlarge", "tags": tags}, "parent": stack,
                "provider": f"{provider['urn']}::p-1"}
    export = {"version": 3, "deployment": {"manifest": {"time": "2026-11-28T10:00:00Z", "version": "v3.200.0"},
                                           "resources": [{"urn": stack, "custom": False,
                                                          "type": "pulumi:pulumi:Stack"}, provider, instance]}}
    path = tmp_path / "prod-state.json"
    path.write_text(json.dumps(export))
    return path


def test_chargeback_from_deployed_state(finops: Run, tmp_path: Path) -> None:
    code, text, err = finops("--stacks", "dev,prod", "--state", f"prod={_export(tmp_path)}", "--format", "json")
    assert code == 0, err
    report = json.loads(text)
    sources = {s["stack"]: s["source"] for s in report["stacks"]}
    assert sources == {"dev": "program under mocks", "prod": "deployed state"}
    prod = [c for c in report["chargeback"] if c["environment"] == "prod"]
    assert [(c["team"], c["service"], c["feature"]) for c in prod] == [("backend", "policy-engine", "agent-sandbox")]
    assert prod[0]["monthlyUsd"] == round(0.384 * 730 + 8 * 0.08, 2)   # m5.2xlarge and its 8 GiB root volume
    assert line(report, "prod", "backend")["estimateUsd"] == prod[0]["monthlyUsd"]


def test_a_state_file_that_is_not_an_export_names_the_file(finops: Run, tmp_path: Path) -> None:
    bad = tmp_path / "prod-state.json"
    bad.write_text('{"version": 3}')
    code, _, err = finops("--stacks", "prod", "--state", f"prod={bad}")
    assert code == 2 and str(bad) in err and "deployment" in err and err.count("\n") == 1, err


def test_no_actual_spend_at_all_is_not_a_variance(finops: Run, tmp_path: Path) -> None:
    saved = tmp_path / "empty-ce.json"
    saved.write_text(json.dumps({"GetCostAndUsage": [{"ResultsByTime": [], "DimensionValueAttributes": []}]}))
    code, text, err = finops("--stacks", "dev", "--actuals", str(saved), "--format", "json")
    assert code == 0, err
    report = json.loads(text)
    assert all(b["actualUsd"] is None and b["variancePercent"] is None and not b["flagged"]
               for b in report["budgets"])
    assert f"{saved}: no actual spend for unknown period" in report["notes"]


def test_spend_where_nothing_was_estimated_and_a_hair_over_the_threshold_are_overspend() -> None:
    from finops_preview.report.summary import UNTAGGED, BudgetLine

    unplanned = BudgetLine(environment="prod", team="security", budget=500.0, estimate=0.0, actual=35.0)
    assert unplanned.over == ["estimate"] and unplanned.status == "overspend"
    barely = BudgetLine(environment="dev", team="backend", budget=100.0, estimate=100.0, actual=110.04)
    assert barely.variance_percent == 10.0 and barely.over == ["budget", "estimate"]  # shown rounded, judged exact
    untagged = BudgetLine(environment="prod", team=UNTAGGED, budget=None, estimate=0.0, actual=20.0)
    assert untagged.over == [] and untagged.status == "unallocated"
