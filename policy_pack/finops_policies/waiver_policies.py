"""The advisory policies that report waived findings, and waivers that are expired or malformed.

A policy's enforcement level is fixed, so a waived finding cannot be re-levelled where it is
found. Each policy's verdict carries the findings waivers took aside (``Verdict.waived``); the
waivers policies judge the same resource (or stack) with every waivable policy and report exactly
those, once, with who approved them until when. No state passes between policies.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator

from finops_core.rules import ConfigError, Rules
from finops_core.sizes import waived_message
from pulumi_policy import EnforcementLevel, PolicyConfigSchema, StackValidationArgs

from .messages import AtResource
from .policy import Finding, FinopsResourceCheck, FinopsStackCheck, PackSettings, invalid_config
from .registry import PolicySpec, ResourcePolicySpec, StackPolicySpec
from .subject import Subject
from .waiver_file import current_waivers, waivers_today

RESOURCE_NAME = "finops-waivers"
STACK_NAME = "finops-waivers-stack"


def _describe(policy: str, message: str, waiver: str) -> str:
    return waived_message(policy, message, waiver)


def resource_check(peers: Callable[[], list[FinopsResourceCheck]], settings: PackSettings
                   ) -> Callable[[Subject, Rules], Iterator[Finding]]:
    def check(subject: Subject, rules: Rules) -> Iterator[Finding]:
        names = {w.policy for w in current_waivers(settings.waivers_file).waivers}
        for peer in peers():
            if peer.name not in names or not peer.waivable or not peer.applies_to(subject.type):
                continue
            try:
                peer_rules = peer.rules(settings.configs.get(peer.name))
            except ConfigError as exc:  # reported by the peer itself
                yield invalid_config(exc)
                continue
            for waived in peer.judge(subject, peer_rules).waived:
                yield _describe(peer.name, waived.message, waived.waiver)

    return check


def stack_check(peers: Callable[[], list[FinopsStackCheck]], settings: PackSettings
                ) -> Callable[[StackValidationArgs, Rules], Iterator[Finding]]:
    def check(args: StackValidationArgs, rules: Rules) -> Iterator[Finding]:
        current = current_waivers(settings.waivers_file)
        names = {w.policy for w in current.waivers}
        for peer in peers():
            if peer.name in names and peer.waivable:
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

    return check


def specs(peers: list[PolicySpec], built: Callable[[str], object], settings: PackSettings) -> list[PolicySpec]:
    """The waivers policies for ``peers``; ``built(name)`` gives a peer's built FinOps check."""

    def resource_peers() -> list[FinopsResourceCheck]:
        return [c for s in peers if isinstance(s, ResourcePolicySpec)
                if isinstance(c := built(s.name), FinopsResourceCheck)]

    def stack_peers() -> list[FinopsStackCheck]:
        return [c for s in peers if isinstance(s, StackPolicySpec)
                if isinstance(c := built(s.name), FinopsStackCheck)]

    def applies(resource_type: str) -> bool:
        """Only types some waiver can match: without waivers the policy is out of scope everywhere."""
        return any(fnmatch.fnmatchcase(resource_type, w.type) for w in current_waivers(settings.waivers_file).waivers)

    return [
        ResourcePolicySpec(RESOURCE_NAME, "Violations waived by an approved, unexpired exception in waivers.yaml.",
                           applies, resource_check(resource_peers, settings), level=EnforcementLevel.ADVISORY,
                           waivable=False, config_schema=PolicyConfigSchema(properties={"file": {
                               "type": "string", "description": "The waivers file (absolute, or relative to the "
                               "pack directory; default $FINOPS_WAIVERS_FILE, else ../waivers.yaml)."}})),
        StackPolicySpec(STACK_NAME, "Waived stack violations, and waivers that are expired or malformed.",
                        stack_check(stack_peers, settings), level=EnforcementLevel.ADVISORY, waivable=False),
    ]
