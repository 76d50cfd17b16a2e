"""The pack answers any request, bounded, and says a bad policy config once (Analyzer protocol)."""

from __future__ import annotations

from pathlib import Path

from conftest import PACK_DIR, Analyze, KeptPacks, mandatory, tags
from finops_preview.analyzer import PolicyPackProcess, StackResource
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2


def test_a_request_nested_500_deep_is_answered(pack: PolicyPackProcess) -> None:
    # Built by hand: the request is deeper than a recursive encoder would go.
    properties = struct_pb2.Struct()
    properties.fields["instanceType"].string_value = "t3.micro"
    properties.fields["tags"].struct_value.update(tags())
    node = properties.fields["userData"].struct_value
    for _ in range(500):
        node = node.fields["x"].struct_value
    node.fields["leaf"].number_value = 1
    request = analyzer_pb2.AnalyzeRequest(type="aws:ec2/instance:Instance", name="deep", properties=properties,
                                          urn="urn:pulumi:dev::p::aws:ec2/instance:Instance::deep")
    response = pack.stub.Analyze(request)
    assert [d for d in response.diagnostics if d.enforcementLevel == analyzer_pb2.MANDATORY] == []


def test_fifty_thousand_tags_give_a_bounded_message(analyze: Analyze) -> None:
    many = {f"k{i}": "v" for i in range(50_000)}
    found = mandatory(analyze("aws:s3/bucket:Bucket", {"tags": many}))
    assert [d.policy for d in found] == ["finops-required-tags"]
    assert len(found[0].message) < 3_000 and "more characters" in found[0].message


def test_a_config_the_rules_cannot_hold_is_reported_once(pack: PolicyPackProcess) -> None:
    # The schema lets any string through; the rules loader knows "lots" is no Kubernetes quantity.
    pack.configure({"finops-container-limits": {"environments": {"dev": {"maxCpu": "lots"}}}})
    pod = {"metadata": {"labels": {}}, "spec": {"containers": [{"name": "a", "image": "x"}]}}
    try:
        seen = [d for i in range(5) for d in pack.analyze("kubernetes:core/v1:Pod", f"p{i}", pod)
                if d.policy == "finops-container-limits"]
    finally:
        pack.configure({})
    assert len(seen) == 1, [d.message for d in seen]
    assert "invalid policy pack config" in seen[0].message and "maxCpu" in seen[0].message


def test_a_stack_covered_by_a_shared_budget_needs_no_budget_of_its_own(shared_packs: KeptPacks) -> None:
    bucket = StackResource("aws:s3/bucket:Bucket", "b", "urn:pulumi:dev::shop::aws:s3/bucket:Bucket::b",
                           {"tags": tags()})
    with shared_packs(PACK_DIR, stack="dev", project="shop",
                           config={"finops:coveredByBudget": "frontend-dev"}) as pack:
        pack.handshake()
        assert [d for d in pack.analyze_stack([bucket]) if d.policy == "finops-budget-alerts"] == []
    with shared_packs(PACK_DIR, stack="dev", project="shop") as pack:
        pack.handshake()
        found = [d for d in pack.analyze_stack([bucket]) if d.policy == "finops-budget-alerts"]
    assert len(found) == 1 and "finops:coveredByBudget" in found[0].message


def test_budgets_are_found_through_the_environment_variable(tmp_path: Path) -> None:
    (tmp_path / "dev.yaml").write_text("monthlyLimit: 10\nsubscribers: [finops@example.com]\n"
                                       "anomaly: {thresholdUsd: 5}\n"
                                       "emergencyAction: {kind: STOP_TAGGED_INSTANCES, approval: AUTOMATIC}\n")
    big = StackResource("aws:ec2/instance:Instance", "box", "urn:pulumi:dev::shop::aws:ec2/instance:Instance::box",
                        {"instanceType": "m5.xlarge", "tags": tags()})
    with PolicyPackProcess(PACK_DIR, stack="dev", project="shop", env={"FINOPS_BUDGETS_DIR": str(tmp_path)}) as pack:
        pack.handshake()
        found = [d for d in pack.analyze_stack([big]) if d.policy == "finops-cost-vs-budget"]
    assert len(found) == 1 and "budget of $10.00" in found[0].message and str(tmp_path) in found[0].message


def test_policies_that_judge_other_types_say_they_do_not_apply(pack: PolicyPackProcess) -> None:
    properties = struct_pb2.Struct()
    properties.update({"tags": tags()})
    response = pack.stub.Analyze(analyzer_pb2.AnalyzeRequest(type="aws:s3/bucket:Bucket", name="b", urn="urn:b",
                                                             properties=properties))
    skipped = {n.policy_name for n in response.not_applicable}
    assert {"finops-instance-size", "finops-database-size", "finops-required-labels"} <= skipped
    assert "finops-required-tags" not in skipped
