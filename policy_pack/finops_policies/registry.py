"""The pack's policies, in the order it runs them: every policy module's ``SPECS`` (declared with
:mod:`.policy_specs`), the waivers policies last, built into the SDK's policies sharing one
:class:`PackSettings`."""

from __future__ import annotations

from pulumi_policy import Policy

from . import (
    advice,
    budget_alerts,
    container_limits,
    cost_vs_budget,
    labels,
    network_limits,
    provisioning,
    sizing,
    spending_limits,
    tags,
    waiver_policies,
)
from .policy import FinopsResourceCheck, FinopsStackCheck, PackSettings
from .policy_specs import PolicySpec

# Every FinOps policy but the waivers policies, in the order the pack runs them.
FINOPS_SPECS: tuple[PolicySpec, ...] = (
    *tags.SPECS, *labels.SPECS, *sizing.SPECS, *container_limits.SPECS, *budget_alerts.SPECS,
    *cost_vs_budget.SPECS, *spending_limits.SPECS, *provisioning.SPECS, *network_limits.SPECS, *advice.SPECS)


def build_pack_policies(settings: PackSettings | None = None) -> list[Policy]:
    """The pack's policies, sharing one :class:`PackSettings`; the waivers policies come last and
    report what the others' verdicts set aside."""
    settings = settings or PackSettings()
    policies = [spec.build(settings) for spec in FINOPS_SPECS]
    settings.checks = [c for p in policies if isinstance(c := getattr(p, "finops", None),
                                                         FinopsResourceCheck | FinopsStackCheck)]
    policies += [spec.build(settings) for spec in waiver_policies.SPECS]
    for policy in policies:
        policy.finops_settings = settings  # type: ignore[attr-defined]  # read by the servicer at Configure
    return policies
