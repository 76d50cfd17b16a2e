"""The advisory policies that report waived findings, and waivers that are expired or malformed.

A policy's enforcement level is fixed, so a waived finding cannot be re-levelled where it is
found. Each policy's verdict carries the findings waivers took aside (``Verdict.waived``); the
waivers policies judge the same resource (or stack) with every waivable policy and report exactly
those, once, with who approved them until when. No state passes between policies.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from finops_core.rules import ConfigError, Rules
from finops_core.sizes import waived_message
from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationArgs

from .messages import AtResource
from .policy import Finding, FinopsResourceCheck, FinopsStackCheck, PackSettings, invalid_config
from .policy_specs import ADVICE_SECTION, PolicySpec, ResourcePolicySpec, StackPolicySpec, readme
from .subject import Subject
from .waiver_file import current_waivers, waivers_today

RESOURCE_NAME = "finops-waivers"
STACK_NAME = "finops-waivers-stack"
WAIVER_TAGS = ("finops", "waivers")


def _describe(policy: str, message: str, waiver: str) -> str:
    return waived_message(policy, message, waiver)


def _waived_resource_findings(subject: Subject, rules: Rules, *, settings: PackSettings) -> Iterator[Finding]:
    """What the pack's other resource policies found on ``subject`` and waivers set aside."""
    names = {w.policy for w in current_waivers(settings.waivers_file).waivers}
    for peer in settings.checks:
        if not isinstance(peer, FinopsResourceCheck) or peer.name not in names or not peer.waivable \
                or not peer.applies_to(subject.type):
            continue
        try:
            peer_rules = peer.rules(settings.configs.get(peer.name))
        except ConfigError as exc:  # reported by the peer itself
            yield invalid_config(exc)
            continue
        for waived in peer.judge(subject, peer_rules).waived:
            yield _describe(peer.name, waived.message, waived.waiver)


def _waivable_type(resource_type: str, *, settings: PackSettings) -> bool:
    """Only types some waiver can match: without waivers the policy is out of scope everywhere."""
    return any(fnmatch.fnmatchcase(resource_type, w.type) for w in current_waivers(settings.waivers_file).waivers)


def _waived_stack_findings(args: StackValidationArgs, rules: Rules, *, settings: PackSettings) -> Iterator[Finding]:
    """Waived stack findings of the pack's other stack policies, and waivers expired or malformed."""
    current = current_waivers(settings.waivers_file)
    names = {w.policy for w in current.waivers}
    for peer in settings.checks:
        if isinstance(peer, FinopsStackCheck) and peer.name in names and peer.waivable:
            for waived in peer.judge(args, peer.rules(settings.configs.get(peer.name))).waived:
                text = _describe(peer.name, waived.message, waived.waiver)
                if waived.urn:
                    yield AtResource(text, waived.urn)
                else:
                    yield text
    for problem in current.problems:
        yield f"waiver not applied: {problem}"
    try:
        today = waivers_today()
    except ConfigError as exc:
        if current.waivers:
            yield f"waivers not applied: {exc}"
        return
    for waiver in current.waivers:
        if waiver.expired(today):
            yield (f"{current.source}: {waiver.describe()} for {waiver.policy} expired; remove or renew it "
                   f"(line {waiver.line})")


SPECS: list[PolicySpec] = [
    ResourcePolicySpec(
        RESOURCE_NAME, "Violations waived by an approved, unexpired exception in waivers.yaml.", _waivable_type,
        _waived_resource_findings, level=EnforcementLevel.ADVISORY, waivable=False, reads_pack=True,
        config_schema=PolicyConfigSchema(properties={"file": {
            "type": "string", "description": "The waivers file (absolute, or relative to the pack directory; default "
            "$FINOPS_WAIVERS_FILE, else ../waivers.yaml)."}}),
        tags=WAIVER_TAGS, url=readme(ADVICE_SECTION),
        remediation_steps="Nothing to do while the waiver holds; before it expires, remove the waived cause or "
                          "have the waiver renewed in waivers.yaml."),
    StackPolicySpec(
        STACK_NAME, "Waived stack violations, and waivers that are expired or malformed.", _waived_stack_findings,
        level=EnforcementLevel.ADVISORY, waivable=False, reads_pack=True, tags=WAIVER_TAGS,
        url=readme(ADVICE_SECTION),
        remediation_steps="Remove expired waivers from waivers.yaml or have them renewed (new expiry and "
                          "approver); correct malformed entries as the finding says."),
]
