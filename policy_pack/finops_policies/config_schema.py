"""JSON schemas for policy config, derived from the rule dataclasses (never restated)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any, get_type_hints

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def schema_of(cls: type) -> dict[str, Any]:
    """The JSON schema of a cap dataclass, keyed as in rules.yaml."""
    hints = get_type_hints(cls)
    properties: dict[str, Any] = {}
    for f in fields(cls):
        if "key" not in f.metadata:
            continue
        hint = hints[f.name]
        if is_dataclass(hint):
            properties[f.metadata["key"]] = schema_of(hint)  # type: ignore[arg-type]
        elif hint == tuple[str, ...]:
            items: dict[str, Any] = {"type": "string"}
            if f.metadata.get("choices"):
                items["enum"] = list(f.metadata["choices"])
            properties[f.metadata["key"]] = {"type": "array", "items": items}
        elif f.metadata.get("quantity"):
            properties[f.metadata["key"]] = {"type": ["string", "number"]}
        else:
            schema: dict[str, Any] = {"type": _JSON_TYPES[hint]}
            if hint in (int, float):
                schema["minimum"] = 0
            properties[f.metadata["key"]] = schema
    return {"type": "object", "properties": properties, "additionalProperties": False}


def per_environment(cls: type, what: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": (f"Per-environment overrides of the {what} caps in rules.yaml, "
                        'e.g. {"dev": {...}}; keys not given keep their default.'),
        "additionalProperties": schema_of(cls),
    }
