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
