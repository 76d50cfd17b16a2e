"""Values as the real Pulumi engine writes them in ``pulumi preview --json`` and ``pulumi stack
export``, read into the shape the offline runner records (:class:`RecordedResource`).

- Secrets: the export's envelope ``{"4dabf…": "1b47…", "ciphertext"|"plaintext"|"value": …}``
  and the preview's ``"[secret]"`` string both become our per-value marker ``{"__secret": …}``
  (a ciphertext stays unreadable: ``[secret]``), so the reports mask them by structure.
- Resource references (``{"4dabf…": "5cf8…", "urn", "id"}``) become the id of a custom
  resource or the URN of a component, as an engine without references sends them.
- Keys that start with ``__`` (``__defaults``, ``__meta``, ``__inputs`` ...) are the engine's
  own bookkeeping: the Analyzer never sees them, so neither do our policies.
- Unknown values stay the engine's sentinel string, which the pack reads as unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from finops_core.reading import ConfigError

from .mock_engine import RecordedResource

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
PREVIEW_SECRET = "[secret]"


def engine_value(value: Any) -> Any:
    """One property value of the engine's JSON, in the recorded shape (see the module doc)."""
    if isinstance(value, Mapping):
        signature = value.get(SIG_KEY)
        if signature == SECRET_SIG:
            return {"__secret": _secret_value(value)}
        if signature == RESOURCE_SIG:
            return str(value.get("id") or value.get("urn") or "")
        return {str(k): engine_value(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [engine_value(v) for v in value]
    if value == PREVIEW_SECRET:
        return {"__secret": PREVIEW_SECRET}
    return value


def _secret_value(envelope: Mapping[str, Any]) -> Any:
    if "plaintext" in envelope:  # `pulumi stack export --show-secrets`: the value, JSON-encoded
        try:
            return engine_value(json.loads(str(envelope["plaintext"])))
        except ValueError:
            return str(envelope["plaintext"])
    if "value" in envelope:
        return engine_value(envelope["value"])
    return PREVIEW_SECRET  # ciphertext: never decrypted here


def properties(value: Any) -> dict[str, Any]:
    converted = engine_value(value) if isinstance(value, Mapping) else {}
    return converted if isinstance(converted, dict) else {}


def split_urn(urn: str) -> tuple[str, str, str, str]:
    """(stack, project, type, name) of ``urn:pulumi:<stack>::<project>::<type>::<name>``."""
    parts = urn.split("::", 3)
    if len(parts) != 4 or not parts[0].startswith("urn:pulumi:"):
        raise ValueError(urn)
    qualified_type = parts[2].rsplit("$", 1)[-1]  # parent types come first, joined by $
    return parts[0][len("urn:pulumi:"):], parts[1], qualified_type, parts[3]


def source_position(value: Any) -> tuple[str, int]:
    """``project:///index.ts#5,20`` -> ("index.ts", 5); anything else -> ("", 0)."""
    if not isinstance(value, str) or "#" not in value:
        return "", 0
    location, _, fragment = value.partition("#")
    parsed = urlparse(location)
    path = unquote(parsed.path).lstrip("/") if parsed.scheme == "project" else unquote(parsed.path)
    line = fragment.split(",", 1)[0]
    return (path, int(line)) if line.isdigit() else (path, 0)


def recorded(entry: Mapping[str, Any], source: Path, where: str, *, inputs: Any = None, outputs: Any = None
             ) -> RecordedResource:
    """A resource of the engine's JSON (a state entry or a step's old/new state) as recorded."""
    urn = entry.get("urn")
    if not isinstance(urn, str):
        raise ConfigError(source, f"{where}.urn", urn, "a resource URN (urn:pulumi:<stack>::<project>::<type>::<name>)")
    try:
        _, _, urn_type, name = split_urn(urn)
    except ValueError:
        raise ConfigError(source, f"{where}.urn", urn,
                          "a resource URN (urn:pulumi:<stack>::<project>::<type>::<name>)") from None
    resource_type = entry.get("type") if isinstance(entry.get("type"), str) else urn_type
    source_file, source_line = source_position(entry.get("sourcePosition"))
    dependencies = entry.get("dependencies")
    return RecordedResource(
        type=str(resource_type), name=name, urn=urn, id=str(entry.get("id") or ""),
        custom=bool(entry.get("custom", True)),
        inputs=properties(entry.get("inputs") if inputs is None else inputs),
        parent=str(entry.get("parent") or ""), provider=str(entry.get("provider") or ""),
        dependencies=[str(d) for d in dependencies] if isinstance(dependencies, list) else [],
        outputs=properties(entry.get("outputs") if outputs is None else outputs),
        source_file=source_file, source_line=source_line,
    )
