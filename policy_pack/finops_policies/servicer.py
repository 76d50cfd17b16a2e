"""A faster ``Analyze`` for this pack: a request is decoded once and judged once per policy.

The SDK's servicer, for every policy and request, decodes the properties again (protobuf ->
dict -> unknown-checking proxies), copies the policy's config, builds its arguments and a
report closure; with this pack's twenty-odd policies that machinery, not the checks, took
most of the time. This subclass keeps the SDK's contract for every policy (enforcement
levels, remediate read as mandatory, the advisory for values unknown during preview,
not-applicable answers, the diagnostics' wording) and changes how our policies are run:

- which policies apply to a resource type is worked out once per type (and ``Configure``);
- each policy's rules under its config are resolved once per ``Configure``, not per request;
- one :class:`Subject` per request, with plain decoded values, goes to every policy, so the
  effective tags and plain inputs are derived once (policies only read their arguments);
- a report closure is made only for a policy that found something;
- the protobuf Struct is read directly, not through protobuf's JSON-format conversion.

Any other policy in the pack gets the SDK's own arguments and proxies. It relies on the SDK's
private servicer, reached only through :mod:`.sdk_private`;
:func:`~finops_policies.servicer_check.install` serves with it only once it has answered a set
of sample requests exactly as the SDK's servicer does.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

from finops_core.rules import ConfigError, Rules
from finops_core.values import MISSING
from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from . import stack_context
from .policy import NOT_APPLICABLE, FinopsResourceCheck, Verdict, invalid_config
from .sdk_private import SDK_SERVICER, NotApplicableError, compatible, private
from .subject import Subject, current_stack
from .waiver_policies import RESOURCE_NAME as WAIVERS_POLICY


@dataclass(frozen=True)
class _Step:
    """One policy to run for a resource type."""

    policy: Any
    level: Any  # the SDK's EnforcementLevel; None: answer "not applicable" with ``reason``
    finops: FinopsResourceCheck | None = None
    rules: Rules | str | None = None  # ours: the rules under its config, or what is wrong with the config
    reason: str = "Policy does not implement validate"
    answer: Any = None  # the prebuilt PolicyNotApplicable message of a not-applicable step

    def __post_init__(self) -> None:
        if self.level is None:  # frozen: set once, as the dataclass is built
            object.__setattr__(self, "answer", proto.PolicyNotApplicable(policy_name=self.policy.name,
                                                                         reason=self.reason))


# Properties nested deeper than this are not read (no cap or tag lives that deep); a request of any
# depth is answered instead of overflowing the decoder's recursion.
MAX_DEPTH = 64
TOO_DEEP = "<nested too deep to read>"


def _value(value: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        return TOO_DEEP
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        fields = {key: _value(item, depth + 1) for key, item in value.struct_value.fields.items()}
        # Secrets, assets and archives are maps with a signature key: the SDK's reading of them.
        return deserialize_properties({"value": fields})["value"] if SPECIAL_SIG_KEY in fields else fields
    if kind == "list_value":
        return [_value(item, depth + 1) for item in value.list_value.values]
    if kind is None or kind == "null_value":
        return None
    return getattr(value, kind)


def _decode(struct: Any) -> dict[str, Any]:
    """What the SDK's ``deserialize_properties(MessageToDict(struct))`` gives, read straight from the
    protobuf Struct (the JSON-format round trip was a quarter of a request's time)."""
    return {key: _value(item) for key, item in struct.fields.items()}


if compatible():
    class PackSettingsServicer(SDK_SERVICER):  # type: ignore[misc]
        """The SDK's servicer, plus what every FinOps policy must learn from ``Configure``: whether
        the waivers policies are enabled, where waivers.yaml is, each policy's config. Served alone
        when :class:`SharedPropertiesServicer` answers differently from the SDK."""

        def _private(self, name: str) -> Any:
            return private(self, name)

        def Configure(self, request: Any, context: Any) -> Any:
            response = super().Configure(request, context)
            self._configure_settings()
            return response

        def ConfigureStack(self, request: Any, context: Any) -> Any:
            response = super().ConfigureStack(request, context)  # the stack's tags
            stack_context.adopt(request)
            return response

        def _configure_settings(self) -> None:
            """Waivers apply only while the waivers policies are enabled: otherwise a waived violation
            would vanish without a trace. Also where waivers.yaml is, from that policy's config."""
            policies = self._private("policies")
            waivers = next((p for p in policies if p.name == WAIVERS_POLICY), None)
            for policy in policies:
                settings = getattr(policy, "finops_settings", None)
                if settings is None:
                    continue
                settings.waivers_on = waivers is not None and \
                    self._get_enforcement_level(waivers) != sdk.EnforcementLevel.DISABLED
                configured = self._get_policy_config(WAIVERS_POLICY) if waivers is not None else None
                settings.waivers_file = configured.get("file") if isinstance(configured, dict) else None
                settings.configs = {p.name: self._get_policy_config(p.name) for p in policies}
                settings.reset()

    class SharedPropertiesServicer(PackSettingsServicer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._plans: dict[str, list[_Step]] = {}
            self._rules: dict[str, Rules | str] = {}
            # Policies whose config did not fit: said once per Configure, not once per resource.
            self._config_reported: set[str] = set()
            self._runtime_key: tuple[str | None, ...] | None = None

        def Configure(self, request: Any, context: Any) -> Any:
            self._plans.clear()  # levels and config may have changed
            self._rules.clear()
            self._config_reported.clear()
            return super().Configure(request, context)

        def _rules_of(self, finops: FinopsResourceCheck) -> Rules | str:
            if finops.name not in self._rules:
                try:
                    self._rules[finops.name] = finops.rules(self._get_policy_config(finops.name))
                except ConfigError as exc:
                    self._rules[finops.name] = invalid_config(exc)
            return self._rules[finops.name]

        def _plan(self, resource_type: str) -> list[_Step]:
            plans = self._plans
            plan = plans.get(resource_type)
            if plan is None:
                plan = []
                for policy in self._private("policies"):
                    level = self._get_enforcement_level(policy)
                    if level == sdk.EnforcementLevel.DISABLED or not isinstance(policy,
                                                                                sdk.ResourceValidationPolicy):
                        continue
                    if not policy.has_validation():
                        plan.append(_Step(policy, None))
                        continue
                    if level == sdk.EnforcementLevel.REMEDIATE:
                        level = sdk.EnforcementLevel.MANDATORY  # still violating after remediation
                    finops: FinopsResourceCheck | None = getattr(policy, "finops", None)
                    if finops is None:
                        plan.append(_Step(policy, level))
                    elif finops.applies_to(resource_type):
                        plan.append(_Step(policy, level, finops, self._rules_of(finops)))
                    else:
                        plan.append(_Step(policy, None, reason=NOT_APPLICABLE))
                plans[resource_type] = plan
            return plan

        def _runtime_settings(self) -> None:
            """The SDK's ``_configure_runtime_settings`` (stack config and project, stack, dry-run into
            Pulumi's runtime), which the SDK repeats on every request: it reads only these variables,
            so it is repeated here only when one of them changed (it was half of a request's time)."""
            key = tuple(os.environ.get(name) for name in stack_context.VARIABLES)
            if key != self._runtime_key:
                self._configure_runtime_settings()
                self._runtime_key = key

        def Analyze(self, request: Any, _context: Any) -> Any:
            self._runtime_settings()
            response = proto.AnalyzeResponse()
            raw: dict[str, Any] | None = None
            subject: Subject | None = None
            sdk_args: tuple[Any, Any, Any] | None = None
            for step in self._plan(request.type):
                policy = step.policy
                if step.level is None:
                    response.not_applicable.append(step.answer)
                    continue
                if raw is None:
                    raw = _decode(request.properties)
                if step.finops is None:  # a policy not ours: the SDK's arguments and proxies
                    if sdk_args is None:
                        sdk_args = (unknown_checking_proxy(raw), self._get_resource_options(request),
                                    self._get_provider_resource(request))
                    props, opts, provider = sdk_args
                    self._validate(response, policy, sdk.ResourceValidationArgs(
                        request.type, props, request.urn, request.name, opts, provider,
                        self._get_policy_config(policy.name), self._private("stack_tags")),
                        self._reporter(response, step))
                    continue
                if isinstance(step.rules, Rules):
                    if subject is None:
                        subject = Subject(request.type, request.name, request.urn, raw,
                                          _decode(request.provider.properties)
                                          if request.HasField("provider") else MISSING,
                                          current_stack(), decoded=True,
                                          stack_tags=self._private("stack_tags"))
                    verdict = step.finops.judge(subject, step.rules)
                elif policy.name in self._config_reported:
                    continue
                else:  # the policy's config did not fit: say so once, on the first resource
                    self._config_reported.add(policy.name)
                    verdict = Verdict([(str(step.rules), None)])
                if verdict.findings or verdict.unknown is not None:
                    try:
                        verdict.report_to(self._reporter(response, step))
                    except UnknownValueError as exc:  # a value known only after the update
                        self._cannot_run(response, policy, exc)
            return response

        def _validate(self, response: Any, policy: Any, args: Any, report: Any) -> None:
            """A policy's ``validate`` as the SDK runs it: awaited if it is async; a value unknown
            during preview becomes the SDK's advisory, not-applicable its answer."""
            try:
                result = policy.validate(args, report)
                if isawaitable(result):
                    loop = asyncio.new_event_loop()
                    loop.run_until_complete(result)
                    loop.close()
            except UnknownValueError as exc:
                self._cannot_run(response, policy, exc)
            except NotApplicableError as exc:
                response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name,
                                                                         reason=exc.reason or ""))

        def AnalyzeStack(self, request: Any, _context: Any) -> Any:
            """The SDK's AnalyzeStack, except that the stack's resources are built once for all our
            stack policies (the SDK decodes every resource again for each of the dozen stack
            policies: 95 % of the call). A policy that is not ours gets its own, as from the SDK."""
            self._runtime_settings()
            response = proto.AnalyzeResponse()
            shared: list[Any] | None = None
            for policy in self._private("policies"):
                level = self._get_enforcement_level(policy)
                if level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                    continue
                if level == sdk.EnforcementLevel.REMEDIATE:
                    level = sdk.EnforcementLevel.MANDATORY  # stack policies cannot remediate
                report = self._create_report_violation(response, policy.name, policy.description, level,
                                                       policy.severity)
                if getattr(policy, "finops", None) is None:
                    resources = self._stack_resources(request)
                else:
                    shared = shared if shared is not None else self._stack_resources(request)
                    resources = shared
                self._validate(response, policy, sdk.StackValidationArgs(
                    resources, self._get_policy_config(policy.name), self._private("stack_tags")), report)
            return response

        def _stack_resources(self, request: Any) -> list[Any]:
            """The stack's resources as the SDK builds them for a stack policy: properties behind its
            unknown-checking proxy, options, provider, and parent and dependencies as objects."""
            built: list[tuple[Any, Any]] = []
            for item in request.resources:
                props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(item.properties)))
                resource = sdk.PolicyResource(item.type, props, item.urn, item.name, self._get_resource_options(item),
                                              self._get_provider_resource(item), None, [], {})
                built.append((resource, item))
            by_urn = {resource.urn: resource for resource, _ in built}
            for resource, item in built:
                if item.parent in by_urn:
                    resource.parent = by_urn[item.parent]
                resource.dependencies.extend(by_urn[urn] for urn in item.dependencies if urn in by_urn)
                for key, urns in item.propertyDependencies.items():
                    resource.property_dependencies[key] = [by_urn[urn] for urn in urns.urns if urn in by_urn]
            return [resource for resource, _ in built]

        def _cannot_run(self, response: Any, policy: Any, exc: UnknownValueError) -> None:
            """The SDK's advisory for a policy that met a value unknown during preview."""
            name, version = self._private("policy_pack_name"), self._private("policy_pack_version")
            response.diagnostics.append(proto.AnalyzeDiagnostic(
                policyName=policy.name, policyPackName=name, policyPackVersion=version,
                message=(f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during "
                         f"preview: {exc.message}"),
                urn="", description=policy.description,
                enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY)))

        def _reporter(self, response: Any, step: _Step) -> Any:
            return self._create_report_violation(response, step.policy.name, step.policy.description, step.level,
                                                 step.policy.severity)
