"""Refuse component arguments that break an environment's caps, before anything is created."""

from __future__ import annotations

from finops_core.sizes import SizeCap, describe_cap, judge_instance, violation

from .environment import Environment


class CapError(ValueError):
    """A component argument outside the environment's caps. The message names the rule,
    the found value and the allowed values."""


def require_instance(component: str, argument: str, value: str, cap: SizeCap, env: Environment,
                     what: str) -> None:
    verdict = judge_instance(value, cap)
    if verdict.fits:
        return
    fix = f"choose a smaller {what}" + (f" such as {verdict.suggestion}." if verdict.suggestion else ".")
    if verdict.instance is None:
        fix = "use a known type; unknown types are rejected because their size cannot be judged."
    raise CapError(violation(component, f"{env.name} {what} size", f"{argument}={verdict.found}",
                             f"{describe_cap(cap)} in {env.name}", fix))


def require_at_most(component: str, argument: str, value: float, limit: float, unit: str, env: Environment,
                    rule: str) -> None:
    if value > limit:
        raise CapError(violation(component, f"{env.name} {rule}", f"{argument}={value:g} {unit}",
                                 f"at most {limit:g} {unit} in {env.name}", f"lower {argument}."))


def require_allowed(component: str, argument: str, allowed: bool, env: Environment, rule: str) -> None:
    if not allowed:
        raise CapError(violation(component, f"{env.name} {rule}", f"{argument}=True",
                                 f"{argument}=False in {env.name}", f"set {argument} to False."))
