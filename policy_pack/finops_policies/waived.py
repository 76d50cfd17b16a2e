"""The advisory policies that report what waivers set aside (see waiving.py), and the waivers
that are expired or malformed."""

from __future__ import annotations

from collections.abc import Iterator

from finops_core.rules import Rules
from pulumi_policy import EnforcementLevel, Policy, PolicyConfigSchema, StackValidationArgs

from .policy import Finding, resource_policy, stack_policy
from .subject import Subject
from .waiving import STACK_KEY, drain, today, waivers


def _resource_check(subject: Subject, rules: Rules) -> Iterator[Finding]:
    yield from drain(subject.urn)


def _stack_check(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
    yield from drain(STACK_KEY)
    current = waivers()
    for problem in current.problems:
        yield f"waiver not applied: {problem}"
    for waiver in current.waivers:
        if waiver.expired(today()):
            yield (f"{current.source}: {waiver.describe()} for {waiver.policy} expired; remove or renew it "
                   f"(line {waiver.line})")


def build_policies() -> list[Policy]:
    """The waivers policies; the pack must list them after every policy that can be waived."""
    return [
        # Nothing can be set aside without waivers: then the policy is out of scope for every type.
        resource_policy("finops-waivers", "Violations waived by an approved, unexpired exception in waivers.yaml.",
                        lambda resource_type: bool(waivers().waivers), _resource_check,
                        PolicyConfigSchema(properties={}), lambda config: None, EnforcementLevel.ADVISORY),
        stack_policy("finops-waivers-stack", "Waived stack violations, and waivers that are expired or malformed.",
                     _stack_check, PolicyConfigSchema(properties={}), lambda config: None, EnforcementLevel.ADVISORY),
    ]
