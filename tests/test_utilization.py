"""`finops utilization` against a local moto server: tagged (and untagged) EC2 instances, an RDS
instance, an unattached volume and an unassociated EIP, with 14 days of hourly CPU put into
CloudWatch; the command finds them through the Tagging API and reads GetMetricData."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import moto_running, run_cli

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")

DAYS = 14


def _tags(environment: str, team: str, service: str, name: str) -> list[dict[str, str]]:
    return [{"Key": "Environment", "Value": environment}, {"Key": "Team", "Value": team},
            {"Key": "Service", "Value": service}, {"Key": "Name", "Value": name}]


def _instance(ec2: Any, image: str, instance_type: str, tags: list[dict[str, str]] | None) -> str:
    spec = [{"ResourceType": "instance", "Tags": tags}] if tags else []
    reply = ec2.run_instances(ImageId=image, InstanceType=instance_type, MinCount=1, MaxCount=1,
                              TagSpecifications=spec)
    return str(reply["Instances"][0]["InstanceId"])


def _put_hourly(cloudwatch: Any, namespace: str, metric: str, dimension: tuple[str, str],
                values: list[float], start: dt.datetime, unit: str = "Percent") -> None:
    data = [{"MetricName": metric, "Dimensions": [{"Name": dimension[0], "Value": dimension[1]}],
             "Timestamp": start + dt.timedelta(hours=h, minutes=30), "Value": v, "Unit": unit}
            for h, v in enumerate(values)]
    for first in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[first:first + 500])


@pytest.fixture(scope="module")
def account() -> Iterator[dict[str, Any]]:
    """A moto server holding the dev (and one prod) deployment, and the environment to reach it."""
    with moto_running() as url:
        env = {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name="us-east-1")
        ec2 = session.client("ec2", endpoint_url=env["AWS_ENDPOINT_URL"])
        rds = session.client("rds", endpoint_url=env["AWS_ENDPOINT_URL"])
        cloudwatch = session.client("cloudwatch", endpoint_url=env["AWS_ENDPOINT_URL"])
        image = ec2.describe_images()["Images"][0]["ImageId"]
        ids = {
            "big": _instance(ec2, image, "m5.2xlarge", _tags("dev", "backend", "policy-engine", "api-big")),
            "idle": _instance(ec2, image, "m5.large", _tags("dev", "frontend", "ui", "ui-idle")),
            "busy": _instance(ec2, image, "t3.medium", _tags("dev", "devops", "ssa", "ssa-busy")),
            "prod": _instance(ec2, image, "m5.xlarge", _tags("prod", "backend", "policy-engine", "api-prod")),
            "untagged": _instance(ec2, image, "t3.small", None),
        }
        rds.create_db_instance(DBInstanceIdentifier="audit-db", DBInstanceClass="db.m5.large", Engine="postgres",
                               AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="secret-password",
                               Tags=_tags("dev", "security", "audit", "audit-db"))
        volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="gp3", TagSpecifications=[
            {"ResourceType": "volume", "Tags": _tags("dev", "backend", "policy-engine", "scratch")}])
        ids["volume"] = volume["VolumeId"]
        address = ec2.allocate_address(Domain="vpc", TagSpecifications=[
            {"ResourceType": "elastic-ip", "Tags": _tags("dev", "frontend", "ui", "spare-ip")}])
        ids["eip"] = address["AllocationId"]
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"us-east-1{z}")
                   ["Subnet"]["SubnetId"] for n, z in ((1, "a"), (2, "b"))]
        nat_ip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=nat_ip, TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": _tags("dev", "devops", "ssa", "egress")}])
        ids["nat"] = nat["NatGateway"]["NatGatewayId"]
        balancer = session.client("elbv2", endpoint_url=env["AWS_ENDPOINT_URL"]).create_load_balancer(
            Name="web", Subnets=subnets, Tags=_tags("dev", "frontend", "ui", "web"))["LoadBalancers"][0]
        ids["lb"] = balancer["LoadBalancerArn"]
        end = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
        start = end - dt.timedelta(days=DAYS)
        hours, recent = DAYS * 24, 3 * 24   # the rest only the last three days: moto scans every point per query
        cpu = {"big": [5.0 + (h % 11) for h in range(hours)],          # 5..15 %: p95 15 %
               "idle": [0.5 + (h % 3) * 0.25 for h in range(hours)],   # under 1 %
               "busy": [75.0 + (h % 11) for h in range(recent)],       # 75..85 %: average 80 %
               "prod": [3.0] * recent, "untagged": [30.0] * recent}
        for key, values in cpu.items():
            _put_hourly(cloudwatch, "AWS/EC2", "CPUUtilization", ("InstanceId", ids[key]), values,
                        end - dt.timedelta(hours=len(values)))
        _put_hourly(cloudwatch, "AWS/RDS", "CPUUtilization", ("DBInstanceIdentifier", "audit-db"),
                    [40.0] * recent, end - dt.timedelta(hours=recent))
        # A day of traffic: a few hundred bytes through the NAT gateway, no request to the load balancer.
        day = start + dt.timedelta(days=DAYS - 1)
        _put_hourly(cloudwatch, "AWS/NATGateway", "BytesOutToDestination", ("NatGatewayId", ids["nat"]),
                    [100.0] * 24, day, "Bytes")
        suffix = ids["lb"].split(":loadbalancer/", 1)[1]
        _put_hourly(cloudwatch, "AWS/ApplicationELB", "RequestCount", ("LoadBalancer", suffix), [0.0] * 24, day,
                    "Count")
        yield {"env": env, "ids": ids}


@pytest.fixture(scope="module")
def dev_json(account: Mapping[str, Any]) -> dict[str, Any]:
    result = run_cli("utilization", "--environment", "dev", "--format", "json", env=account["env"])
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _by_id(report: Mapping[str, Any], ident: str) -> dict[str, Any]:
    return next(r for r in report["resources"] if r["id"] == ident)


def test_an_oversized_instance_is_downsized_within_its_family(dev_json: dict[str, Any],
                                                              account: dict[str, Any]) -> None:
    big = _by_id(dev_json, account["ids"]["big"])
    assert big["type"] == "m5.2xlarge" and big["name"] == "api-big" and big["team"] == "backend"
    assert big["cpu"]["average"] == pytest.approx(10, abs=0.5) and big["cpu"]["p95"] == pytest.approx(15, abs=0.5)
    rec = big["recommendation"]
    # p95 15 % of 8 vCPU is 60 % of 2 vCPU: m5.large keeps it under 70 %; $0.384 -> $0.096 an hour.
    assert rec["action"] == "downsize" and rec["to"] == "m5.large"
    assert rec["monthlySavingUsd"] == pytest.approx((0.384 - 0.096) * 730, abs=0.05)


def test_an_idle_instance_is_stopped_saving_its_running_hours(dev_json: dict[str, Any],
                                                              account: dict[str, Any]) -> None:
    rec = _by_id(dev_json, account["ids"]["idle"])["recommendation"]
    assert rec["action"] == "stop" and rec["to"] is None
    assert rec["monthlySavingUsd"] == pytest.approx(0.096 * 730, abs=0.05)   # its root volume stays billed
    assert "idle" in rec["reason"]


def test_a_busy_instance_is_left_alone(dev_json: dict[str, Any], account: dict[str, Any]) -> None:
    busy = _by_id(dev_json, account["ids"]["busy"])
    assert busy["cpu"]["average"] == pytest.approx(80, abs=0.5)
    assert busy["recommendation"]["action"] == "none" and busy["recommendation"]["monthlySavingUsd"] == 0
    assert "busy" in busy["recommendation"]["reason"]


def test_rds_is_read_and_other_environments_are_not(dev_json: dict[str, Any], account: dict[str, Any]) -> None:
    db = _by_id(dev_json, "audit-db")
    assert db["type"] == "db.m5.large" and db["cpu"]["average"] == 40 and db["team"] == "security"
    ids = {r["id"] for r in dev_json["resources"]}
    assert account["ids"]["prod"] not in ids
    assert {r["environment"] for r in dev_json["resources"]} == {"dev", "(unattributed)"}


def test_untagged_resources_are_unattributed_and_unused_ones_are_deleted(dev_json: dict[str, Any],
                                                                         account: dict[str, Any]) -> None:
    untagged = _by_id(dev_json, account["ids"]["untagged"])
    assert untagged["team"] == "(unattributed)" and untagged["cpu"]["average"] == 30
    volume = _by_id(dev_json, account["ids"]["volume"])["recommendation"]
    assert volume["action"] == "delete" and volume["monthlySavingUsd"] == pytest.approx(50 * 0.08, abs=0.01)
    eip = _by_id(dev_json, account["ids"]["eip"])["recommendation"]
    assert eip["action"] == "delete" and eip["monthlySavingUsd"] == pytest.approx(0.005 * 730, abs=0.01)


def test_an_idle_nat_gateway_and_load_balancer_are_deleted(dev_json: dict[str, Any],
                                                           account: dict[str, Any]) -> None:
    nat = _by_id(dev_json, account["ids"]["nat"])
    assert nat["kind"] == "nat-gateway" and nat["bytesPerDay"] == round(2400 / DAYS) and nat["team"] == "devops"
    assert nat["recommendation"]["action"] == "delete"
    assert nat["recommendation"]["monthlySavingUsd"] == pytest.approx(0.045 * 730, abs=0.01)
    balancer = _by_id(dev_json, account["ids"]["lb"])
    assert balancer["requests"] == 0 and balancer["recommendation"]["action"] == "delete"
    assert balancer["recommendation"]["monthlySavingUsd"] > 0


def test_team_kpis_against_the_target(dev_json: dict[str, Any]) -> None:
    kpi = dev_json["utilization"]
    assert kpi["target"] == 70
    assert kpi["byTeam"]["devops"]["averagePercent"] == pytest.approx(80, abs=0.5)
    assert kpi["byTeam"]["devops"]["meetsTarget"] is True
    assert kpi["byTeam"]["backend"]["meetsTarget"] is False
    assert set(kpi["byTeam"]) == {"backend", "frontend", "devops", "security", "(unattributed)"}
    assert kpi["byTeam"]["devops"]["idleSharePercent"] > 0   # the idle NAT gateway
    assert set(kpi["byEnvironment"]) == {"dev", "(unattributed)"} and "ui" in kpi["byService"]
    # Idle spend: the stopped m5.large, the unattached volume, the spare EIP, the NAT gateway, the load balancer.
    assert kpi["idleMonthlyUsd"] > 70 and 0 < kpi["idleSharePercent"] < 100
    assert dev_json["period"]["days"] == DAYS


def test_table_fits_120_columns_and_names_the_findings(account: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "u.txt"
    result = run_cli("utilization", "-s", "dev", "--days", "2", "-o", str(out), env=account["env"])
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert max(len(line) for line in text.splitlines()) <= 120
    assert "api-big" in text and "downsize" in text and "m5.large" in text and "By team:" in text


def test_bad_days_is_one_line(account: dict[str, Any]) -> None:
    result = run_cli("utilization", "--environment", "dev", "--days", "0", env=account["env"])
    assert result.returncode == 2 and "--days" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("utilization", "--environment", "qa", env=account["env"])
    assert result.returncode == 2 and "one of the environments" in result.stderr


def _export(path: Path, ids: Mapping[str, str]) -> Path:
    """A `pulumi stack export` of dev holding the big instance, and a stray prod-tagged one."""
    prefix = "urn:pulumi:dev::platform::"
    resources = [{"urn": f"{prefix}pulumi:pulumi:Stack::platform-dev", "custom": False,
                  "type": "pulumi:pulumi:Stack"}]
    for key, environment in (("big", "dev"), ("prod", "prod")):
        tags = {"Environment": environment, "Team": "backend", "Service": "policy-engine"}
        resources.append({"urn": f"{prefix}aws:ec2/instance:Instance::{key}", "custom": True, "id": ids[key],
                          "type": "aws:ec2/instance:Instance", "inputs": {"instanceType": "m5.2xlarge", "tags": tags},
                          "outputs": {"instanceType": "m5.2xlarge", "tags": tags}})
    path.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": resources}}))
    return path


def test_resources_from_a_stack_export(account: dict[str, Any], tmp_path: Path) -> None:
    state = _export(tmp_path / "dev.json", account["ids"])
    result = run_cli("utilization", "-s", "dev", "--state", str(state), "--days", "3", "--format", "json",
                     env=account["env"])
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    [big] = report["resources"]   # the prod-tagged one is not read
    assert big["id"] == account["ids"]["big"] and big["name"] == "big" and big["cpu"]["hours"] == 72
    assert big["recommendation"]["action"] == "downsize" and report["source"].startswith(str(state))


def test_csv_and_html(account: dict[str, Any], tmp_path: Path) -> None:
    result = run_cli("utilization", "--environment", "dev", "--days", "2", "--format", "csv", env=account["env"])
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.startswith("id,name,kind,type,team,service,environment,cpuAverage,cpuP95,monthlyUsd,action,to")
    assert any(",api-big,ec2-instance,m5.2xlarge,backend,policy-engine,dev," in r and ",downsize,m5.large," in r
               for r in rows)
    page = tmp_path / "u.html"
    result = run_cli("utilization", "--environment", "dev", "--days", "2", "--format", "html", "-o", str(page),
                     env=account["env"])
    assert result.returncode == 0, result.stderr
    text = page.read_text()
    assert "Content-Security-Policy" in text and "<script" not in text
    assert 'id="teams"' in text and "api-big" in text and "70 % target" in text


def test_the_utilization_rules_are_optional_and_checked() -> None:
    from finops_core.reading import ConfigError, YamlDoc, load_yaml
    from finops_core.rules.loader import DEFAULT_RULES_FILE, parse_rules

    raw = {k: v for k, v in dict(load_yaml(DEFAULT_RULES_FILE).data).items() if k != "utilization"}
    defaults = parse_rules(YamlDoc("old-rules.yaml", raw)).utilization
    assert (defaults.target_percent, defaults.idle_percent, defaults.idle_bytes_per_day) == (70, 2, 1_000_000)
    assert parse_rules(YamlDoc("r.yaml", {**raw, "utilization": {"target": 60}})).utilization.target_percent == 60
    with pytest.raises(ConfigError, match=r"utilization.idlePercent: found 80; expected a percentage under the "
                                          r"target \(70\)"):
        parse_rules(YamlDoc("r.yaml", {**raw, "utilization": {"idlePercent": 80}}))
    with pytest.raises(ConfigError, match=r"utilization.target: found 170; expected a percentage above 0"):
        parse_rules(YamlDoc("r.yaml", {**raw, "utilization": {"target": 170}}))
