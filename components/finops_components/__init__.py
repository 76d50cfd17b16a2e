"""FinOps components for Pulumi.

Heavy modules (those importing pulumi_aws or pulumi_kubernetes) are loaded on first use, so
``import finops_components.guardrails`` stays fast for the policy pack.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it; filled in as components are added.
_LAZY: dict[str, str] = {}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'finops_components' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
