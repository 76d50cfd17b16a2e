"""The mock engine's stand-in for a packaged component's provider: registers the children that
``finops_core.component_expansion`` says a component creates, and answers the component's
registration with its outputs (resource references where the SDK types them so).

The table and the expander's file come in the runner's request: this module, like the mock
engine, imports nothing of this library and is loaded by path under a program's own virtualenv.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_SIG = "4dabf18193072939515e22adb298388d"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


@dataclass
class Registered:
    """What the monitor answered for one child: its URN, id and state."""

    urn: str
    id: str
    state: Mapping[str, Any]
    custom: bool


# (type, name, parent URN, custom, inputs, extra outputs) -> the registered child
RegisterChild = Callable[[str, str, str, bool, dict[str, Any], dict[str, Any]], Registered]


class PackagedComponents:
    """Expands the packaged components the table knows; says None for the others."""

    def __init__(self, table: Mapping[str, Any], expander: Any, region: str, zones: Sequence[str]) -> None:
        """``expander``: the module ``finops_core.component_expansion``, loaded by the mock engine."""
        self.table = table
        self.expander = expander
        self.region = region
        self.zones = list(zones)

    def knows(self, token: str) -> bool:
        return token in self.table

    def register(self, token: str, name: str, urn: str, inputs: Mapping[str, Any],
                 register_child: RegisterChild) -> dict[str, Any] | None:
        """Register the children of component ``urn``; its outputs, or None if not in the table."""
        expansion = self.expander.expand(self.table, token, name, inputs, self.region, self.zones)
        if expansion is None:
            return None
        made: dict[str, Registered] = {}
        for child in expansion.children:
            parent = made[child.parent].urn if child.parent in made else urn
            made[child.key] = register_child(child.type, child.name, parent, child.custom,
                                             self._resolve(child.inputs, made), self._resolve(child.outputs, made))
        outputs: dict[str, Any] = self._resolve(expansion.outputs, made)
        return outputs

    def _resolve(self, value: Any, made: Mapping[str, Registered]) -> Any:
        expander = self.expander
        if isinstance(value, dict):
            if expander.REF in value:
                found = made.get(str(value[expander.REF]))
                return None if found is None else _field(found, value.get("field"))
            if expander.REFS in value:
                keys = expander.matching(list(made), str(value[expander.REFS]))
                return [_field(made[key], value.get("field")) for key in keys]
            return {k: self._resolve(v, made) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, made) for v in value]
        return value


def _field(child: Registered, name: str | None) -> Any:
    """A child's output, or (no field) a reference to the child as the engine sends one."""
    if name is None:
        reference = {_SIG: _RESOURCE_SIG, "urn": child.urn, "packageVersion": ""}
        return {**reference, "id": child.id} if child.custom else reference
    if name == "id":
        return child.id
    if name == "urn":
        return child.urn
    return child.state.get(name)
