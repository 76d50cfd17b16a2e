"""The usage file: typed monthly amounts for usage-priced cost lines, like Infracost's usage file::

    resources:
      audit-logs:                 # a resource's name or URN
        storageGb: 500            # GB-months stored
        monthlyPutRequests: 2000000
      egress-nat:
        monthlyDataProcessedGb: 800
      legacy-queue:
        monthlyUsd: 25            # or the usage part of the cost as one figure

Which amounts a type takes is stated by its estimate: each usage line names its key
(``Component.usage_key``) and unit price. ``monthlyUsd`` replaces the typed amounts of a resource.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .quote import Component
from .reading import YamlDoc, load_yaml, require_mapping

MONTHLY_USD = "monthlyUsd"


@dataclass(frozen=True)
class ResourceUsage:
    amounts: Mapping[str, float] = field(default_factory=dict)   # typed amounts by key
    monthly_usd: float | None = None                             # the usage part as one figure


@dataclass(frozen=True)
class UsageFile:
    source: str
    resources: Mapping[str, ResourceUsage]

    def for_resource(self, urn: str, name: str) -> ResourceUsage:
        """A resource's usage, by URN first, then by name; empty when the file has none."""
        return self.resources.get(urn) or self.resources.get(name) or ResourceUsage()


def parse_usage(doc: YamlDoc) -> UsageFile:
    top = require_mapping(doc, doc.data, ())
    unknown = set(top) - {"resources", "version"}
    if unknown:
        bad = sorted(unknown)[0]
        raise doc.error((bad,), bad, "resources (and optionally version)")
    resources: dict[str, ResourceUsage] = {}
    for name, entry in require_mapping(doc, top.get("resources", {}), ("resources",)).items():
        amounts: dict[str, float] = {}
        for key, value in require_mapping(doc, entry, ("resources", name)).items():
            where = ("resources", name, key)
            amount = doc.number(where, value, "an amount of at least 0")
            if amount < 0:
                raise doc.error(where, value, "an amount of at least 0")
            amounts[str(key)] = amount
        monthly = amounts.pop(MONTHLY_USD, None)
        resources[str(name)] = ResourceUsage(amounts, monthly)
    return UsageFile(doc.source, resources)


def load_usage_file(path: str | Path) -> UsageFile:
    """Raises ConfigError (file, key, found, expected) for a malformed usage file."""
    return parse_usage(load_yaml(path))


def unused_keys(usage: ResourceUsage, components: Iterable[Component]) -> list[str]:
    """The amounts a resource's usage entry gives that none of its usage lines takes (likely a typo)."""
    taken = {c.usage_key for c in components if c.usage_key}
    return sorted(set(usage.amounts) - taken)
