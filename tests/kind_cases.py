"""Test cases read from the table of resource kinds (``examples:`` in ``core/finops_core/data/kinds``),
so that a kind added or removed there is tested or forgotten with no list to keep here.

Imported by the tests and by the every-kind program (``fixtures/every_kind``); it needs the core only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finops_core.kinds import OversizedExample, PricedExample, kinds_table
from finops_core.resource_types import aws_tag_shape

# What makes a resource carry valid cost-allocation tags (the values rules.yaml allows).
TAG_VALUES = {"Project": "ai-agent-security-platform", "Team": "backend", "Service": "ssa", "Owner": "jdoe",
              "CostCenter": "engineering", "Phase": "mvp"}
# Kinds whose pricing model leaves them nothing fixed to price from configuration.
NOT_FIXED = ("free", "usage")


def with_tags(resource_type: str, inputs: Mapping[str, Any], environment: str) -> dict[str, Any]:
    """``inputs`` with valid tags for ``environment``, in the shape the type takes them (none if untaggable)."""
    values = {**TAG_VALUES, "Environment": environment}
    shape = aws_tag_shape(resource_type)
    if shape == "map":
        return {**inputs, "tags": values}
    if shape == "list":
        return {**inputs, "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in values.items()]}
    return dict(inputs)


def oversized_cases() -> list[tuple[str, OversizedExample]]:
    return [(t, example) for t, kind in kinds_table().items() for example in kind.examples.oversized_in_dev]


def priced_cases() -> list[tuple[str, PricedExample]]:
    return [(t, example) for t, kind in kinds_table().items() for example in kind.examples.priced]


def case_id(resource_type: str, label: str) -> str:
    return f"{resource_type.split(':')[1]}-{label[:40]}"


def fixed_priced_types() -> set[str]:
    """The AWS types priced from configuration: a pricing model that is not free or usage only."""
    return {t for t, kind in kinds_table().items() if kind.price and kind.price["model"] not in NOT_FIXED}
