"""The tags a resource ends up with: one reading for the pack, the preview and the report.

AWS: the provider's ``defaultTags`` (map-shaped tags only: the provider does not add them to the
key/value blocks of autoscaling groups), then ``tagsAll``, then the resource's own ``tags``.
Kubernetes: the object's labels, read back into tag keys through the rules' label names.
Values may be UNKNOWN during preview; shapes the provider would refuse are reported as problems.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .resource_types import aws_tag_shape
from .rules import Rules
from .values import MISSING, UNKNOWN, get, get_path, is_list, short, string_items, value_kind


@dataclass
class EffectiveTags:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def known_strings(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if isinstance(v, str)}


def provider_default_tags(provider_props: object) -> Any:
    default_tags = get(provider_props, "defaultTags")
    if isinstance(default_tags, str):
        # Provider inputs of object type arrive JSON-encoded from stack config (aws:defaultTags).
        try:
            default_tags = json.loads(default_tags)
        except ValueError:
            return MISSING
    return get(default_tags, "tags")


def _read_tag_blocks(blocks: Any, result: EffectiveTags) -> None:
    if not is_list(blocks):
        result.problems.append(f"tags is a {value_kind(blocks)} {short(blocks)}, not a list of {{key, value}} "
                               "blocks")
        return
    for index in range(len(blocks)):
        block = get(blocks, index)
        tag_key, value = get(block, "key"), get(block, "value")
        if not isinstance(tag_key, str):
            if tag_key is UNKNOWN:
                result.unknown.append(f"tags[{index}].key")
            else:
                result.problems.append(f"tags[{index}] is not a {{key, value}} block")
            continue
        if value is UNKNOWN:
            result.unknown.append(f"tags[{index}].value")
        result.values[tag_key] = value


def effective_tags(resource_type: str, props: object, provider_props: object = MISSING) -> EffectiveTags:
    """The AWS tags of a resource, from its inputs (plain or proxied) and its provider's inputs."""
    result = EffectiveTags()
    shape = aws_tag_shape(resource_type)
    layers: list[tuple[str, Any]] = []
    if shape == "map":
        layers.append(("provider defaultTags", provider_default_tags(provider_props)))
        layers.append(("tagsAll", get(props, "tagsAll")))
    layers.append(("tags", get(props, "tags")))
    for origin, layer in layers:
        if layer is MISSING:
            continue
        if layer is UNKNOWN:
            result.unknown.append(origin)
            continue
        if shape == "list" and origin == "tags":
            _read_tag_blocks(layer, result)
        elif isinstance(layer, Mapping):
            for tag_key, value in string_items(layer):
                if value is UNKNOWN:
                    result.unknown.append(f"{origin}.{tag_key}")
                result.values[tag_key] = value
        else:
            result.problems.append(f"{origin} is a {value_kind(layer)} {short(layer)}, not a map of tag names "
                                   "to values")
    return result


# The stack tags (pulumi-policy 1.19+: ConfigureStack's tags) that count for a resource that does not
# say: its team and its environment.
STACK_TAG_KEYS = ("Team", "Environment")


def stack_allocation(stack_tags: Mapping[str, str] | None) -> dict[str, str]:
    """The Team and Environment a stack's tags give, whatever the case of their keys (a stack tag set
    as ``team`` or ``Team``); empty values give nothing."""
    by_lower = {str(k).lower(): v for k, v in (stack_tags or {}).items() if isinstance(v, str) and v}
    return {key: by_lower[key.lower()] for key in STACK_TAG_KEYS if key.lower() in by_lower}


def allocation_tags(resource_type: str, props: object, provider_props: object, rules: Rules) -> dict[str, str]:
    """The known string values a resource is allocated by: its effective AWS tags, or for a
    Kubernetes object its labels under the tag keys of the rules (``cost-center`` -> CostCenter)."""
    if resource_type.startswith("kubernetes:"):
        labels = get_path(props, ("metadata", "labels"))
        tag_of_label = {label: tag for tag, label in rules.labels.items()}
        return {tag_of_label[k]: v for k, v in string_items(labels) if k in tag_of_label and isinstance(v, str)}
    if aws_tag_shape(resource_type) is None and get(props, "tags") is MISSING:
        # Untaggable types still carry the stack's default tags in the bill (they have none of
        # their own); allocate them by those.
        return {k: v for k, v in string_items(provider_default_tags(provider_props)) if isinstance(v, str)}
    return effective_tags(resource_type, props, provider_props).known_strings()
