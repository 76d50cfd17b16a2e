"""The pack as the engine sees it: handshake, metadata, config, and robustness."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import PACK_DIR, ROOT, UNKNOWN, Analyze, mandatory, tags
from finops_core.cap_policies import CAP_POLICY
from finops_core.rules import load_rules
from finops_preview.analyzer import (
    PolicyPackError,
    PolicyPackProcess,
    ProviderRef,
    StackResource,
    merge_policy_config,
    to_struct,
)
from google.protobuf import empty_pb2, json_format
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

EXPECTED_POLICIES = {
    "finops-advice-bucket-lifecycle",
    "finops-advice-commitment",
    "finops-advice-current-generation",
    "finops-advice-dev-auto-shutdown",
    "finops-advice-dev-network",
    "finops-advice-gp3",
    "finops-advice-graviton",
    "finops-advice-idle-eip",
    "finops-advice-io1",
    "finops-advice-log-retention",
    "finops-advice-multi-az",
    "finops-advice-spot",
    "finops-advice-unattached-volume",
    "finops-analytics-size",
    "finops-budget-alerts",
    "finops-cache-size",
    "finops-container-limits",
    "finops-cost-vs-budget",
    "finops-cost-vs-budget-warning",
    "finops-database-size",
    "finops-ebs-volume-size",
    "finops-instance-size",
    "finops-lambda-memory",
    "finops-log-retention",
    "finops-ml-size",
    "finops-node-group-size",
    "finops-provisioning-limits",
    "finops-network-limits",
    "finops-required-labels",
    "finops-required-tags",
    "finops-search-size",
    "finops-spending-limits",
    "finops-spending-limits-warning",
    "finops-streaming-size",
    "finops-task-size",
    "finops-waivers",
    "finops-waivers-stack",
    "finops-warehouse-size",
}


def _stack_answers(pack: PolicyPackProcess) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What a pack says of a 4-vCPU instance without an Environment tag (judged by the stack's
    name) and of a stack without a budget (judged by the stack's config)."""
    box = pack.analyze("aws:ec2/instance:Instance", "box",
                       {"instanceType": "m5.xlarge", "tags": tags(Environment=None)})
    bucket = StackResource("aws:s3/bucket:Bucket", "b",
                           f"urn:pulumi:{pack.stack}::{pack.project}::aws:s3/bucket:Bucket::b", {"tags": tags()})
    return (sorted((d.policy, d.message) for d in box),
            sorted((d.policy, d.message) for d in pack.analyze_stack([bucket]) if d.policy == "finops-budget-alerts"))


def test_the_pack_judges_the_stack_that_configure_stack_names() -> None:
    # The engine starts a pack with the stack in its environment and names it again, first thing,
    # in ConfigureStack. A pack started for prod and then told "dev" (and dev's config) judges dev
    # as a pack started for dev does, and back again; the suite's kept packs rely on it.
    shared = {"finops:coveredByBudget": "frontend-dev"}
    with PolicyPackProcess(PACK_DIR, stack="dev", project="shop", config=shared) as fresh:
        fresh.handshake()
        in_dev = _stack_answers(fresh)
    with PolicyPackProcess(PACK_DIR, stack="prod", project="other") as told:
        told.handshake()
        in_prod = _stack_answers(told)
        told.stack, told.project, told.config = "dev", "shop", shared
        told.handshake()
        assert _stack_answers(told) == in_dev
        told.stack, told.project, told.config = "prod", "other", {}
        told.handshake()
        assert _stack_answers(told) == in_prod
    # Judged differently, so the comparisons above mean something: the size cap and the budget.
    assert "finops-instance-size" in {p for p, _ in in_dev[0]} - {p for p, _ in in_prod[0]}
    assert in_dev[1] == [] and len(in_prod[1]) == 1


def test_a_pack_never_sent_configure_stack_judges_the_stack_it_was_started_for() -> None:
    # Engines before ConfigureStack (and `pulumi policy publish`) never send it: the environment
    # decides, and the pack's own self-check (whose samples use the first environment, dev) must
    # not have become the stack.
    with PolicyPackProcess(PACK_DIR, stack="prod", project="other") as pack:
        pack.info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
        pack.configure({})
        sizes = {d.policy for d in pack.analyze("aws:ec2/instance:Instance", "box",
                                                {"instanceType": "m5.xlarge", "tags": tags(Environment=None)})}
    assert "finops-instance-size" not in sizes and "finops-required-tags" in sizes


def test_analyzer_info_describes_every_policy(pack: PolicyPackProcess) -> None:
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "finops-guardrails" and info.supportsConfig
    assert {p.name for p in info.policies} == EXPECTED_POLICIES
    for policy in info.policies:
        advisory = policy.name.endswith("-warning") or policy.name.startswith(("finops-advice-", "finops-waivers"))
        expected = analyzer_pb2.ADVISORY if advisory else analyzer_pb2.MANDATORY
        assert policy.description and policy.enforcementLevel == expected
        if not policy.name.startswith(("finops-advice-", "finops-waivers")):  # these take no settings
            assert json_format.MessageToDict(policy.configSchema.properties), policy.name
    stack = next(p for p in info.policies if p.name == "finops-budget-alerts")
    assert stack.policy_type == analyzer_pb2.POLICY_TYPE_STACK
    instance = next(p for p in info.policies if p.name == "finops-instance-size")
    schema = json_format.MessageToDict(instance.configSchema.properties)
    # The schema is derived from the rule dataclasses: the same keys as rules.yaml.
    assert set(schema["environments"]["additionalProperties"]["properties"]) == {"maxVcpus", "maxMemoryGib", "maxGpus"}


def test_pack_also_starts_from_its_main_module() -> None:
    process = subprocess.Popen([sys.executable, "-u", "__main__.py"], cwd=PACK_DIR, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert len(info.policies) == len(EXPECTED_POLICIES)
    finally:
        process.kill()
        process.wait()
        if process.stdout:
            process.stdout.close()


def _readme_anchors() -> set[str]:
    """The anchors GitHub gives the README's headings: lower case, punctuation dropped, spaces to '-'."""
    headings = re.findall(r"^#+ (.+)$", (ROOT / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def test_every_policy_carries_the_metadata_pulumi_cloud_shows(pack: PolicyPackProcess) -> None:
    """pulumi-policy 1.18's display name, severity, tags, remediation steps and a link to the README,
    as GetAnalyzerInfo hands them to the engine."""
    anchors = _readme_anchors()
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    for policy in info.policies:
        assert policy.displayName and not policy.displayName.startswith("finops-"), policy.name
        assert "finops" in policy.tags and len(policy.tags) >= 2, policy.name
        assert len(policy.remediation_steps) > 20, policy.name
        expected = analyzer_pb2.POLICY_SEVERITY_LOW if policy.enforcementLevel == analyzer_pb2.ADVISORY \
            else analyzer_pb2.POLICY_SEVERITY_HIGH
        assert policy.severity == expected, policy.name
        page, _, anchor = policy.url.partition("#")
        assert page.startswith("https://") and page.endswith("README.md") and anchor in anchors, policy.name
    by_name = {p.name: p for p in info.policies}
    assert by_name["finops-instance-size"].displayName == "Instance size"
    assert list(by_name["finops-required-tags"].tags) == ["finops", "cost", "tagging"]
    assert "smaller instance type" in by_name["finops-instance-size"].remediation_steps


def test_every_cap_section_names_a_policy_of_the_pack(pack: PolicyPackProcess) -> None:
    # The components name these policies when they refuse a size: each must be one the pack runs.
    info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
    assert set(CAP_POLICY.values()) <= {p.name for p in info.policies}
    dev = load_rules().environments["dev"]
    assert all(dev.section(section) is not None for section in CAP_POLICY)  # each key is a cap section


def test_caps_are_overridable_through_policy_pack_config(pack: PolicyPackProcess, analyze: Analyze) -> None:
    props = {"instanceType": "m5.4xlarge", "tags": tags()}
    assert mandatory(analyze("aws:ec2/instance:Instance", props), "finops-instance-size")
    pack.configure({"finops-instance-size": {"environments": {"dev": {"maxVcpus": 16, "maxMemoryGib": 64}}}})
    assert analyze("aws:ec2/instance:Instance", props) == []


def test_enforcement_levels_are_overridable(pack: PolicyPackProcess, analyze: Analyze) -> None:
    pack.configure({"finops-required-tags": "advisory"})
    found = analyze("aws:s3/bucket:Bucket", {})
    assert [d.enforcement_level for d in found] == ["advisory"]
    pack.configure({"all": "disabled"})
    assert analyze("aws:s3/bucket:Bucket", {}) == []


def test_allowed_tag_values_are_overridable(pack: PolicyPackProcess, analyze: Analyze) -> None:
    teams = ["backend", "frontend", "devops", "security", "marketing"]  # serviceOwners still name the others
    pack.configure({"finops-required-tags": {"tags": {"Team": {"allowed": teams}}}})
    assert analyze("aws:s3/bucket:Bucket", {"tags": tags(Team="marketing")}) == []


def test_semantically_bad_config_is_one_violation_not_an_rpc_error(pack: PolicyPackProcess,
                                                                    analyze: Analyze) -> None:
    # finops preview (like `pulumi policy validate-config`) refuses this against the schema; an
    # engine that sends it anyway gets a violation, not an RPC error.
    with pytest.raises(PolicyPackError, match=r"maxMemoryMb: found 1\.5; expected type 'integer'"):
        pack.configure({"finops-lambda-memory": {"environments": {"dev": {"maxMemoryMb": 1.5}}}})
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    request.policyConfig["finops-lambda-memory"].CopyFrom(analyzer_pb2.PolicyConfig(
        enforcementLevel=analyzer_pb2.MANDATORY, properties=to_struct({"environments": {"dev": {"maxMemoryMb": 1.5}}})))
    pack.stub.Configure(request)
    found = analyze("aws:lambda/function:Function", {"tags": tags()})
    assert len(found) == 1
    assert "invalid policy pack config: policy pack config for finops-lambda-memory: " \
           "environments.dev.lambda.maxMemoryMb: found 1.5; expected a whole number" in found[0].message


def test_config_naming_an_unknown_policy_or_property_is_refused(pack: PolicyPackProcess) -> None:
    with pytest.raises(PolicyPackError, match="unknown policy 'finops-typo'"):
        merge_policy_config(pack.info, {"finops-typo": "advisory"})
    with pytest.raises(PolicyPackError, match="unknown property 'caps'"):
        merge_policy_config(pack.info, {"finops-instance-size": {"caps": {}}})
    with pytest.raises(PolicyPackError, match="enforcementLevel 'strict'"):
        merge_policy_config(pack.info, {"finops-instance-size": {"enforcementLevel": "strict"}})


GARBAGE: list[Any] = [None, UNKNOWN, 0, -1, 1e308, True, "", "x" * 10_000, [], {}, [None, {}], {"a": {"b": [1]}},
                      [[[[[[]]]]]], {"tags": {"tags": UNKNOWN}}]
POLICED = [
    "aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate", "aws:eks/nodeGroup:NodeGroup",
    "aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:ebs/volume:Volume", "aws:lambda/function:Function", "aws:cloudwatch/logGroup:LogGroup",
    "aws:autoscaling/group:Group", "aws:ec2/spotFleetRequest:SpotFleetRequest", "kubernetes:apps/v1:Deployment",
    "kubernetes:batch/v1:CronJob", "kubernetes:core/v1:Pod",
]
PROPERTIES = ["tags", "tagsAll", "instanceType", "instanceTypes", "scalingConfig", "instanceClass", "allocatedStorage",
              "multiAz", "nodeType", "size", "memorySize", "retentionInDays", "metadata", "spec", "rootBlockDevice",
              "blockDeviceMappings", "launchSpecifications", "mixedInstancesPolicy", "maxSize"]


@pytest.mark.parametrize("resource_type", POLICED)
def test_malformed_properties_never_cause_an_rpc_error(analyze: Analyze, resource_type: str) -> None:
    provider = ProviderRef("pulumi:providers:aws", "p", "urn:p", {"defaultTags": "{not json"})
    for index, value in enumerate(GARBAGE):
        props = {name: value for name in PROPERTIES}
        props["metadata"] = {"labels": value} if index % 2 else value
        analyze(resource_type, props, provider=provider)  # raises grpc.RpcError on failure
    for value in GARBAGE:
        analyze(resource_type, {"spec": {"template": {"spec": {"containers": [{"resources": {"limits": value}}]}}}})
        analyze(resource_type, {"scalingConfig": {"maxSize": value}, "rootBlockDevice": value})


def test_stack_analysis_survives_malformed_budgets(pack: PolicyPackProcess) -> None:
    from finops_preview.analyzer import StackResource

    resources = [StackResource("aws:budgets/budget:Budget", f"b{i}", f"urn:b{i}", {"notifications": value})
                 for i, value in enumerate(GARBAGE) if value != UNKNOWN]
    resources.append(StackResource("aws:budgets/budget:Budget", "x", "urn:x", {"notifications": [
        {"notificationType": "ACTUAL", "threshold": "fifty", "thresholdType": "PERCENTAGE"}]}))
    assert len(mandatory(pack.analyze_stack(resources))) == 1
    # With one budget not known yet, the verdict waits for the update: advisory only.
    unknown = StackResource("aws:budgets/budget:Budget", "later", "urn:later", {"notifications": UNKNOWN})
    found = pack.analyze_stack([*resources, unknown])
    assert mandatory(found) == [] and len(found) == 1


OLD_PACK = """
import sys, time
from concurrent import futures
import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, plugin_pb2

class Older(analyzer_pb2_grpc.AnalyzerServicer):  # no ConfigureStack: the base answers UNIMPLEMENTED
    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version="0.1.0")
    def GetAnalyzerInfo(self, request, context):
        return analyzer_pb2.AnalyzerInfo(name="older-pack", version="0.1.0")
    def Configure(self, request, context):
        return empty_pb2.Empty()
    def Analyze(self, request, context):
        return analyzer_pb2.AnalyzeResponse()

server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
analyzer_pb2_grpc.add_AnalyzerServicer_to_server(Older(), server)
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
server.wait_for_termination()
"""


def test_a_pack_without_configure_stack_is_driven_as_the_engine_drives_it(tmp_path: Path) -> None:
    # The engine calls ConfigureStack first and goes on when a pack's SDK predates it (UNIMPLEMENTED).
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text(OLD_PACK)
    with PolicyPackProcess(tmp_path, stack="dev", project="p") as older:
        assert older.handshake().name == "older-pack"
        assert older.analyze("aws:s3/bucket:Bucket", "b", {"tags": tags()}) == []


def test_bad_pack_directory_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(PolicyPackError, match="not a policy pack"):
        PolicyPackProcess(tmp_path, stack="dev", project="p").start()
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (tmp_path / "__main__.py").write_text("raise SystemExit('broken pack')\n")
    with pytest.raises(PolicyPackError, match="failed to start"):
        PolicyPackProcess(tmp_path, stack="dev", project="p").start()
