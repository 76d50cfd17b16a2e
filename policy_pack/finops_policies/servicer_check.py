"""The servicer's self-check: before the pack serves with its own servicer, that servicer
answers a set of sample requests with it and with the SDK's servicer, over the same policies, and
keeps the SDK's unless every answer is identical.

The samples come from the pack's rules (the first allowed value of each tag, the first
environment), not from any one platform's names, so an organisation's own rules file is checked
on its own terms: a tagged resource and an untagged one, an oversized one, one with a value
unknown at preview, tags only through the provider's defaultTags, Kubernetes objects, a secret,
and a type no policy judges.
"""

from __future__ import annotations

import sys
from typing import Any

from finops_core.rules import Rules, load_rules
from finops_core.values import UNKNOWN_STRING
from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel

from . import PACK_NAME, all_policies, stack_context
from . import servicer as adapter  # its classes exist only where compatible() holds
from .sdk_private import SDK_SERVICER, compatible, serve_with

# A secret as the engine sends it (the SDK's signature key and the secret signature).
_SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}

Probe = tuple[str, dict[str, Any], dict[str, Any] | None]


def probes(rules: Rules) -> tuple[str, tuple[Probe, ...]]:
    """(stack, requests as (type, properties, provider properties)) for the self-check."""
    stack = next(iter(rules.environments))
    tags = {rule.key: stack if rule.key == "Environment" else rule.allowed[0] if rule.allowed else "sample"
            for rule in rules.tags}
    secret_key = "Owner" if "Owner" in tags else next(iter(tags), "Owner")
    return stack, (
        ("aws:ec2/instance:Instance", {"instanceType": "m5.24xlarge", "tags": tags}, None),
        ("aws:ec2/instance:Instance", {"instanceType": "t3.micro"}, {"defaultTags": {"tags": tags}}),
        ("aws:s3/bucket:Bucket", {"tags": {"Team": "sample-team"}}, None),
        ("aws:rds/instance:Instance", {"instanceClass": UNKNOWN_STRING, "tags": tags, "multiAz": True}, None),
        ("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["t3.medium", "m5.4xlarge"], "tags": tags,
                                         "scalingConfig": {"maxSize": 9}}, None),
        ("kubernetes:apps/v1:Deployment", {"metadata": {"labels": {"team": "sample-team"}}, "spec": {"template": {
            "spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "8"}}}]}}}}, None),
        ("aws:secretsmanager/secret:Secret", {"tags": {**tags, secret_key: {**_SECRET_SIG, "value": "sample"}}}, None),
        ("random:index/randomPet:RandomPet", {"length": 2}, None),
    )


def _answers(servicer: Any, requests: list[Any]) -> list[list[tuple[str, str, int, str]]]:
    answers = []
    for request in requests:
        response = servicer.Analyze(request, None)
        answers.append([(d.policyName, d.message, d.enforcementLevel, d.urn) for d in response.diagnostics]
                       + [(n.policy_name, n.reason, -1, "") for n in response.not_applicable])
    return answers


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(values)
    return struct


def verify(policies: list[Any] | None = None) -> str | None:
    """Send the probes to the SDK's servicer and to ours over the same policies, configured as the
    engine does; None when every answer is identical, else what differed (for the log)."""
    if not compatible():
        return "the SDK's servicer lacks the parts this one uses"
    policies = policies or all_policies()
    stack, samples = probes(load_rules())
    requests = []
    for resource_type, props, provider in samples:
        request = proto.AnalyzeRequest(type=resource_type, name="probe", properties=_struct(props),
                                       urn=f"urn:pulumi:{stack}::p::{resource_type}::probe")
        if provider is not None:
            request.provider.CopyFrom(proto.AnalyzerProviderResource(
                type="pulumi:providers:aws", name="default", urn="urn:p", properties=_struct(provider)))
        requests.append(request)
    try:
        with stack_context.kept():  # the samples' stack is not the one the engine configures
            return _compare(policies, stack, requests)
    except Exception as exc:  # any failure of ours means: keep the SDK's servicer
        return f"{type(exc).__name__}: {exc}"


def _compare(policies: list[Any], stack: str, requests: list[Any]) -> str | None:
    pair = [cls(PACK_NAME, "0.0.0", policies, EnforcementLevel.MANDATORY)
            for cls in (SDK_SERVICER, adapter.SharedPropertiesServicer)]
    for servicer in pair:
        servicer.ConfigureStack(proto.AnalyzerStackConfigureRequest(stack=stack, project="p"), None)
        servicer.Configure(proto.ConfigureAnalyzerRequest(), None)
    theirs, ours = (_answers(servicer, requests) for servicer in pair)
    whole_stack = proto.AnalyzeStackRequest(resources=[proto.AnalyzerResource(
        type=r.type, name=r.name, urn=r.urn, properties=r.properties, provider=r.provider,
        parent=requests[0].urn if index else "", dependencies=[requests[0].urn] if index else [])
        for index, r in enumerate(requests)])
    stack_answers = [sorted((d.policyName, d.message, d.enforcementLevel, d.urn)
                            for d in servicer.AnalyzeStack(whole_stack, None).diagnostics) for servicer in pair]
    for request, sdk_answer, our_answer in zip(requests, theirs, ours, strict=True):
        if sdk_answer != our_answer:
            return f"answers differ for {request.type}"
    if stack_answers[0] != stack_answers[1]:
        return "answers differ for the stack"
    return None


def install(check: bool = True) -> bool:
    """Make ``PolicyPack`` serve with the pack's servicer once it has answered the
    probes exactly as the SDK's servicer does; otherwise keep the SDK's (slower, same results) and
    say why on stderr, which the engine shows."""
    if not compatible():
        print("finops-guardrails: using the SDK's servicer (its private parts changed)", file=sys.stderr)
        return False
    if check:
        difference = verify()
        if difference is not None:
            print(f"finops-guardrails: using the SDK's servicer ({difference})", file=sys.stderr)
            # Its answers, with the waivers settings Configure gives (the parts that reads exist).
            serve_with(adapter.PackSettingsServicer)
            return False
    serve_with(adapter.SharedPropertiesServicer)
    return True
