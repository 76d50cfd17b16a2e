"""Pulumi's native policy exceptions (public preview), as a local policy pack config file holds
them, applied the way the engine applies them: a violation is exempted when its policy and the
URN of its resource appear in the same match entry of an exception of its policy pack. An
exempted violation is still reported, marked as exempted with the exception's reason, and never
fails the preview, whatever its enforcement level.

In the config file (``--policy-pack-config``), beside the policies, an ``exceptions`` map keyed
by each exception's ID, as Pulumi documents it (the policy exceptions page: exceptions "in a
local policy pack config file"; Pulumi Cloud's API: the ID is "the exception's key in the
policy pack's exceptions map", e.g. ``EXC-42``)::

    {"finops-instance-size": "mandatory",
     "exceptions": {
         "FIN-1234": {"reason": "quarterly retraining",
                      "match": [{"policies": ["finops-instance-size"],
                                 "targets": ["urn:pulumi:prod::proj::aws:ec2/instance:Instance::trainer"]}]}}}

The fields of each are those of Pulumi's exception (``reason``, ``match[].policies``,
``match[].targets``); ``policyPack`` and ``expiresAt`` are accepted too (an expired exception no
longer applies). The earlier list shape, ``"exceptions": [{"reason": ..., "match": [...]}]``,
is still read, its IDs being their positions. ``finops waivers export`` writes the map.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finops_core.reading import ConfigError

from .model import Violation

EXCEPTIONS_KEY = "exceptions"
MAX_REASON = 2048
MAX_ENTRIES = 100


@dataclass(frozen=True)
class PolicyException:
    id: str                          # its key in the exceptions map ("EXC-42"), or "exceptions[0]"
    reason: str
    matches: tuple[tuple[frozenset[str], frozenset[str]], ...]   # (policies, target URNs) per entry
    policy_pack: str = ""            # "" : the pack the config file is given for (every pack here)
    expires_at: dt.datetime | None = None

    def covers(self, violation: Violation, now: dt.datetime) -> bool:
        if self.expires_at is not None and self.expires_at <= now:
            return False
        if self.policy_pack and self.policy_pack.rsplit("/", 1)[-1] != violation.pack:
            return False
        return any(violation.policy in policies and violation.urn in targets for policies, targets in self.matches)


def read_exceptions(config: Mapping[str, Any], source: str | Path) -> list[PolicyException]:
    """The ``exceptions`` of a policy pack config (already read strictly): a map of ID to exception,
    or a list of exceptions; ConfigError otherwise."""
    raw = config.get(EXCEPTIONS_KEY)
    if raw is None:
        return []
    if isinstance(raw, Mapping):
        for key in raw:
            if not isinstance(key, str) or not key.strip():
                raise ConfigError(source, EXCEPTIONS_KEY, key, "exception IDs such as EXC-42")
        return [_exception(entry, source, f"{EXCEPTIONS_KEY}.{key}", str(key)) for key, entry in raw.items()]
    if not isinstance(raw, list):
        raise ConfigError(source, EXCEPTIONS_KEY, raw, "a map of exception ID to exception {reason, match}")
    return [_exception(entry, source, f"{EXCEPTIONS_KEY}[{index}]", f"{EXCEPTIONS_KEY}[{index}]")
            for index, entry in enumerate(raw)]


def _exception(entry: Any, source: str | Path, where: str, key: str) -> PolicyException:
    if not isinstance(entry, Mapping):
        raise ConfigError(source, where, entry, "an exception object {reason, match}")
    unknown = sorted(set(entry) - {"reason", "match", "policyPack", "expiresAt"})
    if unknown:
        raise ConfigError(source, f"{where}.{unknown[0]}", "<unknown key>", "reason, match, policyPack or expiresAt")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        raise ConfigError(source, f"{where}.reason", reason, f"the justification: text of 1 to {MAX_REASON} characters")
    matches = entry.get("match")
    if not isinstance(matches, list) or not 1 <= len(matches) <= MAX_ENTRIES:
        raise ConfigError(source, f"{where}.match", matches,
                          f"a list of 1 to {MAX_ENTRIES} {{policies, targets}} entries")
    parsed = tuple(_match(m, source, f"{where}.match[{i}]") for i, m in enumerate(matches))
    pack = entry.get("policyPack", "")
    if not isinstance(pack, str):
        raise ConfigError(source, f"{where}.policyPack", pack, "the name of a policy pack")
    return PolicyException(key, reason.strip(), parsed, pack,
                           _expiry(entry.get("expiresAt"), source, f"{where}.expiresAt"))


def _match(entry: Any, source: str | Path, where: str) -> tuple[frozenset[str], frozenset[str]]:
    if not isinstance(entry, Mapping) or set(entry) != {"policies", "targets"}:
        raise ConfigError(source, where, entry, "an entry {\"policies\": [...], \"targets\": [URN, ...]}")
    return (_names(entry["policies"], source, f"{where}.policies", "policy names"),
            _names(entry["targets"], source, f"{where}.targets", "resource URNs (urn:pulumi:...)", urns=True))


def _names(values: Any, source: str | Path, where: str, what: str, urns: bool = False) -> frozenset[str]:
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_ENTRIES:
        raise ConfigError(source, where, values, f"a list of 1 to {MAX_ENTRIES} {what}")
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip() or (urns and not value.startswith("urn:pulumi:")):
            raise ConfigError(source, f"{where}[{index}]", value, f"one of the {what}")
    return frozenset(values)


def _expiry(value: Any, source: str | Path, where: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(source, where, value, "an ISO 8601 time such as 2027-01-31T00:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def apply_exceptions(violations: Sequence[Violation], exceptions: Sequence[PolicyException],
                     now: dt.datetime | None = None) -> None:
    """Mark each violation an exception covers as exempted (level ``exempted``, with the reason)."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    for violation in violations:
        covering = next((e for e in exceptions if e.covers(violation, moment)), None)
        if covering is not None:
            violation.level = "exempted"
            violation.exception = covering.reason
            violation.message = f"{violation.message} [exempted by {covering.id}: {covering.reason}]"
