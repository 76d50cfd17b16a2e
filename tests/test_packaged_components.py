"""Packaged components (awsx, eks ...): the offline preview creates, tags and prices their children.

Under the real engine a packaged component registers one remote component and its own provider
creates the children; offline the mock engine creates them from finops_core's table. The tests
hold that against Pulumi's own templates (test fixtures) and against the states the real engine
recorded for awsx's and eks's example programs (in ../shared, read from there).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import finops_components as finops
import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx
import pulumi_eks as eks
import pytest
from conftest import BASE_CONFIG, PACK_DIR, PROJECT, ROOT, run_cli
from finops_core.component_expansion import expand
from finops_core.packaged_components import expansion_request, packaged_components
from finops_preview.mock_engine import MockSession

PROGRAMS = ROOT / "tests" / "fixtures" / "programs"
RECORDED_PROGRAMS = ROOT / "tests" / "fixtures" / "recorded_programs"
REFERENCE = ROOT.parent / "shared" / "reference"
ZONES = ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
# 730 hours of us-east-1 list prices (the prices the estimate has for us-west-2 too): the EKS
# control plane, a t2.medium, a NAT gateway and a public IPv4 address.
EKS_CONTROL_PLANE, T2_MEDIUM, NAT_GATEWAY, PUBLIC_IPV4 = 0.10 * 730, 0.0464 * 730, 0.045 * 730, 0.005 * 730
COST_BEARING = {
    "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip",
    "aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup", "aws:lb/listener:Listener",
    "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition", "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup", "aws:autoscaling/group:Group", "aws:ec2/launchTemplate:LaunchTemplate",
}

# The previews replay one run per program (conftest): what is tested is the expansion and the
# estimate, the runner itself in test_runner_engine.
pytestmark = pytest.mark.usefixtures("program_replay")


def preview_json(directory: Path, stack: str = "dev", *args: str) -> dict[str, Any]:
    """``finops preview --json`` of a project (its run shared per session, see conftest)."""
    completed = run_cli("preview", "-C", str(directory), "-s", stack, "--policy-pack", str(PACK_DIR), "--json", *args)
    assert completed.returncode in (0, 1), completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def of_type(report: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in report["resources"] if r["type"] == resource_type]


def refused_for_tags(report: dict[str, Any]) -> set[str]:
    return {v["resource"] for v in report["violations"]
            if v["policy"] == "finops-required-tags" and v["enforcementLevel"] == "mandatory"}


@pytest.fixture
def packaged_stack() -> Callable[..., list[Any]]:
    """Run a program in-process under the mock engine, packaged components expanded."""
    def run(program: Callable[[], object]) -> list[Any]:
        return MockSession(PROJECT, "dev", BASE_CONFIG, packaged=expansion_request()).run(program)
    return run


# -- transforms, as the engine runs them ------------------------------------------------------------

def test_enforce_tags_a_raw_resource_and_the_children_of_a_packaged_component(packaged_stack) -> None:
    def program() -> None:
        finops.enforce(service="ui", team="frontend")
        aws.s3.Bucket("raw")
        awsx.ec2.Vpc("vpc", number_of_availability_zones=2)

    resources = packaged_stack(program)
    raw = next(r for r in resources if r.name == "raw")
    assert raw.inputs["tags"]["Team"] == "frontend" and raw.inputs["tags"]["Owner"] == "jdoe"
    children = [r for r in resources if r.custom and r.name.startswith("vpc")]
    nats = [r for r in children if r.type == "aws:ec2/natGateway:NatGateway"]
    assert len(nats) == 2 and all(r.inputs["tags"]["Service"] == "ui" for r in nats)
    subnets = [r for r in children if r.type == "aws:ec2/subnet:Subnet"]
    # The component's own tags stay; enforce() adds the mandatory ones beside them.
    assert all(r.inputs["tags"]["SubnetType"] in ("Public", "Private") and r.inputs["tags"]["Phase"] == "mvp"
               for r in subnets) and len(subnets) == 4


def test_a_transform_in_a_components_options_reaches_its_children(packaged_stack) -> None:
    seen: list[str] = []

    def mark(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult:
        seen.append(args.type_)
        return pulumi.ResourceTransformResult({**args.props, "tags": {"Marked": "yes"}}, args.opts)

    def program() -> None:
        awsx.ec2.Vpc("vpc", number_of_availability_zones=1, opts=pulumi.ResourceOptions(transforms=[mark]))
        aws.s3.Bucket("outside")

    resources = packaged_stack(program)
    assert "aws:ec2/natGateway:NatGateway" in seen and "aws:s3/bucket:Bucket" not in seen
    nat = next(r for r in resources if r.type == "aws:ec2/natGateway:NatGateway")
    assert nat.inputs["tags"] == {"Marked": "yes"}


def test_the_outputs_programs_read_are_the_childrens_values(packaged_stack) -> None:
    read: dict[str, Any] = {}

    def program() -> None:
        vpc = awsx.ec2.Vpc("net")
        lb = awsx.lb.ApplicationLoadBalancer("web", subnet_ids=vpc.public_subnet_ids)
        cluster = eks.Cluster("k8s", vpc_id=vpc.vpc_id, private_subnet_ids=vpc.private_subnet_ids)
        vpc.vpc_id.apply(lambda v: read.update(vpc_id=v))
        vpc.subnets.apply(lambda s: read.update(subnets=[type(x).__name__ for x in s]))
        lb.load_balancer.dns_name.apply(lambda d: read.update(dns=d))
        lb.default_target_group.apply(lambda g: read.update(target_group=type(g).__name__))
        cluster.kubeconfig.apply(lambda k: read.update(kubeconfig=k))
        cluster.core.cluster.name.apply(lambda n: read.update(cluster=n))

    resources = packaged_stack(program)
    vpc = next(r for r in resources if r.type == "aws:ec2/vpc:Vpc")
    assert read["vpc_id"] == vpc.id and read["subnets"] == ["Subnet"] * 6
    assert read["dns"].endswith(".elb.amazonaws.com") and read["target_group"] == "TargetGroup"
    assert read["kubeconfig"]["clusters"][0]["cluster"]["server"].startswith("https://")
    assert read["cluster"] == "k8s-eksCluster-mock"
    asg = next(r for r in resources if r.type == "aws:autoscaling/group:Group")
    # The cluster's nodes go in the VPC's private subnets, as eks puts them.
    assert asg.inputs["vpcZoneIdentifiers"] == [f"net-private-{i}-id" for i in (1, 2, 3)]


# -- the table itself ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("strategy", "nats"), [("OnePerAz", 3), ("Single", 1), ("None", 0)])
def test_a_vpc_has_the_nat_gateways_its_strategy_says(strategy: str, nats: int) -> None:
    made = expand(packaged_components(), "awsx:ec2:Vpc", "v", {"natGateways": {"strategy": strategy}}, "us-west-2",
                  ZONES)
    assert made is not None
    types = Counter(c.type for c in made.children)
    assert types["aws:ec2/natGateway:NatGateway"] == nats == types["aws:ec2/eip:Eip"]
    assert types["aws:ec2/subnet:Subnet"] == 6 and types["aws:ec2/route:Route"] == 3 + (3 if nats else 0)


@pytest.mark.parametrize(("args", "expected"), [
    ({}, {"aws:autoscaling/group:Group": 1, "aws:ec2/launchTemplate:LaunchTemplate": 1}),
    ({"skipDefaultNodeGroup": True}, {"aws:autoscaling/group:Group": 0}),
    ({"fargate": True}, {"aws:autoscaling/group:Group": 0, "aws:eks/fargateProfile:FargateProfile": 1}),
])
def test_an_eks_cluster_has_its_default_node_group_unless_told(args: dict[str, Any], expected: dict[str, int]) -> None:
    made = expand(packaged_components(), "eks:index:Cluster", "c", args, "us-west-2", ZONES)
    assert made is not None
    types = Counter(c.type for c in made.children)
    assert types["aws:eks/cluster:Cluster"] == 1
    assert {t: types[t] for t in expected} == expected


def test_node_group_options_size_the_default_node_group() -> None:
    options = {"nodeGroupOptions": {"instanceType": "m5.large", "desiredCapacity": 4, "nodeRootVolumeSize": 50}}
    made = expand(packaged_components(), "eks:index:Cluster", "c", options, "us-west-2", ZONES)
    assert made is not None
    template = next(c for c in made.children if c.type == "aws:ec2/launchTemplate:LaunchTemplate")
    group = next(c for c in made.children if c.type == "aws:autoscaling/group:Group")
    assert template.inputs["instanceType"] == "m5.large" and group.inputs["desiredCapacity"] == 4
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 50


def test_a_fargate_task_gets_the_smallest_size_that_holds_its_containers() -> None:
    made = expand(packaged_components(), "awsx:ecs:FargateTaskDefinition", "t",
                  {"containers": {"a": {"image": "x", "cpu": 512, "memory": 1536}, "b": {"image": "y", "cpu": 256}}},
                  "us-west-2", ZONES)
    assert made is not None
    task = next(c for c in made.children if c.type == "aws:ecs/taskDefinition:TaskDefinition")
    # 0.75 vCPU and 1.5 GB: awsx's cheapest size holding both is 1 vCPU and 2 GB.
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("1024", "2048")


def test_an_unknown_token_is_not_expanded() -> None:
    assert expand(packaged_components(), "acme:index:Thing", "t", {}, "us-west-2", ZONES) is None


# -- Pulumi's templates ---------------------------------------------------------------------------------

def test_kubernetes_aws_python_shows_the_cluster_its_network_and_nodes_at_list_price() -> None:
    report = preview_json(PROGRAMS / "kubernetes-aws-python")
    assert len(of_type(report, "aws:eks/cluster:Cluster")) == 1
    assert len(of_type(report, "aws:ec2/natGateway:NatGateway")) == 3 == len(of_type(report, "aws:ec2/eip:Eip"))
    [group] = of_type(report, "aws:autoscaling/group:Group")
    [template] = of_type(report, "aws:ec2/launchTemplate:LaunchTemplate")
    assert group["inputs"]["desiredCapacity"] == 3 and template["inputs"]["instanceType"] == "t2.medium"
    list_price = EKS_CONTROL_PLANE + 3 * T2_MEDIUM + 3 * NAT_GATEWAY + 3 * PUBLIC_IPV4   # $284.11
    assert report["summary"]["monthlyUsd"] == pytest.approx(list_price, rel=0.10)
    # enforce() is in the program: no child is refused for its tags.
    assert refused_for_tags(report) == set()


def test_without_enforce_the_untagged_children_are_refused(tmp_path: Path) -> None:
    project = tmp_path / "kubernetes-aws-python"
    shutil.copytree(PROGRAMS / "kubernetes-aws-python", project)
    main = project / "__main__.py"
    main.write_text(main.read_text().replace("finops.enforce()", ""))
    refused = refused_for_tags(preview_json(project))
    assert {"aws:ec2/natGateway:NatGateway 'eks-vpc-1'", "aws:eks/cluster:Cluster 'eks-cluster-eksCluster'",
            "aws:autoscaling/group:Group 'eks-cluster'", "aws:ec2/subnet:Subnet 'eks-vpc-private-2'"} <= refused


def test_container_aws_python_shows_the_load_balancer_and_the_priced_fargate_service() -> None:
    report = preview_json(PROGRAMS / "container-aws-python")
    [lb] = of_type(report, "aws:lb/loadBalancer:LoadBalancer")
    assert lb["inputs"]["loadBalancerType"] == "application"
    assert lb["monthlyUsd"] == pytest.approx(0.0225 * 730, abs=0.01)
    [service] = of_type(report, "aws:ecs/service:Service")
    [task] = of_type(report, "aws:ecs/taskDefinition:TaskDefinition")
    # The template's container asks for 512 CPU units and 128 MiB: awsx sizes the task 0.5 vCPU, 1 GB.
    assert (task["inputs"]["cpu"], task["inputs"]["memory"]) == ("512", "1024")
    assert service["monthlyUsd"] == pytest.approx((0.5 * 0.04048 + 1 * 0.004445) * 730, rel=0.01)
    assert service["inputs"]["loadBalancers"][0]["containerName"] == "app"
    assert refused_for_tags(report) == set()


@pytest.mark.parametrize("template", ["serverless-aws-python", "static-website-aws-python"])
def test_the_other_templates_packaged_components_are_expanded_or_named(template: str) -> None:
    report = preview_json(PROGRAMS / template)
    components = {"serverless-aws-python": "aws-apigateway:index:RestAPI",
                  "static-website-aws-python": "synced-folder:index:S3BucketFolder"}
    named = [r for r in report["resources"] if r["unpriced"] == "not-expanded"]
    expanded = [r for r in report["resources"] if r["type"] == components[template]]
    children = [r for r in report["resources"] if f"{components[template]}$" in r["urn"]]
    assert (named and not children) or (children and not expanded), report["resources"]


def test_an_unknown_packaged_component_is_named_never_dropped(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: ai-agent-security-platform\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  ai-agent-security-platform:owner: jdoe\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi\npulumi.ComponentResource('acme:index:Thing', 'thing', {}, remote=True)\n")
    completed = run_cli("preview", "-C", str(tmp_path), "-s", "dev", "--policy-pack", str(PACK_DIR))
    row = next(line for line in completed.stdout.splitlines() if "acme:index:Thing" in line.split()[:1])
    assert "thing" in row and row.rstrip().endswith("children not expanded offline")
    assert "the children of 1 packaged component not expanded offline" in " ".join(completed.stdout.split())
    assert "--from-plan" in completed.stdout and "pulumi preview --json" in completed.stdout


# -- against the states the real engine recorded ----------------------------------------------------------

# Recorded state (under ../shared/reference) -> the transcription project, and the names of the
# resources its program declares there (its components' children carry them as prefixes).
RECORDED = {
    "packaged-components/awsx--default-args--export-1.0.6.json": ("awsx", ("awsx-nodejs-default-args",)),
    "packaged-components/awsx--specific-vpc-layout--export-1.0.6.json": ("awsx", ("awsx-nodejs-specific-args",)),
    "packaged-components/awsx--vpc-subnets-with-tags--export-1.0.6.json": ("awsx", ("awsx-nodejs-subnets-with-tags",)),
    "packaged-components/awsx--vpc-with-service-endpoint--export-1.0.6.json": (
        "awsx", ("awsx-with-service-endpoint", "com.amazonaws.")),
    "packaged-components/awsx--ts-nlb-simple--export-1.0.6.json": ("awsx", ("test-vpc", "nginx-lb")),
    "packaged-components/eks--nodegroup--export-3.0.0.json": (
        "eks", ("example-nodegroup-", "example-ng-simple", "example-ng2-", "example-ng-advanced", "example-role",
                "example-instanceProfile")),
    "pulumi-engine-samples/export--pulumi-eks--managed-nodegroups-3.0.0.json": ("eks", ("example-managed", "eks-vpc")),
    "pulumi-engine-samples/export--pulumi-eks--tags-3.0.0.json": ("eks", ("example-tags", "example-ng-tags")),
}


@pytest.fixture(scope="module")
def offline_runs() -> dict[str, dict[str, Any]]:
    if not REFERENCE.is_dir():
        pytest.skip(f"{REFERENCE} is absent: the recorded states are read from there, never copied in")
    return {project: preview_json(RECORDED_PROGRAMS / project, "test") for project in ("awsx", "eks")}


@pytest.mark.parametrize("state", sorted(RECORDED))
def test_the_offline_children_and_estimate_match_the_recorded_state(offline_runs: dict[str, dict[str, Any]],
                                                                     state: str) -> None:
    project, names = RECORDED[state]
    mine = [r for r in offline_runs[project]["resources"] if r["name"].startswith(names)]
    recorded = preview_json(RECORDED_PROGRAMS / project, "test", "--from-state", str(REFERENCE / state))
    offline_types = Counter(r["type"] for r in mine if r["type"] in COST_BEARING)
    recorded_types = Counter(r["type"] for r in recorded["resources"] if r["type"] in COST_BEARING)
    assert offline_types == recorded_types
    offline_total = sum(r["monthlyUsd"] or 0.0 for r in mine)
    assert offline_total == pytest.approx(recorded["summary"]["monthlyUsd"], rel=0.05)
