"""The resource a policy judges, with the facts every FinOps policy needs about it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from finops_core.resource_types import aws_tag_shape
from finops_core.rules import EnvironmentRules, Rules
from finops_core.values import MISSING, UNKNOWN, get, get_path, is_list, plain, short, string_items, value_kind


def provider_region(provider_props: object) -> str:
    """The region a resource's AWS provider targets: its ``region`` input, else what the provider
    itself would read from the environment, else us-east-1 (where every price is recorded)."""
    region = get(provider_props, "region")
    if isinstance(region, str) and region:
        return region
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def current_stack() -> str | None:
    """The stack being previewed: the engine sets PULUMI_STACK for the policy pack process."""
    return os.environ.get("PULUMI_STACK") or None


@dataclass
class EffectiveTags:
    """The tags a resource ends up with: provider defaultTags, then tagsAll, then its own tags."""

    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def _provider_default_tags(provider_props: object) -> Any:
    default_tags = get(provider_props, "defaultTags")
    if isinstance(default_tags, str):
        # Provider inputs of object type arrive JSON-encoded from stack config (aws:defaultTags).
        try:
            default_tags = json.loads(default_tags)
        except ValueError:
            return MISSING
    return get(default_tags, "tags")


@dataclass
class Subject:
    """One resource of an Analyze request. The pack's servicer builds one per request and hands it
    to every policy, so what is derived here (tags, plain inputs) is derived once."""

    type: str
    name: str
    urn: str
    props: Any
    provider_props: Any = MISSING
    stack: str | None = None
    # True when props are already plain decoded values (the servicer's), not the SDK's proxies.
    decoded: bool = False

    @cached_property
    def inputs(self) -> Any:
        """The properties as plain values, unknown ones as the engine's sentinel (for pricing)."""
        return self.props if self.decoded else plain(self.props)

    def describe(self) -> str:
        return f"{self.type} '{self.name}'"

    @property
    def region(self) -> str:
        return provider_region(self.provider_props)

    def declared_environment(self, rules: Rules) -> Any:
        """What the resource says its environment is: the Environment tag (AWS) or label
        (Kubernetes); a string, None, or UNKNOWN during preview."""
        if self.type.startswith("kubernetes:"):
            value = get_path(self.props, ("metadata", "labels", rules.labels.get("Environment", "environment")))
        else:
            value = self.effective_tags().values.get("Environment")
        return value if value is UNKNOWN or isinstance(value, str) else None

    def environment(self, rules: Rules, declared: object) -> EnvironmentRules | None:
        """The environment from ``declared`` (see :meth:`declared_environment`), else the stack name."""
        return rules.environment_of(declared if isinstance(declared, str) else None, self.stack)

    def effective_tags(self) -> EffectiveTags:
        return self._effective_tags

    @cached_property
    def _effective_tags(self) -> EffectiveTags:
        result = EffectiveTags()
        shape = aws_tag_shape(self.type)
        layers: list[tuple[str, Any]] = []
        if shape == "map":
            # The AWS provider applies defaultTags to map-shaped tags only (not to the
            # key/value blocks of autoscaling groups).
            layers.append(("provider defaultTags", _provider_default_tags(self.provider_props)))
            layers.append(("tagsAll", get(self.props, "tagsAll")))
        own = get(self.props, "tags")
        layers.append(("tags", own))
        for origin, layer in layers:
            if layer is MISSING:
                continue
            if layer is UNKNOWN:
                result.unknown.append(origin)
                continue
            if shape == "list" and origin == "tags":
                self._read_tag_blocks(layer, result)
            elif isinstance(layer, Mapping):
                for tag_key, value in string_items(layer):
                    if value is UNKNOWN:
                        result.unknown.append(f"{origin}.{tag_key}")
                    result.values[tag_key] = value
            else:
                result.problems.append(f"{origin} is a {value_kind(layer)} {short(layer)}, not a map of tag names "
                                       "to values")
        return result

    @staticmethod
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
