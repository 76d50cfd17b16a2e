"""The components under Pulumi's mocks: tags everywhere, defaults, and refused caps."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import finops_components as finops
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from conftest import ROOT, budgets_of, named, run_in
from finops_components.audit_log_bucket import lifecycle_rules
from finops_components.auto_shutdown import NodeGroupSchedule
from finops_components.aws_budget_limits import BudgetLimitError, batches
from finops_core.rules import ConfigError

SUBNETS = ["subnet-a", "subnet-b"]


def test_raw_pulumi_aws_resources_are_tagged_after_enforce(mock_stack) -> None:
    def program() -> None:
        finops.enforce(service="ui", team="frontend")
        aws.ec2.Instance("raw", instance_type="t3.micro", ami="ami-123")
        aws.s3.Bucket("explicit", tags={"Service": "audit", "Extra": "kept"})
        aws.autoscaling.Group("asg", max_size=1, min_size=0, tags=[{"key": "Team", "value": "devops",
                                                                    "propagate_at_launch": True}])
        aws.iam.RolePolicyAttachment("untaggable", role="r", policy_arn="arn:aws:iam::aws:policy/x")

    resources = mock_stack(program)
    raw = named(resources, "raw").inputs["tags"]
    assert raw == {"Project": "ai-agent-security-platform", "Environment": "dev", "Team": "frontend",
                   "Service": "ui", "Owner": "jdoe", "CostCenter": "engineering", "Phase": "mvp"}
    explicit = named(resources, "explicit").inputs["tags"]
    assert explicit["Service"] == "audit" and explicit["Extra"] == "kept"  # explicit tags win
    blocks = {b["key"]: b["value"] for b in named(resources, "asg").inputs["tags"]}
    assert blocks["Team"] == "devops" and blocks["Owner"] == "jdoe" and len(blocks) == 7
    assert "tags" not in named(resources, "untaggable").inputs


def test_kubernetes_objects_and_pod_templates_are_labelled(mock_stack) -> None:
    def program() -> None:
        finops.enforce(service="ssa")
        k8s.apps.v1.Deployment("api", metadata=k8s.meta.v1.ObjectMetaArgs(labels={"app": "api"}), spec={
            "selector": {"match_labels": {"app": "api"}},
            "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [{"name": "a",
                                                                                          "image": "x"}]}}})
        k8s.core.v1.ConfigMap("settings", data={"a": "b"})

    resources = mock_stack(program)
    deployment = named(resources, "api").inputs
    assert deployment["metadata"]["labels"]["app"] == "api"
    assert deployment["metadata"]["labels"]["cost-center"] == "engineering"
    assert deployment["spec"]["template"]["metadata"]["labels"]["service"] == "ssa"
    assert named(resources, "settings").inputs["metadata"]["labels"]["environment"] == "dev"


def test_tag_values_from_config_are_checked(mock_stack) -> None:
    # The value comes from the stack's config: the message names stacks/Pulumi.dev.yaml (the
    # project's stackConfigDir), at the line that sets the key.
    with pytest.raises(ConfigError, match=r"^stacks/Pulumi\.dev\.yaml:\d+: ai-agent-security-platform:costCenter: "
                                          r"found 'marketing'; expected one of engineering, research, operations"):
        mock_stack(finops.enforce, costCenter="marketing")
    with pytest.raises(ConfigError, match="stack name: found 'sandbox'"):
        mock_stack(finops.enforce, stack="sandbox")


@pytest.fixture
def team_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team's own project, stack files at its root (no stackConfigDir), as the program's cwd."""
    (tmp_path / "Pulumi.yaml").write_text("name: shop\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  shop:owner: jdoe\n"
                                              "  shop:team: marketing\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FINOPS_WAIVERS_FILE", raising=False)
    return tmp_path


def test_a_bad_config_value_names_the_stack_file_where_it_is(team_project: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        run_in("shop", finops.enforce, team="marketing")
    # The project keeps its stack files at the root: Pulumi.dev.yaml, line 4 sets shop:team.
    assert str(caught.value).startswith("Pulumi.dev.yaml:4: shop:team: found 'marketing'; expected one of backend")


def test_a_bad_value_passed_in_code_names_the_line_of_code(team_project: Path) -> None:
    lines: list[int] = []

    def program() -> None:
        lines.append(sys._getframe().f_lineno + 1)
        finops.enforce(team="marketing")

    with pytest.raises(ConfigError) as caught:
        run_in("shop", program)
    assert str(caught.value).startswith(f"{Path(__file__)}:{lines[0]}: team: found 'marketing'; expected one of")

    def database() -> None:
        finops.enforce()
        lines.append(sys._getframe().f_lineno + 1)
        finops.Database("db", finops.DatabaseArgs(subnet_ids=SUBNETS, service="ssa", instance_class="db.r5.8xlarge"))

    with pytest.raises(finops.CapError) as cap:
        run_in("shop", database, team="backend")
    assert str(cap.value).startswith(f"{Path(__file__)}:{lines[1]}: Database 'db': dev database size")


def test_the_optional_feature_tag(mock_stack) -> None:
    def program() -> None:
        finops.enforce(service="ui", feature="agent-sandbox")
        aws.s3.Bucket("assets")
        finops.LogGroup("logs", finops.LogGroupArgs(service="ssa", feature="billing-export"))
        aws.sqs.Queue("plain", tags={"Service": "audit"})

    resources = mock_stack(program)
    assert named(resources, "assets").inputs["tags"]["Feature"] == "agent-sandbox"
    assert named(resources, "logs").inputs["tags"]["Feature"] == "billing-export"
    assert "Feature" not in named(mock_stack(lambda: (finops.enforce(), aws.s3.Bucket("b"))), "b").inputs["tags"]
    with pytest.raises(ConfigError, match=r"test_components\.py:\d+: feature: found 'Not A Slug'; expected a value "
                                          r"matching"):
        mock_stack(lambda: finops.enforce(feature="Not A Slug"))


WAIVER = """\
waivers:
  - policy: finops-database-size
    stack: dev
    type: aws:rds/instance:Instance
    name: "db"
    reason: load test for two weeks
    approver: head-of-platform
    ticket: FIN-42
    expires: {expires}
"""


def test_an_approved_waiver_lets_a_component_exceed_its_cap(mock_stack, tmp_path: Path, monkeypatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVER.format(expires="2099-12-31"))
    monkeypatch.setenv("FINOPS_WAIVERS_FILE", str(waivers))

    def program(name: str) -> Any:
        def build() -> None:
            finops.enforce()
            finops.Database(name, finops.DatabaseArgs(subnet_ids=SUBNETS, service="ssa",
                                                      instance_class="db.r5.8xlarge"))
        return build

    assert named(mock_stack(program("db")), "db").inputs["instanceClass"] == "db.r5.8xlarge"
    warned = caplog.text  # pulumi.log.warn: the engine's log, Python logging under mocks
    assert "waived finops-database-size: Database 'db': dev database size" in warned
    assert "waiver FIN-42 (line 2, approved by head-of-platform until 2099-12-31): load test for two weeks" in warned
    with pytest.raises(finops.CapError):  # the waiver names the resource "db", not "other"
        mock_stack(program("other"))
    with pytest.raises(finops.CapError):  # nor another stack
        mock_stack(program("db"), "dev-alice")

    expired = tmp_path / "expired.yaml"
    expired.write_text(WAIVER.format(expires="2020-01-31"))
    monkeypatch.setenv("FINOPS_WAIVERS_FILE", str(expired))
    with pytest.raises(finops.CapError, match=r"waiver FIN-42 \(line 2.*\) expired: the cap applies again"):
        mock_stack(program("db"))


def test_database_defaults_follow_the_environment(mock_stack) -> None:
    def program() -> None:
        finops.enforce()
        finops.Database("db", finops.DatabaseArgs(subnet_ids=SUBNETS, service="policy-engine"))

    dev = named(mock_stack(program, "dev"), "db").inputs
    prod = named(mock_stack(program, "prod"), "db").inputs
    assert (dev["instanceClass"], dev["multiAz"], dev["deletionProtection"]) == ("db.t4g.micro", False, False)
    assert (prod["instanceClass"], prod["multiAz"], prod["deletionProtection"]) == ("db.r6g.large", True, True)
    assert dev["manageMasterUserPassword"] is True and "password" not in dev


@pytest.mark.parametrize(("build", "message"), [
    (lambda: finops.Database("db", finops.DatabaseArgs(subnet_ids=SUBNETS, service="ssa",
                                                       instance_class="db.r5.8xlarge")),
     "Database 'db': dev database size: found instance_class=db.r5.8xlarge (32 vCPU, 256 GiB, no GPU); "
     "allowed: at most 2 vCPU, 8 GiB memory in dev. Fix: choose a smaller database."),
    (lambda: finops.Database("db", finops.DatabaseArgs(subnet_ids=SUBNETS, service="ssa", multi_az=True)),
     "dev database multi AZ: found multi_az=True; allowed: multi_az=False in dev"),
    (lambda: finops.Cache("c", finops.CacheArgs(subnet_ids=SUBNETS, service="ssa", node_type="cache.m5.4xlarge")),
     "Cache 'c': dev cache size: found node_type=cache.m5.4xlarge"),
    (lambda: finops.KubernetesCluster("k", finops.KubernetesClusterArgs(subnet_ids=SUBNETS, node_groups=[
        finops.NodeGroupSpec(service="ssa", instance_types=["m5.24xlarge"])])),
     "node group ssa: dev instance size: found instance_types=m5.24xlarge"),
    (lambda: finops.KubernetesCluster("k", finops.KubernetesClusterArgs(subnet_ids=SUBNETS, node_groups=[
        finops.NodeGroupSpec(service="ssa", max_size=10)])),
     "dev node group size: found max_size=10 nodes; allowed: at most 3 nodes in dev"),
    (lambda: finops.KubernetesCluster("k", finops.KubernetesClusterArgs(
        subnet_ids=SUBNETS, node_groups=[], gpu_node_group=finops.NodeGroupSpec(service="ssa"))),
     "dev GPU nodes: found gpu_node_group; allowed: no GPU in dev"),
    (lambda: finops.LogGroup("l", finops.LogGroupArgs(service="ssa", retention_days=90)),
     "LogGroup 'l': dev log retention: found retention_days=90 days; allowed: at most 14 days in dev"),
])
def test_breaking_a_cap_is_refused_before_anything_is_created(mock_stack, build, message: str) -> None:
    created: list[Any] = []

    def program() -> None:
        finops.enforce()
        build()

    with pytest.raises(finops.CapError) as caught:
        created = mock_stack(program)
    assert message in str(caught.value)
    assert created == []


def test_gpu_node_group_in_staging(mock_stack) -> None:
    def program() -> None:
        finops.enforce()
        finops.KubernetesCluster("k", finops.KubernetesClusterArgs(
            subnet_ids=SUBNETS, node_groups=[finops.NodeGroupSpec(service="ui")],
            gpu_node_group=finops.NodeGroupSpec(service="ssa", min_size=0, desired_size=0, max_size=1)))

    resources = mock_stack(program, "staging")
    gpu = named(resources, "k-ssa-gpu").inputs
    assert gpu["instanceTypes"] == ["g4dn.xlarge"] and gpu["taints"][0]["key"] == "nvidia.com/gpu"
    # Children are parented and named after the component.
    component = next(r for r in resources if r.name == "k" and not r.custom)
    # (the control-plane log group, a LogGroup component of its own, is the one grandchild)
    parents = {component.urn} | {r.urn for r in resources if r.parent == component.urn and not r.custom}
    assert all(r.parent in parents for r in resources if r.name.startswith("k-"))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_cluster_is_private_encrypted_and_audited_where_the_rules_say(mock_stack, stack: str) -> None:
    def program() -> None:
        finops.enforce()
        finops.KubernetesCluster("k", finops.KubernetesClusterArgs(
            subnet_ids=SUBNETS, node_groups=[finops.NodeGroupSpec(service="ui")],
            public_access_cidrs=["198.51.100.0/24"] if stack == "prod" else None))

    resources = mock_stack(program, stack)
    cluster = next(r for r in resources if r.type == "aws:eks/cluster:Cluster").inputs
    vpc = cluster["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is (stack == "prod")
    assert vpc.get("publicAccessCidrs") == (["198.51.100.0/24"] if stack == "prod" else None)
    assert cluster["encryptionConfig"]["resources"] == ["secrets"]
    assert cluster["encryptionConfig"]["provider"]["keyArn"] == named(resources, "k-secrets-key").outputs["arn"]
    logs = [r for r in resources if r.type == "aws:cloudwatch/logGroup:LogGroup"]
    if stack == "dev":
        assert "enabledClusterLogTypes" not in cluster and logs == []
    else:
        assert cluster["enabledClusterLogTypes"] == ["audit", "authenticator"]
        [group] = logs
        assert group.inputs["name"] == f"/aws/eks/{cluster['name']}/cluster"
        assert group.inputs["retentionInDays"] == {"staging": 30, "prod": 365}[stack]


def test_node_groups_run_on_spot_capacity_outside_prod(mock_stack) -> None:
    def program(capacity: str | None = None) -> Any:
        def build() -> None:
            finops.enforce()
            finops.KubernetesCluster("k", finops.KubernetesClusterArgs(subnet_ids=SUBNETS, node_groups=[
                finops.NodeGroupSpec(service="ui", instance_types=["t4g.medium", "t4g.large"],
                                     capacity_type=capacity)]))
        return build

    assert named(mock_stack(program()), "k-ui").inputs["capacityType"] == "SPOT"
    assert named(mock_stack(program(), "prod"), "k-ui").inputs["capacityType"] == "ON_DEMAND"
    assert named(mock_stack(program("ON_DEMAND")), "k-ui").inputs["capacityType"] == "ON_DEMAND"
    with pytest.raises(finops.CapError, match="capacity_type: found 'spot'; allowed: ON_DEMAND or SPOT"):
        mock_stack(program("spot"))


def test_team_namespace_quota_and_limits_come_from_the_caps(mock_stack) -> None:
    def program() -> None:
        finops.enforce()
        finops.TeamNamespace("ns", finops.TeamNamespaceArgs(team="backend", service="policy-engine", max_pods=10))

    resources = mock_stack(program)
    limits = named(resources, "ns-limits").inputs["spec"]["limits"][0]
    assert limits["max"] == {"cpu": "1", "memory": "2048Mi"}
    assert limits["defaultRequest"] == {"cpu": "250m", "memory": "512Mi"}
    quota = named(resources, "ns-quota").inputs["spec"]["hard"]
    assert (quota["pods"], quota["limits.cpu"], quota["limits.memory"]) == ("10", "10", "20480Mi")
    assert quota["requests.nvidia.com/gpu"] == "0" and quota["requests.aws.amazon.com/neuron"] == "0"  # no GPUs in dev
    assert named(resources, "ns-namespace").inputs["metadata"]["labels"]["team"] == "backend"


def test_auto_shutdown_only_where_the_environment_asks(mock_stack) -> None:
    def program() -> None:
        finops.enforce()
        finops.AutoShutdown("night", finops.AutoShutdownArgs(instance_ids=["i-1"], db_instance_identifiers=["db"]))

    dev = [r for r in mock_stack(program, "dev") if r.type == "aws:scheduler/schedule:Schedule"]
    assert {r.name for r in dev} == {"night-ec2-stop", "night-ec2-start", "night-rds-0-stop", "night-rds-0-start"}
    stop = named(dev, "night-ec2-stop").inputs
    assert stop["target"]["arn"] == "arn:aws:scheduler:::aws-sdk:ec2:stopInstances"  # no Lambda
    assert stop["scheduleExpression"] == "cron(0 20 * * ? *)"
    assert [r for r in mock_stack(program, "prod") if r.type == "aws:scheduler/schedule:Schedule"] == []


def test_auto_shutdown_may_touch_only_this_environment_s_resources_and_the_named_node_groups(mock_stack) -> None:
    def program() -> None:
        finops.enforce()
        finops.AutoShutdown("night", finops.AutoShutdownArgs(node_groups=[NodeGroupSchedule(
            cluster_name="platform", node_group_name="platform-ui", desired_size=1, max_size=2)]))

    resources = mock_stack(program, "dev")
    statements = {s["Sid"]: s for s in json.loads(named(resources, "night-policy").inputs["policy"])["Statement"]}
    for sid in ("StartStopThisEnvironmentsInstances", "StartStopThisEnvironmentsDatabases"):
        assert statements[sid]["Condition"] == {"StringEquals": {"aws:ResourceTag/Environment": "dev"}}
    assert statements["ScaleTheNamedNodeGroups"]["Resource"] == [
        "arn:aws:eks:eu-west-1:123456789012:nodegroup/platform/platform-ui/*"]
    assert all(s["Resource"] != "*" for s in statements.values())
    trust = json.loads(named(resources, "night-role").inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"].startswith(
        "arn:aws:scheduler:eu-west-1:123456789012:schedule-group/night-group")


def test_lifecycle_rules_transition_before_expiry() -> None:
    dev, prod = lifecycle_rules(30)[0], lifecycle_rules(0)[0]
    assert dev["expiration"] == {"days": 30} and "transitions" not in dev
    assert "expiration" not in prod
    assert [t["storage_class"] for t in prod["transitions"]] == ["STANDARD_IA", "GLACIER_IR", "DEEP_ARCHIVE"]


def test_cost_allocation_tags_are_activated_in_batches_of_at_most_20() -> None:
    keys = [f"k{i}" for i in range(45)]
    assert [len(b) for b in batches(keys)] == [20, 20, 5]
    with pytest.raises(BudgetLimitError, match="AWS allows 1 to 20"):
        batches(keys, 25)


def test_budget_alerts_refuse_too_many_subscribers(mock_stack, tmp_path: Path) -> None:
    plan = (ROOT / "budgets" / "dev.yaml").read_text()
    extra = "".join(f"  - person{i}@example.com\n" for i in range(10))
    (tmp_path / "dev.yaml").write_text(plan.replace("subscribers:      # e-mail recipients of every alert "
                                                    "(AWS allows 10 per notification)\n",
                                                    "subscribers:\n" + extra))

    def program() -> None:
        finops.enforce()
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(budgets_dir=str(tmp_path)))

    with pytest.raises(ConfigError, match=r"dev\.yaml:\d+: subscribers: found <12 addresses>; expected at most 10"):
        mock_stack(program)


def test_explicit_tags_given_as_outputs_are_merged(mock_stack) -> None:
    def program() -> None:
        finops.enforce()
        aws.sqs.Queue("q", tags=pulumi.Output.from_input({"Service": "audit"}))

    assert named(mock_stack(program), "q").inputs["tags"]["Service"] == "audit"


def test_budget_and_anomaly_monitor_names_are_unique_per_project_stack_and_team(team_project: Path) -> None:
    def program() -> None:
        finops.enforce(team="frontend")
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(monthly_limit_usd=300, teams={"frontend": 200},
                                                              subscribers=["shop-team@example.com"]))

    shop = run_in("shop", program)
    assert set(budgets_of(shop)) == {"shop-dev-frontend", "shop-dev-frontend-frontend"}
    monitor = next(r for r in shop if r.type == "aws:costexplorer/anomalyMonitor:AnomalyMonitor")
    assert monitor.inputs["name"] == "shop-dev-frontend"
    # Another project, another stack or another team in the same account: other names.
    assert set(budgets_of(run_in("cart", program))).isdisjoint(budgets_of(shop))
    assert set(budgets_of(run_in("shop", program, stack="dev-alice"))).isdisjoint(budgets_of(shop))
    # AWS allows 100 characters: longer names keep their start and a digest of the whole.
    long_names = set(budgets_of(run_in("p" * 120, program)))
    assert len(long_names) == 2 and all(len(n) == 100 and n.startswith("p" * 80) for n in long_names)


def test_budget_alerts_take_their_plan_in_code_or_from_a_file(team_project: Path) -> None:
    def in_code() -> None:
        finops.enforce()
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(monthly_limit_usd=300,
                                                              subscribers=["shop-team@example.com"]))

    [budget] = budgets_of(run_in("shop", in_code, team="backend")).values()
    assert budget["limitAmount"] == "300.00"
    assert sorted(n["threshold"] for n in budget["notifications"]) == [50, 75, 90, 100]
    assert budget["notifications"][0]["subscriberEmailAddresses"] == ["shop-team@example.com"]

    plan = team_project / "shop-budget.yaml"
    plan.write_text((ROOT / "budgets" / "dev.yaml").read_text().replace("monthlyLimit: 600", "monthlyLimit: 900"))

    def from_file() -> None:
        finops.enforce()
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(plan_file=str(plan)))

    limits = {b["limitAmount"] for b in budgets_of(run_in("shop", from_file, team="backend")).values()}
    assert "900.00" in limits

    def no_subscribers() -> None:
        finops.enforce()
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(monthly_limit_usd=300))

    with pytest.raises(ConfigError, match=r"test_components\.py:\d+: subscribers: found \[\]; expected a list of 1 "
                                          r"to 10 e-mail addresses"):
        run_in("shop", no_subscribers, team="backend")


def test_components_charge_what_they_create_to_the_programs_service_and_team(team_project: Path) -> None:
    # The README's team program: enforce(service="ui", team="frontend"), then components with
    # no service of their own; their resources are the frontend team's, not the platform's.
    def program() -> None:
        finops.enforce(service="ui", team="frontend")
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(monthly_limit_usd=300,
                                                              subscribers=["shop-team@example.com"]))
        finops.AuditLogBucket("audit")

    tagged = [r for r in run_in("shop", program) if isinstance(r.inputs.get("tags"), dict)]
    assert len(tagged) >= 4
    assert {(r.inputs["tags"]["Service"], r.inputs["tags"]["Team"]) for r in tagged} == {("ui", "frontend")}


def test_a_stack_covered_by_a_shared_budget_creates_none(team_project: Path) -> None:
    def program() -> None:
        finops.enforce()
        alerts = finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(budgets_dir=str(ROOT / "budgets")))
        assert alerts.covered_by == "frontend-dev"

    resources = run_in("shop", program, team="frontend", **{"finops:coveredByBudget": "frontend-dev"})
    assert [r.type for r in resources] == ["finops:index:BudgetAlerts"]  # the component, no child
    with pytest.raises(ConfigError, match=r"finops:coveredByBudget: found 'a:b'; expected the name of an AWS budget"):
        run_in("shop", program, team="frontend", **{"finops:coveredByBudget": "a:b"})


def test_a_feature_where_the_rules_have_no_feature_tag_is_refused(mock_stack, tmp_path: Path, monkeypatch) -> None:
    import yaml
    from finops_core.rules.loader import DEFAULT_RULES_FILE

    rules = yaml.safe_load(DEFAULT_RULES_FILE.read_text())
    rules.pop("allocationTags", None)
    rules["labels"].pop("Feature", None)
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    monkeypatch.setenv("FINOPS_RULES_FILE", str(tmp_path / "rules.yaml"))
    with pytest.raises(ConfigError, match=r"test_components\.py:\d+: feature: found 'search'; expected no value: the "
                                          r"rules \(.*rules\.yaml\) define no Feature tag"):
        mock_stack(lambda: finops.enforce(feature="search"))
