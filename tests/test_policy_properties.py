"""Property-based: random property bags for every policed resource type never make a policy raise.

The policies are called the way the SDK calls them (properties behind its unknown-checking
proxy); the only exception allowed out is the SDK's own UnknownValueError, which it turns
into the advisory "can't run during preview". The pack serves with its own servicer
(finops_policies/servicer.py): for the same requests it must answer exactly as the SDK's.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
from conftest import examples
from finops_core.kinds import kinds_table
from finops_core.rules import load_rules
from finops_policies import PACK_NAME, all_policies, servicer
from finops_policies import servicer_check as module
from finops_policies.sdk_private import serving
from finops_policies.servicer import PackSettingsServicer, SharedPropertiesServicer
from google.protobuf import struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import policy as sdk_module
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.policy import _NotApplicableError as NotApplicable
from pulumi_policy.policy import _PolicyAnalyzerServicer as SdkServicer
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

SENTINELS = ["04da6b54-80e4-46f7-96ec-b56ff0331ba9", "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
             "3eeb2bf0-c639-47a8-9e75-3b44932eb421", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
             "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"]
TYPES = sorted(set(kinds_table()) | {
    "aws:s3/bucket:Bucket", "aws:autoscaling/group:Group", "aws:ec2/natGateway:NatGateway",
    "kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:CronJob", "kubernetes:core/v1:Pod",
    "kubernetes:core/v1:Service", "kubernetes:apps/v1:StatefulSet"})
PROPERTY_ROOTS = {path[0] for kind in kinds_table().values() for path in kind.properties.values()}
KEYS = sorted(PROPERTY_ROOTS | {"tags", "tagsAll", "metadata", "spec", "type", "multiAzEnabled",
                                               "loadBalancerType", "retentionInDays", "numCacheClusters"})

NESTED_KEYS = [*KEYS, "labels", "containers", "template", "limits", "resources", "cpu", "memory", "key", "value",
               "maxSize"]


def bags_of(wire: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Property bags; ``wire``: only what a protobuf Struct carries (numbers as floats, no infinity,
    which the SDK's JSON decoding refuses)."""
    numbers = (st.integers(min_value=-(2**53), max_value=2**53).map(float) | st.floats(allow_nan=False,
                                                                                      allow_infinity=False)
               if wire else st.integers(min_value=-(2**63), max_value=2**63) | st.floats(allow_nan=False))
    scalars = st.one_of(
        st.none(), st.booleans(), numbers, st.sampled_from(SENTINELS), st.text(max_size=20),
        st.sampled_from(["x" * 100_000, "t3.micro", "db.r5.8xlarge", "512Mi", "250m", "gp2", "LoadBalancer"]))
    values = st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(NESTED_KEYS), inner, max_size=5),
        # a secret as the engine encodes it
        st.builds(lambda value: {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}, inner)), max_leaves=25)
    return st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


bags = bags_of()
wire_bags = bags_of(wire=True)

OPTIONS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
POLICIES = all_policies()
RESOURCE_POLICIES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
STACK_POLICIES = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]


def _report(message: str, urn: str | None = None) -> None:
    assert isinstance(message, str) and message


@pytest.fixture(autouse=True)
def _stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_STACK", "dev")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(resource_type=st.sampled_from(TYPES), props=bags, provider_props=bags)
def test_no_resource_policy_ever_raises(resource_type: str, props: dict[str, Any],
                                        provider_props: dict[str, Any]) -> None:
    provider = PolicyProviderResource("pulumi:providers:aws", unknown_checking_proxy(provider_props), "urn:p", "p")
    for policy in RESOURCE_POLICIES:
        args = ResourceValidationArgs(resource_type, unknown_checking_proxy(props), "urn:x", "x", OPTIONS, provider,
                                      None)
        # The SDK's advisory for unknowns and its not-applicable answer: signals, not crashes.
        with contextlib.suppress(UnknownValueError, NotApplicable):
            policy.validate(args, _report)
            if policy.has_remediation():
                policy.remediate(args)


@settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(resources=st.lists(st.tuples(st.sampled_from([*TYPES, "aws:budgets/budget:Budget",
                                                     "aws:scheduler/schedule:Schedule"]), bags), max_size=6))
def test_no_stack_policy_ever_raises(resources: list[tuple[str, dict[str, Any]]]) -> None:
    stack = [PolicyResource(t, unknown_checking_proxy(p), f"urn:pulumi:dev::p::{t}::r{i}", f"r{i}", OPTIONS, None, None,
                            [], {}) for i, (t, p) in enumerate(resources)]
    for policy in STACK_POLICIES:
        with contextlib.suppress(UnknownValueError):  # the SDK's advisory, not a crash
            policy.validate(StackValidationArgs(stack, None), _report)


def _foreign_policy() -> ResourceValidationPolicy:
    """A policy that is not ours, as a pack may mix in: it goes through the SDK's own arguments."""
    def validate(args: ResourceValidationArgs, report: Any) -> None:
        if args.resource_type.startswith("aws:") and "tags" not in args.props:
            report("foreign: no tags at all", None)

    return ResourceValidationPolicy("foreign-no-tags", "A policy from another pack.", validate)


def _foreign_stack_policy() -> StackValidationPolicy:
    """A stack policy that is not ours and reads what the SDK builds: parents, dependencies, props."""
    def validate(args: StackValidationArgs, report: Any) -> None:
        for resource in args.resources:
            parent = resource.parent.name if resource.parent is not None else "-"
            deps = ",".join(d.name for d in resource.dependencies)
            prop_deps = ",".join(f"{k}:{'+'.join(d.name for d in v)}"
                                 for k, v in sorted(resource.property_dependencies.items()))
            report(f"foreign: {resource.name} parent={parent} deps={deps} propdeps={prop_deps} "
                   f"tagged={'tags' in resource.props}", resource.urn)

    return StackValidationPolicy("foreign-stack-shape", "A stack policy from another pack.", validate)


# Policy configs the equivalence is checked under: default, levels changed (remediate, disabled,
# advisory), and rules overridden.
CONFIGS: list[dict[str, Any]] = [
    {},
    {"finops-required-tags": {"enforcementLevel": "remediate"}, "finops-instance-size": {"enforcementLevel":
                                                                                         "disabled"},
     "finops-required-labels": {"enforcementLevel": "advisory"}},
    {"finops-instance-size": {"enforcementLevel": "mandatory", "environments": {"dev": {"maxVcpus": 16}}}},
]


def _configured(cls: Any, config: dict[str, Any]) -> Any:
    import json as _json

    servicer = cls(PACK_NAME, "0.0.1", [*POLICIES, _foreign_policy(), _foreign_stack_policy()],
                   EnforcementLevel.MANDATORY)
    servicer.ConfigureStack(proto.AnalyzerStackConfigureRequest(stack="dev", project="p"), None)
    request = proto.ConfigureAnalyzerRequest()
    for name, settings_ in config.items():
        level = settings_.get("enforcementLevel", "mandatory")
        properties = struct_pb2.Struct()
        properties.update(_json.loads(_json.dumps({k: v for k, v in settings_.items() if k != "enforcementLevel"})))
        request.policyConfig[name].CopyFrom(proto.PolicyConfig(
            enforcementLevel={"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}[level],
            properties=properties))
    servicer.Configure(request, None)
    return servicer


@pytest.fixture(scope="module")
def servicers() -> list[tuple[Any, Any]]:
    """The SDK's servicer and the pack's, over the same policies (plus one not ours), under each config."""
    return [(_configured(SdkServicer, c), _configured(SharedPropertiesServicer, c)) for c in CONFIGS]


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(props)
    return struct


def _answer(servicer: Any, request: proto.AnalyzeRequest) -> list[tuple[str, str, int, str]]:
    response = servicer.Analyze(request, None)
    return [(d.policyName, d.message, d.enforcementLevel, d.urn) for d in response.diagnostics] + \
        [(n.policy_name, n.reason, -1, "") for n in response.not_applicable]


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(resource_type=st.sampled_from(TYPES), props=wire_bags, provider_props=wire_bags, with_provider=st.booleans(),
       config=st.integers(min_value=0, max_value=len(CONFIGS) - 1))
def test_the_packs_servicer_answers_as_the_sdks(servicers: list[tuple[Any, Any]], resource_type: str,
                                                props: dict[str, Any], provider_props: dict[str, Any],
                                                with_provider: bool, config: int) -> None:
    request = proto.AnalyzeRequest(type=resource_type, name="x", urn=f"urn:pulumi:dev::p::{resource_type}::x",
                                   properties=_struct(props))
    if with_provider:
        request.provider.CopyFrom(proto.AnalyzerProviderResource(
            type="pulumi:providers:aws", name="p", urn="urn:p", properties=_struct(provider_props)))
    sdk, ours = servicers[config]
    assert _answer(ours, request) == _answer(sdk, request)


def _stack_answer(servicer: Any, request: proto.AnalyzeStackRequest) -> list[tuple[str, str, int, str]]:
    response = servicer.AnalyzeStack(request, None)
    return sorted([(d.policyName, d.message, d.enforcementLevel, d.urn) for d in response.diagnostics]
                  + [(n.policy_name, n.reason, -1, "") for n in response.not_applicable])


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(resources=st.lists(st.tuples(st.sampled_from([*TYPES, "aws:budgets/budget:Budget"]), wire_bags,
                                    st.integers(min_value=-1, max_value=5), st.lists(st.integers(0, 5), max_size=3)),
                          max_size=6),
       config=st.integers(min_value=0, max_value=len(CONFIGS) - 1))
def test_a_whole_stack_is_answered_as_the_sdk_answers_it(servicers: list[tuple[Any, Any]],
                                                         resources: list[tuple[str, dict[str, Any], int, list[int]]],
                                                         config: int) -> None:
    # Ours builds the stack's resources once for all its stack policies; the SDK once per policy.
    urns = [f"urn:pulumi:dev::p::{t}::r{i}" for i, (t, *_) in enumerate(resources)]
    request = proto.AnalyzeStackRequest()
    for i, (resource_type, props, parent, dependencies) in enumerate(resources):
        item = request.resources.add(type=resource_type, name=f"r{i}", urn=urns[i], properties=_struct(props))
        if 0 <= parent < len(urns) and parent != i:
            item.parent = urns[parent]
        item.dependencies.extend(urns[d] for d in dependencies if d < len(urns))
        if dependencies:
            item.propertyDependencies["tags"].urns.extend(urns[d] for d in dependencies if d < len(urns))
    sdk, ours = servicers[config]
    assert _stack_answer(ours, request) == _stack_answer(sdk, request)


def test_stack_policies_answer_as_the_sdks(servicers: list[tuple[Any, Any]]) -> None:
    resource = proto.AnalyzerResource(type="aws:s3/bucket:Bucket", name="b", urn="urn:pulumi:dev::p::b",
                                      properties=_struct({"tags": {"Team": "backend"}}))
    request = proto.AnalyzeStackRequest(resources=[resource])
    for sdk, ours in servicers:
        answers = [sorted((d.policyName, d.message, d.enforcementLevel) for d in s.AnalyzeStack(request, None)
                          .diagnostics) for s in (sdk, ours)]
        assert answers[0] == answers[1] and answers[0]


def test_a_bad_policy_config_is_said_as_the_sdk_says_it_then_once() -> None:
    config = {"finops-container-limits": {"environments": {"dev": {"maxCpu": "lots"}}}}
    sdk, ours = _configured(SdkServicer, config), _configured(SharedPropertiesServicer, config)
    request = proto.AnalyzeRequest(type="kubernetes:core/v1:Pod", name="p", urn="urn:pulumi:dev::p::pod::p",
                                   properties=_struct({"spec": {"containers": [{"name": "a"}]}}))
    first = _answer(ours, request)
    assert first == _answer(sdk, request)
    assert any("invalid policy pack config" in message for _, message, _, _ in first)
    again = _answer(ours, request)
    assert not any("invalid policy pack config" in message for _, message, _, _ in again)
    assert [a for a in first if "invalid policy pack config" not in a[1]] == again


@pytest.mark.parametrize("method", ["Analyze", "AnalyzeStack"])
def test_install_verifies_itself_and_keeps_the_sdks_servicer_when_answers_differ(
        monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    assert module.verify() is None
    original = getattr(SharedPropertiesServicer, method)

    def drops_the_last(self: Any, request: Any, context: Any) -> Any:
        response = original(self, request, context)
        if response.diagnostics:
            del response.diagnostics[-1]
        return response

    monkeypatch.setattr(SharedPropertiesServicer, method, drops_the_last)
    assert module.verify() is not None
    monkeypatch.setattr(sdk_module, "_PolicyAnalyzerServicer", sdk_module._PolicyAnalyzerServicer)  # restored after
    assert module.install() is False
    # The SDK's Analyze, with the waivers settings that Configure gives.
    assert serving() is PackSettingsServicer
    assert PackSettingsServicer.Analyze is SdkServicer.Analyze


def test_the_self_check_samples_come_from_the_rules_not_a_platforms_names() -> None:
    rules = load_rules()
    stack, samples = module.probes(rules)
    assert stack == next(iter(rules.environments))
    tagged = samples[0][1]["tags"]
    assert set(tagged) == {rule.key for rule in rules.tags}
    assert all(rule.accepts(tagged[rule.key]) for rule in rules.tags)
    source = Path(module.__file__).read_text(encoding="utf-8") + Path(servicer.__file__).read_text(encoding="utf-8")
    reference_names = {value for rule in rules.tags for value in rule.allowed or ()} - set(rules.environments)
    assert not [name for name in reference_names if f'"{name}"' in source]


def test_the_servicer_kept_when_ours_differs_still_honours_the_waivers_config(tmp_path: Any) -> None:
    from finops_policies.servicer import PackSettingsServicer

    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n  - {policy: finops-required-tags, reason: a spike, approver: jdoe, ticket: FIN-1,"
                       " expires: 2099-01-31}\n")
    servicer = PackSettingsServicer(PACK_NAME, "0.0.1", all_policies(), EnforcementLevel.MANDATORY)
    servicer.ConfigureStack(proto.AnalyzerStackConfigureRequest(stack="dev", project="p"), None)
    bucket = "aws:s3/bucket:Bucket"
    request = proto.AnalyzeRequest(type=bucket, name="b", urn=f"urn:pulumi:dev::p::{bucket}::b",
                                   properties=_struct({"bucket": "b"}))

    def configure(waivers_level: int) -> list[tuple[str, str, int, str]]:
        config = proto.ConfigureAnalyzerRequest()
        config.policyConfig["finops-waivers"].CopyFrom(proto.PolicyConfig(
            enforcementLevel=waivers_level, properties=_struct({"file": str(waivers)})))
        servicer.Configure(config, None)
        return [a for a in _answer(servicer, request) if a[2] != -1]

    waived = configure(proto.ADVISORY)
    assert not any(policy == "finops-required-tags" for policy, *_ in waived), waived
    assert any(policy == "finops-waivers" and "FIN-1" in message for policy, message, *_ in waived), waived
    disabled = configure(proto.DISABLED)
    assert any(policy == "finops-required-tags" and level == proto.MANDATORY for policy, _, level, _ in disabled)
