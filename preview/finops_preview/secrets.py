"""Keep secret values out of every report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MASK = "[secret]"


def mask(value: Any) -> Any:
    """A copy of recorded properties with every secret replaced by ``[secret]``."""
    if isinstance(value, Mapping):
        if set(value) == {"__secret"}:
            return MASK
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def secret_strings(value: Any) -> set[str]:
    """Every string held inside a secret marker of recorded properties."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        if set(value) == {"__secret"}:
            return _strings(value["__secret"])
        for item in value.values():
            found |= secret_strings(item)
    elif isinstance(value, list):
        for item in value:
            found |= secret_strings(item)
    return found


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value} if value and value != MASK else set()
    if isinstance(value, Mapping):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def redact(text: str, secrets: set[str]) -> str:
    """``text`` with every secret value replaced, longest first so no fragment survives."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
