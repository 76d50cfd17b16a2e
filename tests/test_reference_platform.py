"""The reference platform's three stacks, run under Pulumi's mocks and sent to the pack."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from conftest import PACK_DIR, ROOT, KeptPacks
from finops_core.resource_types import aws_tag_shape, is_labelled_kubernetes_type
from finops_core.rules import load_rules
from finops_preview.runner import Analysis, ProgramRun, analyze_run

STACKS = ("dev", "staging", "prod")
COMMITMENT_HINT = "finops-advice-commitment"
RULES = load_rules()
# What rules.yaml allows, written out here so that the expectation is not the code under test.
ALLOWED = {"Project": {"ai-agent-security-platform"}, "Environment": {"dev", "staging", "prod"},
           "Team": {"backend", "frontend", "devops", "security"}, "Service": {"ssa", "policy-engine", "audit", "ui"},
           "CostCenter": {"engineering", "research", "operations"}, "Phase": {"mvp", "enterprise", "expansion"}}
OWNER = re.compile(r"[a-z][a-z0-9._-]{0,61}[a-z0-9]")
LABELS = {"Project": "project", "Environment": "environment", "Team": "team", "Service": "service",
          "Owner": "owner", "CostCenter": "cost-center", "Phase": "phase"}


def _valid(values: Mapping[str, Any]) -> bool:
    owner = values.get("Owner")
    return (all(values.get(key) in allowed for key, allowed in ALLOWED.items())
            and isinstance(owner, str) and OWNER.fullmatch(owner) is not None)


@pytest.fixture(scope="module", params=STACKS)
def platform(request: pytest.FixtureRequest, shared_program_runs: Callable[..., ProgramRun],
             shared_packs: KeptPacks) -> Iterator[tuple[ProgramRun, Analysis]]:
    run = shared_program_runs(ROOT, request.param)  # the same run `finops preview` and `report` tests use
    with shared_packs(PACK_DIR, stack=run.stack, project=run.project.name, config=run.config.values) as pack:
        pack.handshake()
        analysis = analyze_run(pack, run)
    yield run, analysis


def of_type(run: ProgramRun, resource_type: str) -> list[Any]:
    return [r for r in run.resources if r.type == resource_type]


def test_every_resource_passes_the_pack(platform: tuple[ProgramRun, Analysis]) -> None:
    run, analysis = platform
    assert len(run.custom_resources()) > 50
    # Not even an advisory, but for the one hint no code can act on: prod's steady spend could be
    # bought as a Savings Plan or reservations (a finance decision, once per prod stack).
    found = [d for d in analysis.all() if d.policy != COMMITMENT_HINT]
    assert [d.message for d in found] == []
    hints = [d for d in analysis.all() if d.policy == COMMITMENT_HINT]
    assert len(hints) == (1 if run.stack == "prod" else 0) and all(not d.mandatory for d in hints)


def test_every_taggable_resource_carries_valid_tags(platform: tuple[ProgramRun, Analysis]) -> None:
    run, _ = platform
    taggable = [r for r in run.custom_resources() if aws_tag_shape(r.type) == "map"]
    assert len(taggable) > 20
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        assert _valid(tags), (resource.urn, tags)
        assert tags["Environment"] == run.stack


def test_every_kubernetes_object_carries_valid_labels(platform: tuple[ProgramRun, Analysis]) -> None:
    run, _ = platform
    objects = [r for r in run.custom_resources() if is_labelled_kubernetes_type(r.type)]
    assert {r.type for r in objects} >= {"kubernetes:core/v1:Namespace", "kubernetes:core/v1:ResourceQuota",
                                         "kubernetes:core/v1:LimitRange"}
    for resource in objects:
        labels = resource.inputs["metadata"]["labels"]
        assert _valid({tag: labels.get(label) for tag, label in LABELS.items()}), (resource.urn, labels)


def test_budget_alerts_at_50_75_90_and_a_forecast(platform: tuple[ProgramRun, Analysis]) -> None:
    run, _ = platform
    main = next(r for r in of_type(run, "aws:budgets/budget:Budget") if r.name == "budget")
    alerts = sorted((n["notificationType"], n["threshold"]) for n in main.inputs["notifications"])
    assert alerts == [("ACTUAL", 50), ("ACTUAL", 75), ("ACTUAL", 90), ("FORECASTED", 100)]
    assert all(n["subscriberEmailAddresses"] and len(n["subscriberSnsTopicArns"]) == 1
               for n in main.inputs["notifications"])
    teams = {r.name for r in of_type(run, "aws:budgets/budget:Budget")} - {"budget"}
    assert teams == {"budget-backend", "budget-frontend", "budget-devops", "budget-security"}
    assert of_type(run, "aws:costexplorer/anomalySubscription:AnomalySubscription")[0].inputs["thresholdExpression"]
    assert len(of_type(run, "aws:costexplorer/costAllocationTag:CostAllocationTag")) == len(RULES.tags) + len(
        RULES.allocation_tags)  # Feature too: the report allocates by it
    action = of_type(run, "aws:budgets/budgetAction:BudgetAction")[0].inputs
    assert action["approvalModel"] == ("AUTOMATIC" if run.stack == "dev" else "MANUAL")


def test_environment_shapes_the_platform(platform: tuple[ProgramRun, Analysis]) -> None:
    run, _ = platform
    env = RULES.environments[run.stack]
    groups = of_type(run, "aws:eks/nodeGroup:NodeGroup")
    services = {g.inputs["tags"]["Service"] for g in groups}
    assert services == {"ssa", "policy-engine", "audit", "ui"}
    gpu = [g for g in groups if g.inputs.get("amiType") == "AL2023_x86_64_NVIDIA"]
    assert len(gpu) == (0 if run.stack == "dev" else 1)  # SLM classification where GPUs are allowed
    for group in groups:
        assert group.inputs["scalingConfig"]["maxSize"] <= env.node_group.max_size
    database = of_type(run, "aws:rds/instance:Instance")[0].inputs
    assert database["multiAz"] is (run.stack == "prod")
    # Staging's data is protected as prod's: deletion protection and a final snapshot.
    assert database["deletionProtection"] is (run.stack != "dev")
    assert database["skipFinalSnapshot"] is (run.stack == "dev")
    assert database["allocatedStorage"] <= env.database.max_storage_gib
    for log_group in of_type(run, "aws:cloudwatch/logGroup:LogGroup"):
        assert 0 < log_group.inputs["retentionInDays"] <= env.log_retention.max_days
    schedules = of_type(run, "aws:scheduler/schedule:Schedule")
    assert bool(schedules) is (run.stack == "dev")  # auto-shutdown only in dev
    lifecycle = of_type(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[0].inputs
    expires = "expiration" in lifecycle["rules"][0]
    assert expires is (run.stack != "prod")


def test_nat_egress_is_watched_on_the_budget_topic(platform: tuple[ProgramRun, Analysis]) -> None:
    run, _ = platform
    gateways = of_type(run, "aws:ec2/natGateway:NatGateway")
    alarms = [r for r in of_type(run, "aws:cloudwatch/metricAlarm:MetricAlarm")
              if r.inputs.get("metricName") == "BytesOutToDestination"]
    # staging builds its own network (stack config `network`): one NAT gateway, watched; dev and
    # prod use the default VPC, which has none.
    assert len(gateways) == (1 if run.stack == "staging" else 0) and len(alarms) == len(gateways)
    for alarm in alarms:
        [topic] = [r for r in of_type(run, "aws:sns/topic:Topic") if r.name == "budget-alerts"]
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]
        assert alarm.inputs["threshold"] == pytest.approx(2000e9 * 24 / 730, rel=1e-6)
