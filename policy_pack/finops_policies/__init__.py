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
    """Every policy of the pack, in :mod:`.registry`'s order (the waivers policies last)."""
    # Imported here, not above: the CLI imports this package for the pack's location only, and the
    # registry loads every policy and the tables they read.
    from .registry import build_pack_policies

    return build_pack_policies()


__all__ = ["PACK_NAME", "all_policies"]
