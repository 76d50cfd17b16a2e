"""The FinOps CrossGuard policies. Build a pack with :func:`all_policies`.

Importing this package starts nothing: only the pack's ``__main__.py`` constructs the
``PolicyPack``, whose constructor serves gRPC and never returns.
"""

from __future__ import annotations

from finops_core.values import register_unknown_error
from pulumi_policy import Policy
from pulumi_policy.proxy import UnknownValueError

# Reading a proxied property the engine does not know yet raises this: the core reads it as UNKNOWN.
register_unknown_error(UnknownValueError)

PACK_NAME = "finops-guardrails"


def all_policies() -> list[Policy]:
    from . import advice, budgets, containers, cost, labels, sizing, tags, waived

    # The waivers policies come last: they report what the others set aside for the same request.
    return [tags.POLICY, labels.POLICY, *sizing.build_policies(), containers.POLICY, budgets.POLICY,
            cost.FAIL_POLICY, cost.WARN_POLICY, *advice.build_policies(), *waived.build_policies()]


__all__ = ["PACK_NAME", "all_policies"]
