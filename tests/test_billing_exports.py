"""``finops report`` and ``finops actuals`` from FOCUS billing exports read by DuckDB, and the same
SQL on Athena (a local moto server): allocation by tag, untagged spend, trend and forecast, budget
accuracy, phases with burn rate and runway, the executive summary and the weekly team review.

The exports are written by DuckDB in each test session: three months (September to November
2026) of daily rows with known amounts, as Parquet (Tags a map, ``user:``-prefixed keys, as AWS
Data Exports write it) and as CSV (Tags a JSON object, keys as written).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from conftest import ROOT, run_cli

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

duckdb = pytest.importorskip("duckdb")

FIXTURE = ROOT / "tests" / "fixtures" / "report"
STACKS = "dev,staging,prod"
TODAY = "2026-12-01"
Run = Callable[..., tuple[int, str, str]]

# One row per day and line, 2026-09-01 .. 2026-11-30. The costs, per day:
#   dev/devops/ssa (Phase mvp)          10.00 (BilledCost 12.00), 15.00 from 2026-11-24 on
#   prod/backend/policy-engine (mvp)    20.00 in September, 25.00 in October, 30.00 in November
#   staging/frontend/ui (expansion)     3.333 (so a month sums to cents only after rounding)
#   no tags at all                      1.50
ROWS_SQL = """
WITH days AS (SELECT CAST(d AS TIMESTAMP) AS day FROM range(TIMESTAMP '2026-09-01', TIMESTAMP '2026-12-01',
                                                                INTERVAL 1 DAY) t(d)),
lines AS (
  SELECT day, CASE WHEN day >= TIMESTAMP '2026-11-24' THEN 15.0 ELSE 10.0 END AS eff,
         CASE WHEN day >= TIMESTAMP '2026-11-24' THEN 18.0 ELSE 12.0 END AS billed,
         'dev' AS env, 'devops' AS team, 'ssa' AS service, 'mvp' AS phase, 'jdoe' AS owner FROM days
  UNION ALL
  SELECT day, CASE month(day) WHEN 9 THEN 20.0 WHEN 10 THEN 25.0 ELSE 30.0 END, 30.0,
         'prod', 'backend', 'policy-engine', 'mvp', 'asmith' FROM days
  UNION ALL
  SELECT day, 3.333, 3.333, 'staging', 'frontend', 'ui', 'expansion', 'bkim' FROM days
  UNION ALL
  SELECT day, 1.5, 1.5, NULL, NULL, NULL, NULL, NULL FROM days
)
SELECT day AS ChargePeriodStart, day + INTERVAL 1 DAY AS ChargePeriodEnd, 'Usage' AS ChargeCategory,
       service AS ServiceName, CAST(billed AS DOUBLE) AS BilledCost, CAST(eff AS DOUBLE) AS EffectiveCost,
       {tags} AS Tags
FROM lines
"""
MAP_TAGS = ("CASE WHEN env IS NULL THEN MAP {} ELSE MAP {'user:Environment': env, 'user:Team': team, "
            "'user:Service': service, 'user:Phase': phase, 'user:Owner': owner, 'aws:createdBy': 'x'} END")
JSON_TAGS = ("CASE WHEN env IS NULL THEN '{}' ELSE json_object('Environment', env, 'Team', team, 'Service', "
             "service, 'Phase', phase, 'Owner', owner)::VARCHAR END")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("focus")
    parquet = folder / "parquet"
    for month in ("2026-09", "2026-10", "2026-11"):   # one partition per billing period, as AWS lays it out
        (parquet / f"BILLING_PERIOD={month}").mkdir(parents=True)
    connection = duckdb.connect()
    rows = ROWS_SQL.format(tags=MAP_TAGS)
    for month in ("2026-09", "2026-10", "2026-11"):
        target = parquet / f"BILLING_PERIOD={month}" / "part-0.parquet"
        connection.execute(f"COPY (SELECT * FROM ({rows}) WHERE strftime(ChargePeriodStart, '%Y-%m') = '{month}') "
                           f"TO '{target}' (FORMAT parquet)")
    csv = folder / "focus.csv"
    connection.execute(f"COPY ({ROWS_SQL.format(tags=JSON_TAGS)}) TO '{csv}' (HEADER, DELIMITER ',')")
    connection.close()
    phases = folder / "phases.yaml"
    phases.write_text("phases:\n  mvp:\n    start: 2026-09-01\n    end: 2027-02-28\n    budgetUsd: 50000\n"
                      "    allocation: {team: 60, infrastructure: 20, tools: 10, contingency: 10}\n")
    ledger = folder / "ledger.csv"
    ledger.write_text("date,category,amountUsd\n2026-09-30,team,8000\n2026-10-31,team,8000\n"
                      "2026-11-30,team,8000\n2026-10-15,tools,600\n")
    return {"parquet": parquet, "csv": csv, "phases": phases, "ledger": ledger, "folder": folder}


@pytest.fixture(scope="module")
def finops() -> Run:
    """The ``finops`` command in-process, dated FINOPS_TODAY: (exit code, output, stderr)."""
    def run(*args: str) -> tuple[int, str, str]:
        done = run_cli(*args, env={"FINOPS_TODAY": TODAY})
        return done.returncode, done.stdout, done.stderr

    return run


def report_of(finops: Run, *args: str, fmt: str = "json") -> Any:
    code, text, err = finops("report", "-C", str(FIXTURE), "--stacks", STACKS, "--month", "2026-11",
                             "--format", fmt, *args)
    assert code == 0, err
    return json.loads(text) if fmt == "json" else text


@pytest.fixture(scope="module")
def november(finops: Run, exports: dict[str, Path]) -> dict[str, Any]:
    return report_of(finops, "--actuals", str(exports["parquet"]), "--months", "3", "--period", "week",
                     "--phases", str(exports["phases"]), "--ledger", str(exports["ledger"]))


def test_november_by_environment_and_team_to_the_cent(november: dict[str, Any]) -> None:
    by_team = november["actuals"]["byTeam"]
    assert by_team["dev"] == {"devops": 335.0}          # 23 days at 10.00 and 7 at 15.00
    assert by_team["prod"] == {"backend": 900.0}
    assert by_team["staging"] == {"frontend": 99.99}     # 30 x 3.333, rounded once
    assert november["actuals"]["byService"]["prod"] == {"policy-engine": 900.0}
    assert november["actualsPeriod"] == "2026-11-01 to 2026-12-01"
    assert november["actualsByTag"]["phase"]["dev"] == {"mvp": 335.0}
    assert november["actualsByTag"]["owner"]["prod"] == {"asmith": 900.0}


def test_untagged_spend_is_its_own_line(november: dict[str, Any]) -> None:
    assert november["actuals"]["byTeam"]["(untagged)"] == {"(untagged)": 45.0}
    untagged = next(b for b in november["budgets"] if b["environment"] == "(untagged)")
    assert untagged["actualUsd"] == 45.0 and untagged["status"] == "unallocated"


def test_three_month_trend_and_a_linear_forecast(november: dict[str, Any]) -> None:
    trend = november["trend"]
    assert [m["month"] for m in trend] == ["2026-09", "2026-10", "2026-11"]
    assert [m["actualUsd"] for m in trend] == [1044.99, 1234.82, 1379.99]
    assert trend[2]["byTeam"]["backend"] == 900.0 and trend[0]["byEnvironment"]["prod"] == 600.0
    assert trend[1]["changePercent"] == 18.2 and trend[0]["changePercent"] is None
    forecast = november["forecast"]
    assert forecast["month"] == "2026-12" and "linear trend" in forecast["method"]
    mean, slope = (1044.99 + 1234.82 + 1379.99) / 3, (1379.99 - 1044.99) / 2
    assert forecast["actualUsd"] == pytest.approx(mean + 2 * slope, abs=0.01)   # least squares, one month on


def test_mvp_phase_infrastructure_budget_spend_burn_and_runway(november: dict[str, Any]) -> None:
    mvp = november["phases"]["mvp"]
    infra = mvp["infrastructure"]
    spent = 910 + 5 * 7 + 600 + 775 + 900          # dev 10.00 a day (15.00 for 7 days) and prod since Sep 1
    assert infra["budgetUsd"] == 10000.0 and infra["spentUsd"] == spent
    assert mvp["monthsElapsed"] == 3.0
    assert infra["burnRateUsdPerMonth"] == round(spent / 3, 2)
    assert infra["runwayMonths"] == round((10000 - spent) / round(spent / 3, 2), 1)
    assert mvp["monthsLeft"] == 3.0                 # December to February
    assert infra["projectedUsd"] == pytest.approx(spent + round(spent / 3, 2) * 3, abs=0.01)
    assert mvp["team"]["spentUsd"] == 24000.0 and mvp["tools"]["spentUsd"] == 600.0
    assert mvp["contingencyLeftUsd"] == 5000.0 - max(0.0, 48000.0 - 30000.0)


def test_executive_summary_comes_first(november: dict[str, Any]) -> None:
    assert next(iter(november)) == "executiveSummary"
    summary = november["executiveSummary"]
    assert summary["totalUsd"] == 1379.99 and summary["budgetUsd"] == 4200.0
    assert summary["forecast"]["month"] == "2026-12"
    movers = summary["biggestMovers"]
    assert len(movers) == 3 and movers[0]["name"] in ("backend", "policy-engine") and movers[0]["changeUsd"] == 125.0
    assert summary["visibilityPercent"] == round(100 * (1379.99 - 45) / 1379.99, 1)
    assert all(o["monthlySavingsUsd"] > 0 for o in summary["opportunities"])


def test_weekly_review_of_the_devops_team(november: dict[str, Any]) -> None:
    review = november["review"]
    assert review["current"] == {"start": "2026-11-24", "end": "2026-12-01"}
    assert review["byTeam"]["devops"] == {"currentUsd": 105.0, "previousUsd": 70.0, "changePercent": 50.0}
    assert review["byService"]["ssa"]["currentUsd"] == 105.0


def test_csv_with_json_tags_reads_the_same(finops: Run, exports: dict[str, Path]) -> None:
    report = report_of(finops, "--actuals", str(exports["csv"]))
    assert report["actuals"]["byTeam"]["dev"] == {"devops": 335.0}
    assert report["actuals"]["byTeam"]["(untagged)"] == {"(untagged)": 45.0}


def test_billed_cost_on_request_and_a_glob(finops: Run, exports: dict[str, Path]) -> None:
    report = report_of(finops, "--actuals", str(exports["parquet"] / "*" / "*.parquet"), "--cost", "billed")
    assert report["actuals"]["byTeam"]["dev"] == {"devops": 23 * 12.0 + 7 * 18.0}
    assert report["costBasis"] == "BilledCost"


def test_record_then_budget_accuracy(finops: Run, exports: dict[str, Path], tmp_path: Path) -> None:
    record = tmp_path / "snapshots"
    report_of(finops, "--actuals", str(exports["parquet"]), "--record", str(record))
    snapshot = json.loads((record / "2026-11.json").read_text())
    assert snapshot["totalActualUsd"] == 1379.99 and snapshot["totalMonthlyUsd"] > 0
    report = report_of(finops, "--actuals", str(exports["parquet"]), "--months", "3", "--record", str(record))
    november = report["trend"][2]
    expected = round(100 * abs(snapshot["totalMonthlyUsd"] - 1379.99) / 1379.99, 1)
    assert november["budgetAccuracyPercent"] == expected and report["trend"][0]["budgetAccuracyPercent"] is None


def test_html_has_summary_and_a_line_chart_per_environment(finops: Run, exports: dict[str, Path]) -> None:
    page = report_of(finops, "--actuals", str(exports["parquet"]), "--months", "3", "--period", "week",
                     "--phases", str(exports["phases"]), fmt="html")
    assert page.index('id="executive-summary"') < page.index('id="total"')
    for environment in ("dev", "staging", "prod", "(untagged)"):
        assert f'aria-label="monthly actual spend of {environment}"' in page
    assert "<polyline" in page and "<script" not in page and 'id="phases"' in page and 'id="review"' in page
    charts = re.findall(r"<svg .*?</svg>", page, re.S)
    lines = [ElementTree.fromstring(c) for c in charts if "monthly actual spend" in c]   # well-formed SVG
    assert len(lines) == 4                              # dev, prod, staging and the untagged spend
    points = [p.get("points", "").split() for svg in lines for p in svg.iter("{http://www.w3.org/2000/svg}polyline")]
    assert [len(p) for p in points] == [3, 3, 3, 3]     # one point per month, per environment


def test_finops_actuals_reads_an_export(finops: Run, exports: dict[str, Path]) -> None:
    code, text, err = finops("actuals", "--actuals", str(exports["csv"]), "--month", "2026-11")
    assert code == 0, err
    snapshot = json.loads(text)
    environments = snapshot["environments"]
    assert environments["prod"]["teams"]["backend"]["monthToDateUsd"] == 900.0
    assert environments["(untagged)"]["monthToDateUsd"] == 45.0
    assert snapshot["month"] == "2026-11" and snapshot["daysElapsed"] == 30


@pytest.mark.parametrize(("args", "found"), [
    (["--actuals", "missing-dir/*.parquet"], "no .parquet"),
    (["--months", "3"], "no billing export"),
    (["--months", "0", "--actuals", "x.parquet"], "--months"),
    (["--actuals", "athena://not a table"], "athena://"),
])
def test_bad_billing_input_is_one_line(finops: Run, args: list[str], found: str) -> None:
    code, _, err = finops("report", "-C", str(FIXTURE), "--stacks", "dev", *args)
    assert code == 2 and found in err and len(err.strip().splitlines()) == 1, err


def test_a_file_without_focus_columns_names_what_is_expected(finops: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    code, _, err = finops("report", "-C", str(FIXTURE), "--stacks", "dev", "--actuals", str(bad))
    assert code == 2 and "ChargePeriodStart" in err and str(bad) in err


def test_the_same_sql_on_athena_through_a_local_moto_server(finops: Run, exports: dict[str, Path],
                                                            monkeypatch: pytest.MonkeyPatch, moto_server: str) -> None:
    requests = pytest.importorskip("requests")
    boto3 = pytest.importorskip("boto3")
    from finops_preview.report.billing_sql import BillingQuery, Engine, TagForm

    # Athena answers from a queue on moto: queue what the shared query gives in DuckDB on the export
    # (three months: the report reads back so far for the executive summary's trend).
    local = BillingQuery(f"read_parquet('{exports['parquet']}/*/*.parquet')", TagForm.MAP, Engine.DUCKDB,
                         start="2026-09-01", end="2026-12-01")
    rows = duckdb.connect().execute(local.sql()).fetchall()
    header = [{"VarCharValue": name} for name in ("day", "environment", "dimension", "value", "usd")]
    data = [{"Data": header}, *({"Data": [{"VarCharValue": str(v)} for v in row]} for row in rows)]
    requests.post(f"{moto_server}/moto-api/static/athena/query-results",
                  json={"region": "us-east-1", "results": [{"rows": data}]}, timeout=10).raise_for_status()
    for key, value in {"AWS_ENDPOINT_URL": moto_server, "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    report = report_of(finops, "--actuals", "athena://billing.focus_export?workgroup=primary&output=s3://results/q/")
    assert report["actuals"]["byTeam"]["dev"] == {"devops": 335.0}
    assert report["actuals"]["byTeam"]["(untagged)"] == {"(untagged)": 45.0}
    assert report["actualsSource"] == "athena://billing.focus_export"
    assert report["executiveSummary"]["forecast"]["month"] == "2026-12"
    athena = boto3.client("athena")
    executions = athena.list_query_executions(WorkGroup="primary")["QueryExecutionIds"]
    sent = athena.get_query_execution(QueryExecutionId=executions[-1])["QueryExecution"]
    athena_sql = BillingQuery('"billing"."focus_export"', TagForm.MAP, Engine.ATHENA,
                              start="2026-09-01", end="2026-12-01").sql()
    assert sent["Query"] == athena_sql and "element_at(Tags, 'user:Team')" in athena_sql
    assert sent["ResultConfiguration"]["OutputLocation"].startswith("s3://results/q/")
    assert sent["QueryExecutionContext"]["Database"] == "billing"


def test_cur_2_parquet_reads_resource_tags_user_columns(finops: Run, tmp_path: Path) -> None:
    cur = tmp_path / "cur.parquet"
    duckdb.connect().execute(f"""
        COPY (SELECT TIMESTAMP '2026-11-01' + INTERVAL (i % 30) DAY AS line_item_usage_start_date,
                     2.5::DOUBLE AS line_item_unblended_cost,
                     CASE WHEN i % 2 = 0 THEN 'prod' END AS resource_tags_user_environment,
                     CASE WHEN i % 2 = 0 THEN 'backend' END AS resource_tags_user_team,
                     'AmazonEC2' AS line_item_product_code
              FROM range(60) t(i)) TO '{cur}' (FORMAT parquet)""")
    report = report_of(finops, "--actuals", str(cur))
    assert report["actuals"]["byTeam"]["prod"] == {"backend": 75.0}
    assert report["actuals"]["byTeam"]["(untagged)"] == {"(untagged)": 75.0}
    assert any("line_item_unblended_cost" in note for note in report["notes"])


def test_every_json_report_begins_with_an_executive_summary(finops: Run) -> None:
    report = report_of(finops)     # no actual spend at all: the estimate stands in
    assert next(iter(report)) == "executiveSummary"
    summary = report["executiveSummary"]
    assert summary["totalBasis"] == "monthly estimate" and summary["totalUsd"] == report["totalMonthlyUsd"]
    assert summary["biggestMovers"] == [] and "no earlier period" in summary["moversBasis"]


def test_the_trend_charts_render_in_headless_chromium(finops: Run, exports: dict[str, Path], tmp_path: Path) -> None:
    from test_report_html import CHROMIUM, measure

    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it; here: apt-get install -y chromium)")
    page = tmp_path / "trend.html"
    page.write_text(report_of(finops, "--actuals", str(exports["parquet"]), "--months", "3", "--period", "week",
                              "--phases", str(exports["phases"]), fmt="html"), encoding="utf-8")
    measured = measure(page, tmp_path, 1280)
    assert measured["problems"] == [] and measured["svgTexts"] >= 3 * 4


@pytest.mark.parametrize(("phases", "found"), [
    ("phases:\n  mvp:\n    start: 2026-13-01\n    end: 2027-02-28\n    budgetUsd: 50000\n", "phases.mvp.start"),
    ("phases:\n  mvp:\n    start: 2026-09-01\n    end: 2026-08-01\n    budgetUsd: 50000\n", "on or after the start"),
    ("phases:\n  mvp:\n    start: 2026-09-01\n    end: 2027-02-28\n    budgetUsd: 50000\n"
     "    allocation: {team: 90, infrastructure: 20}\n", "adding up to 100"),
    ("phases:\n  mvp:\n    start: 2026-09-01\n    end: 2027-02-28\n    budget: 50000\n", "phases.mvp.budget"),
])
def test_a_bad_phases_file_is_one_line_with_its_key(finops: Run, exports: dict[str, Path], tmp_path: Path,
                                                    phases: str, found: str) -> None:
    bad = tmp_path / "phases.yaml"
    bad.write_text(phases)
    code, _, err = finops("report", "-C", str(FIXTURE), "--stacks", "dev", "--actuals", str(exports["csv"]),
                          "--phases", str(bad))
    assert code == 2 and found in err and str(bad) in err and len(err.strip().splitlines()) == 1, err


def test_a_bad_ledger_line_names_its_line(finops: Run, exports: dict[str, Path], tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("date,category,amountUsd\n2026-10-01,team,800\n2026-10-02,tools,lots\n")
    code, _, err = finops("report", "-C", str(FIXTURE), "--stacks", "dev", "--actuals", str(exports["csv"]),
                          "--phases", str(exports["phases"]), "--ledger", str(ledger))
    assert code == 2 and f"{ledger}:3" in err and len(err.strip().splitlines()) == 1, err


def test_the_current_month_is_forecast_at_its_daily_run_rate(finops: Run, exports: dict[str, Path]) -> None:
    done = run_cli("report", "-C", str(FIXTURE), "--stacks", "prod", "--month", "2026-11", "--format", "json",
                   "--actuals", str(exports["parquet"]), env={"FINOPS_TODAY": "2026-11-11"})
    report = json.loads(done.stdout)
    assert report["actualsPeriod"] == "2026-11-01 to 2026-11-11"
    prod = next(b for b in report["budgets"] if b["environment"] == "prod" and b["team"] is None)
    assert prod["actualUsd"] == 300.0 and prod["forecastUsd"] == 900.0      # 10 days at 30.00, x 30/10
