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
The file is the user's promise about usage, so a key that no usage line of the resource takes
(``storageGB`` for ``storageGb``) and a name that is no resource of the stack are errors naming
the file, line and key with the valid ones -- a typo never silently costs $0.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .quote import Component
from .reading import ConfigError, Path_, YamlDoc, load_yaml, require_mapping

MONTHLY_USD = "monthlyUsd"


@dataclass(frozen=True)
class ResourceUsage:
    amounts: Mapping[str, float] = field(default_factory=dict)   # typed amounts by key
    monthly_usd: float | None = None                             # the usage part as one figure


@dataclass(frozen=True)
class UsageFile:
    source: str
    resources: Mapping[str, ResourceUsage]
    lines: Mapping[Path_, int] = field(default_factory=dict)

    def for_resource(self, urn: str, name: str) -> ResourceUsage:
        """A resource's usage, by URN first, then by name; empty when the file has none."""
        return self.resources.get(urn) or self.resources.get(name) or ResourceUsage()

    def entry_for(self, urn: str, name: str) -> str | None:
        """The file's key for a resource (its URN or its name), or None."""
        return urn if urn in self.resources else name if name in self.resources else None

    def _error(self, keys: Path_, found: str, expected: str) -> ConfigError:
        return ConfigError(self.source, ".".join(str(k) for k in keys), found, expected, self.lines.get(keys))

    def check_amounts(self, entry: str, resource_type: str, components: Iterable[Component]) -> None:
        """Every typed amount of ``entry`` is one a usage line of the resource takes, else a ConfigError
        naming the key and the valid ones."""
        taken = sorted({c.usage_key for c in components if c.usage_key})
        for key in sorted(self.resources[entry].amounts):
            if key not in taken:
                close = difflib.get_close_matches(key, taken, 1, 0.6)
                hint = f" (did you mean {close[0]}?)" if close else ""
                valid = f"one of {', '.join(taken)} or {MONTHLY_USD}" if taken else \
                    f"only {MONTHLY_USD} (the estimate has no usage-priced line for this type)"
                raise self._error(("resources", entry, key), key, f"an amount {resource_type} takes: {valid}{hint}")

    def check_names(self, resources: Iterable[tuple[str, str]]) -> None:
        """Every entry names one of ``resources`` ((urn, name) pairs: the stacks judged), else a
        ConfigError naming the entry and the closest names."""
        pairs = list(resources)
        known = {u for u, _ in pairs} | {n for _, n in pairs}
        for entry in self.resources:
            if entry not in known:
                names = sorted({n for _, n in pairs})
                close = difflib.get_close_matches(entry, names, 5, 0.5) or names[:5]
                listed = ", ".join(close) + (" ..." if len(names) > len(close) else "")
                raise self._error(("resources", entry), entry,
                                  f"the name or URN of a resource in the stack ({listed or 'it has none'})")


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
    return UsageFile(doc.source, resources, doc.lines)


def load_usage_file(path: str | Path) -> UsageFile:
    """Raises ConfigError (file, key, found, expected) for a malformed usage file."""
    return parse_usage(load_yaml(path))

