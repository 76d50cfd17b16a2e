"""Refuse component arguments that break an environment's caps, before anything is created.

A refusal is waived exactly as the policy pack waives the same violation: an approved,
unexpired entry of ``waivers.yaml`` (``$FINOPS_WAIVERS_FILE``, else the project's) for that
policy, stack, resource type and resource name lets the component build the resource, with a
warning naming the waiver; the pack then reports it as waived (``finops-waivers``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from finops_core.rules.schema import cap_label
from finops_core.sizes import SizeCap, describe_cap, judge_instance, violation, waived_message
from finops_core.waivers import load_waivers, today

from .environment import Environment
from .locations import code_location, waivers_file


class CapError(ValueError):
    """A component argument outside the environment's caps. The message names the line of code
    that passed it, the component, the rule, the found value, the allowed values and the fix."""


@dataclass(frozen=True)
class Target:
    """What a cap judges: the component (named in messages) and the resource the policy pack
    will judge, whose type and name a waiver matches."""

    component: str        # e.g. "Database 'db'"
    resource_type: str    # e.g. "aws:rds/instance:Instance"
    name: str             # the resource's name, e.g. "db"


def refuse(target: Target, policy: str, message: str) -> None:
    """Raise CapError(message) unless a waiver approves ``policy`` for this stack and resource."""
    waiver = load_waivers(waivers_file()).find(policy, pulumi.get_stack(), target.resource_type, target.name)
    if waiver is not None and not waiver.expired(today()):
        pulumi.log.warn(waived_message(policy, message, f"{waiver.describe()}: {waiver.reason}"))
        return
    if waiver is not None:
        message = f"{message} ({waiver.describe()} expired: the cap applies again)"
    raise CapError(f"{code_location()}: {message}")


def require_instance(target: Target, policy: str, argument: str, value: str, cap: SizeCap, env: Environment,
                     what: str) -> None:
    verdict = judge_instance(value, cap)
    if verdict.fits:
        return
    fix = f"choose a smaller {what}" + (f" such as {verdict.suggestion}." if verdict.suggestion else ".")
    if verdict.instance is None:
        fix = "use a known type; unknown types are rejected because their size cannot be judged."
    refuse(target, policy, violation(target.component, f"{env.name} {what} size", f"{argument}={verdict.found}",
                                     f"{describe_cap(cap)} in {env.name}", fix))


def require_at_most(target: Target, policy: str, argument: str, value: float, limit: float, unit: str,
                    env: Environment, rule: tuple[str, str]) -> None:
    """``rule``: the cap's section and key in rules.yaml, e.g. ``("ebsVolume", "maxSizeGib")``."""
    if value > limit:
        refuse(target, policy, violation(target.component, f"{env.name} {cap_label(*rule)}",
                                         f"{argument}={value:g} {unit}", f"at most {limit:g} {unit} in {env.name}",
                                         f"lower {argument}."))


def require_allowed(target: Target, policy: str, argument: str, allowed: bool, env: Environment,
                    rule: tuple[str, str]) -> None:
    if not allowed:
        refuse(target, policy, violation(target.component, f"{env.name} {cap_label(*rule)}", f"{argument}=True",
                                         f"{argument}=False in {env.name}", f"set {argument} to False."))
