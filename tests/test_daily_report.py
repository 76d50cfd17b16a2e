"""Daily cost reports to team leads: the Lambda handler against moto (Cost Explorer, SNS, SQS to
read what was published) and the DailyCostReport component under Pulumi's mocks."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import finops_components as finops
import pytest
from finops_components.daily_cost_report import DailyCostReport, DailyCostReportArgs
from finops_components.daily_report_handler import handler as daily
from finops_core.rules import ConfigError

boto3 = pytest.importorskip("boto3")
moto = pytest.importorskip("moto")
requests = pytest.importorskip("requests")

TODAY = dt.date(2026, 11, 29)
REGION = "us-east-1"


def _ce_result(start: str, end: str, groups: dict[tuple[str, str], float]) -> dict[str, Any]:
    return {"ResultsByTime": [{
        "TimePeriod": {"Start": start, "End": end}, "Total": {}, "Estimated": True,
        "Groups": [{"Keys": [f"Team${t}", f"Service${s}"], "Metrics": {"UnblendedCost": {"Amount": f"{v:.2f}",
                                                                                         "Unit": "USD"}}}
                   for (t, s), v in groups.items()]}], "DimensionValueAttributes": []}


YESTERDAY = {("backend", "policy-engine"): 41.5, ("frontend", "ui"): 7.25, ("", ""): 3.0}
MONTH = {("backend", "policy-engine"): 1190.0, ("backend", "audit"): 10.0, ("frontend", "ui"): 201.0, ("", ""): 64.0}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto with one SNS topic per team, each drained into an SQS queue we can read."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                      "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with moto.mock_aws():
        # Cost Explorer answers in the order the handler asks: yesterday, then the month to date.
        requests.post("http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results", json={"results": [
            _ce_result("2026-11-28", "2026-11-29", YESTERDAY), _ce_result("2026-11-01", "2026-11-29", MONTH)]},
            timeout=10).raise_for_status()
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        topics, queues = {}, {}
        for team in ("backend", "frontend", "security"):
            topics[team] = sns.create_topic(Name=f"costs-{team}")["TopicArn"]
            queue = sqs.create_queue(QueueName=f"leads-{team}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(TopicArn=topics[team], Protocol="sqs", Endpoint=arn)
            queues[team] = queue
        monkeypatch.setenv("TEAM_TOPICS", json.dumps(topics))
        yield {"sqs": sqs, "queues": queues, "topics": topics}


def _received(sqs: Any, queue: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_handler_publishes_one_message_per_team(aws: dict[str, Any]) -> None:
    result = daily.handler({}, None, today=TODAY)
    assert result["date"] == "2026-11-28" and sorted(result["published"]) == ["backend", "frontend", "security"]
    inbox = {team: _received(aws["sqs"], queue) for team, queue in aws["queues"].items()}
    assert all(len(messages) == 1 for messages in inbox.values()), inbox

    backend = inbox["backend"][0]
    assert backend["Subject"] == "Daily cost report: backend $41.50 on 2026-11-28, $1,200.00 this month"
    body = backend["Message"]
    assert "Yesterday (2026-11-28): $41.50" in body and "Month to date (2026-11-01 to 2026-11-28): $1,200.00" in body
    assert "policy-engine" in body and "audit" in body and "ui " not in body   # only backend's services
    assert "Spend without a Team tag (no team is charged for it): $3.00 yesterday, $64.00 this month" in body

    frontend = inbox["frontend"][0]
    assert frontend["Subject"].startswith("Daily cost report: frontend $7.25 on 2026-11-28, $201.00 this month")
    # A team without spend still hears from the report: $0, and the untagged spend.
    security = inbox["security"][0]
    assert "security $0.00 on 2026-11-28, $0.00 this month" in security["Subject"]


def test_on_the_first_of_the_month_the_report_covers_last_month(aws: dict[str, Any]) -> None:
    ce = boto3.client("ce", region_name=REGION)
    calls: list[dict[str, Any]] = []

    class Recording:
        def get_cost_and_usage(self, **request: Any) -> Any:
            calls.append(request)
            return ce.get_cost_and_usage(**request)

    daily.handler({}, None, today=dt.date(2026, 12, 1), ce=Recording())
    assert [c["TimePeriod"] for c in calls] == [{"Start": "2026-11-30", "End": "2026-12-01"},
                                                {"Start": "2026-11-01", "End": "2026-12-01"}]
    assert all(c["GroupBy"] == [{"Type": "TAG", "Key": "Team"}, {"Type": "TAG", "Key": "Service"}] for c in calls)
    assert all("Filter" not in c for c in calls)  # no REPORT_ENVIRONMENT: the whole account


def test_the_report_can_keep_to_one_environment(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    ce = boto3.client("ce", region_name=REGION)
    calls: list[dict[str, Any]] = []

    class Recording:
        def get_cost_and_usage(self, **request: Any) -> Any:
            calls.append(request)
            return ce.get_cost_and_usage(**request)

    monkeypatch.setenv("REPORT_ENVIRONMENT", "prod")
    daily.handler({}, None, today=TODAY, ce=Recording())
    assert [c["Filter"] for c in calls] == [
        {"Tags": {"Key": "Environment", "Values": ["prod"], "MatchOptions": ["EQUALS"]}}] * 2


def _by_type(resources: list[Any], suffix: str) -> list[Any]:
    return [r for r in resources if r.type.endswith(suffix)]


def _policy(resource: Any) -> dict[str, Any]:
    policy = resource.inputs["policy"]
    return json.loads(policy) if isinstance(policy, str) else dict(policy)


@pytest.fixture
def deployed(mock_stack: Any) -> list[Any]:
    def program() -> None:
        finops.enforce()
        DailyCostReport("daily-costs", DailyCostReportArgs(
            team_topic_arns={"backend": "arn:aws:sns:eu-west-1:123456789012:backend-costs"},
            team_emails={"frontend": ["lead@example.com", "deputy@example.com"]}, feature="cost-reports"))

    return list(mock_stack(program))


def test_component_schedules_the_handler_with_least_privilege(deployed: list[Any]) -> None:
    component = next(r for r in deployed if r.type == "finops:index:DailyCostReport")
    children = [r for r in deployed if r.parent == component.urn]
    assert children and all(r.name.startswith("daily-costs-") for r in children)

    function = _by_type(deployed, "lambda/function:Function")[0]
    assert function.inputs["runtime"] == "python3.12" and function.inputs["handler"] == "handler.handler"
    assert function.inputs["memorySize"] == 128 and function.inputs["architectures"] == ["arm64"]
    variables = function.inputs["environment"]["variables"]
    topics = json.loads(variables["TEAM_TOPICS"])
    assert topics["backend"] == "arn:aws:sns:eu-west-1:123456789012:backend-costs" and set(topics) == {
        "backend", "frontend"}
    assert variables["REPORT_ENVIRONMENT"] == "dev"
    assert function.inputs["tags"]["Environment"] == "dev" and function.inputs["tags"]["Service"] == "ssa"
    assert function.inputs["tags"]["Feature"] == "cost-reports"

    emails = _by_type(deployed, "sns/topicSubscription:TopicSubscription")
    assert sorted(e.inputs["endpoint"] for e in emails) == ["deputy@example.com", "lead@example.com"]
    assert {e.inputs["protocol"] for e in emails} == {"email"}

    policies = {r.name: _policy(r) for r in _by_type(deployed, "iam/rolePolicy:RolePolicy")}
    statements = policies["daily-costs-function-policy"]["Statement"]
    actions = sorted(a for s in statements for a in s["Action"])
    assert actions == ["ce:GetCostAndUsage", "cloudwatch:GetMetricData", "ec2:DescribeInstances",
                       "logs:CreateLogStream", "logs:PutLogEvents", "rds:DescribeDBInstances", "sns:Publish",
                       "tag:GetResources"]   # the utilization part only reads
    publish = next(s for s in statements if s["Action"] == ["sns:Publish"])
    assert len(publish["Resource"]) == 2 and "arn:aws:sns:eu-west-1:123456789012:backend-costs" in publish["Resource"]
    reads = ("ce:GetCostAndUsage", "tag:GetResources")
    assert all(s["Resource"] != "*" for s in statements if s["Action"][0] not in reads)
    invoke = policies["daily-costs-scheduler-policy"]["Statement"]
    assert invoke[0]["Action"] == ["lambda:InvokeFunction"] and invoke[0]["Resource"].startswith("arn:aws:lambda:")

    schedule = _by_type(deployed, "scheduler/schedule:Schedule")[0]
    assert schedule.inputs["scheduleExpression"] == "cron(0 7 * * ? *)"
    assert schedule.inputs["target"]["arn"] == function.outputs.get("arn", schedule.inputs["target"]["arn"])
    logs = _by_type(deployed, "cloudwatch/logGroup:LogGroup")[0]
    assert logs.inputs["retentionInDays"] == 14   # dev's cap
    assert function.inputs["loggingConfig"]["logGroup"] == logs.inputs["name"]


def test_component_refuses_unknown_teams_before_creating_anything(mock_stack: Any) -> None:
    def program() -> None:
        finops.enforce()
        DailyCostReport("daily-costs", DailyCostReportArgs(team_emails={"marketing": ["a@example.com"]}))

    with pytest.raises(ConfigError, match="DailyCostReport 'daily-costs': team: found 'marketing'"):
        mock_stack(program)


def test_each_team_hears_its_utilization_kpi_and_top_findings(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Any) -> None:
    from finops_core.rightsizing import packed_sizes

    sizes = tmp_path / "sizes.json"
    sizes.write_text(json.dumps(packed_sizes(REGION)))
    monkeypatch.setenv("SIZES_FILE", str(sizes))
    monkeypatch.setenv("UTILIZATION", json.dumps({"target": 70, "idlePercent": 2, "days": 2}))
    monkeypatch.setenv("REPORT_ENVIRONMENT", "dev")
    ec2, cloudwatch = boto3.client("ec2", region_name=REGION), boto3.client("cloudwatch", region_name=REGION)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    now = dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.timezone.utc)

    def instance(instance_type: str, team: str, name: str, environment: str, cpu: list[float]) -> None:
        tags = [{"Key": "Environment", "Value": environment}, {"Key": "Team", "Value": team},
                {"Key": "Name", "Value": name}]
        ident = ec2.run_instances(ImageId=image, InstanceType=instance_type, MinCount=1, MaxCount=1,
                                  TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"][0]
        cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=[
            {"MetricName": "CPUUtilization", "Dimensions": [{"Name": "InstanceId", "Value": ident["InstanceId"]}],
             "Timestamp": now - dt.timedelta(hours=h, minutes=30), "Value": v} for h, v in enumerate(cpu)])

    instance("m5.2xlarge", "backend", "api-big", "dev", [5.0 + (h % 11) for h in range(48)])
    instance("m5.large", "backend", "api-idle", "dev", [0.5] * 48)
    instance("t3.medium", "backend", "api-busy", "dev", [80.0] * 48)
    instance("m5.4xlarge", "backend", "api-prod", "prod", [1.0] * 48)     # another environment: not read
    daily.handler({}, None, today=TODAY, now=now)
    body = _received(aws["sqs"], aws["queues"]["backend"])[0]["Message"]
    assert "Utilization (CPU, hourly averages over 2 days): average 30.1 % of 3 instance(s), below the 70 % target." \
        in body, body
    findings = body.split("Top findings:\n")[1].splitlines()
    assert findings[0].startswith("- api-big (m5.2xlarge, average 9.71 %, p95 15 %): downsize to m5.large, saving "
                                  "$210.24/month")
    assert findings[1].startswith("- api-idle (m5.large, average 0.5 %, p95 0.5 %): stop it (idle), "
                                  "saving $70.08/month")
    assert "api-busy" not in body and "api-prod" not in body
    frontend = _received(aws["sqs"], aws["queues"]["frontend"])[0]["Message"]
    assert "Utilization: no measured EC2 or RDS instances of this team." in frontend
