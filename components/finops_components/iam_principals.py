"""Who the DENY_NEW_COMPUTE emergency action attaches its deny policy to: the IAM roles, users
and groups named in the arguments, else the principal running ``pulumi up``, read from its ARN."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws
from finops_core.budget_plans import BudgetPlan
from finops_core.reading import ConfigError

from .budget_alerts_args import BudgetAlertsArgs
from .locations import code_location


@dataclass(frozen=True)
class DenyTargets:
    """Who the DENY_NEW_COMPUTE action attaches its policy to (IAM names)."""

    roles: Sequence[pulumi.Input[str]] = ()
    users: Sequence[pulumi.Input[str]] = ()
    groups: Sequence[pulumi.Input[str]] = ()
    source: str = "BudgetAlertsArgs"   # where they came from, for the log


def deploy_principal_arn() -> str:
    """The ARN of the principal running the program (``pulumi up``): the stack's deployer."""
    return str(aws.get_caller_identity().arn)


def iam_target_of(arn: str) -> tuple[str, str] | None:
    """("role" | "user", name) a policy can be attached to for the principal ``arn``, or None:
    the account root, federated users and IAM Identity Center's roles (AWSReservedSSO_*, which
    IAM will not let anyone but Identity Center change) take no attached policy."""
    match = re.match(r"^arn:aws[\w-]*:(?:sts|iam)::\d{12}:(assumed-role|user)/(.+)$", arn)
    if match is None:
        return None
    kind, rest = match.groups()
    if kind == "assumed-role":
        role = rest.split("/", 1)[0]            # assumed-role/<role name>/<session>
        return None if role.startswith("AWSReservedSSO_") else ("role", role)
    return "user", rest.rsplit("/", 1)[-1]      # user/<path>/<name>


def deny_targets(args: BudgetAlertsArgs, plan: BudgetPlan) -> DenyTargets:
    """The deny policy's targets: those named in the arguments, else the stack's deployer, and
    the roles that grow compute without a person (``compute_roles``). ConfigError when there is
    no IAM role, user or group to take it."""
    targets = _people(args, plan)
    return replace(targets, roles=(*targets.roles, *args.compute_roles))


def _people(args: BudgetAlertsArgs, plan: BudgetPlan) -> DenyTargets:
    if args.emergency_roles or args.emergency_users or args.emergency_groups:
        return DenyTargets(tuple(args.emergency_roles), tuple(args.emergency_users), tuple(args.emergency_groups))
    arn = deploy_principal_arn()
    target = iam_target_of(arn)
    if target is None:
        raise ConfigError(code_location(), "emergency_roles", f"<none; the deploying principal is {arn}>",
                          "the IAM roles, users or groups that deploy or run this stack's workloads, in "
                          "BudgetAlertsArgs(emergency_roles=[...], emergency_users=[...] or emergency_groups=[...]): "
                          f"the DENY_NEW_COMPUTE emergency action of {plan.source} ({plan.environment}) attaches "
                          "its deny policy to them, and a root, federated or AWSReservedSSO_* principal takes none")
    kind, name = target
    source = f"the deploying {kind} {arn}"
    return DenyTargets(roles=(name,), source=source) if kind == "role" else DenyTargets(users=(name,), source=source)
