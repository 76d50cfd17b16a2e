"""A faster ``Analyze`` for this pack: properties decoded once per request, not once per policy.

The SDK's servicer turns a request's properties into Python values (protobuf -> dict ->
unknown-checking proxies) again for every policy; with this pack's twenty-odd policies that
decoding, not the policies, dominated the time. This subclass keeps the SDK's contract for
every policy (enforcement levels, remediate read as mandatory, the advisory for values unknown
during preview, not-applicable answers) but decodes once, skips our policies whose resource
types do not include the request's, and hands our policies the plain decoded values (they
recognise unknown sentinels themselves) while any other policy gets the SDK's proxies.
Policies are read-only on their arguments, so sharing is safe.

It relies on the SDK's private servicer; :func:`install` checks that the parts it uses exist
and otherwise leaves the SDK's own servicer in place (slower, same results).
"""

from __future__ import annotations

import asyncio
from inspect import isawaitable
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import proto
from pulumi_policy import policy as sdk
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

_USED = ("_get_enforcement_level", "_create_report_violation", "_get_resource_options", "_get_provider_resource",
         "_get_policy_config", "_configure_runtime_settings", "_map_enforcement_level")
_BASE: Any = getattr(sdk, "_PolicyAnalyzerServicer", None)


def compatible() -> bool:
    return _BASE is not None and all(hasattr(_BASE, name) for name in _USED) and hasattr(sdk, "_NotApplicableError")


if compatible():
    class SharedPropertiesServicer(_BASE):  # type: ignore[misc]
        def _private(self, name: str) -> Any:
            return getattr(self, f"_PolicyAnalyzerServicer__{name}")

        def Configure(self, request: Any, context: Any) -> Any:
            self._plans: dict[str, list[tuple[Any, Any]]] = {}  # levels may have changed
            return super().Configure(request, context)

        def _plan(self, resource_type: str) -> list[tuple[Any, Any]]:
            """(policy, level) to run for a resource type; level None: answer 'not applicable'."""
            plans = getattr(self, "_plans", None)
            if plans is None:
                plans = self._plans = {}
            plan = plans.get(resource_type)
            if plan is None:
                plan = []
                for policy in self._private("policies"):
                    level = self._get_enforcement_level(policy)
                    if level == sdk.EnforcementLevel.DISABLED or not isinstance(policy,
                                                                                sdk.ResourceValidationPolicy):
                        continue
                    if not policy.has_validation():
                        plan.append((policy, None))
                        continue
                    applies = getattr(policy, "finops_applies_to", None)
                    if applies is not None and not applies(resource_type):
                        continue
                    if level == sdk.EnforcementLevel.REMEDIATE:
                        level = sdk.EnforcementLevel.MANDATORY  # still violating after remediation
                    plan.append((policy, level))
                plans[resource_type] = plan
            return plan

        def Analyze(self, request: Any, _context: Any) -> Any:
            self._configure_runtime_settings()
            response = proto.AnalyzeResponse()
            shared: tuple[Any, Any, Any] | None = None
            proxied: Any = None
            for policy, level in self._plan(request.type):
                if level is None:
                    response.not_applicable.append(proto.PolicyNotApplicable(
                        policy_name=policy.name, reason="Policy does not implement validate"))
                    continue
                report = self._create_report_violation(response, policy.name, policy.description, level,
                                                       policy.severity)
                if shared is None:
                    raw = deserialize_properties(json_format.MessageToDict(request.properties))
                    shared = (raw, self._get_resource_options(request), self._get_provider_resource(request))
                raw, opts, provider = shared
                if hasattr(policy, "finops_applies_to"):
                    # Our policies read through values.get, which knows the unknown sentinels itself:
                    # they take the plain values, sparing a proxy around every node of the tree.
                    props = raw
                else:
                    if proxied is None:
                        proxied = unknown_checking_proxy(raw)
                    props = proxied
                args = sdk.ResourceValidationArgs(request.type, props, request.urn, request.name, opts, provider,
                                                  self._get_policy_config(policy.name), self._private("stack_tags"))
                try:
                    result = policy.validate(args, report)
                    if isawaitable(result):
                        loop = asyncio.new_event_loop()
                        loop.run_until_complete(result)
                        loop.close()
                except UnknownValueError as exc:
                    name, version = self._private("policy_pack_name"), self._private("policy_pack_version")
                    response.diagnostics.append(proto.AnalyzeDiagnostic(
                        policyName=policy.name, policyPackName=name, policyPackVersion=version,
                        message=(f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during "
                                 f"preview: {exc.message}"),
                        urn="", description=policy.description,
                        enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY)))
                except sdk._NotApplicableError as exc:
                    response.not_applicable.append(proto.PolicyNotApplicable(policy_name=policy.name,
                                                                             reason=exc.reason or ""))
            return response


def install() -> bool:
    """Make ``PolicyPack`` serve with :class:`SharedPropertiesServicer`; False if the SDK differs."""
    if not compatible():
        return False
    setattr(sdk, "_PolicyAnalyzerServicer", SharedPropertiesServicer)  # noqa: B010 - the SDK's own name
    return True
