"""Required cost-allocation labels on Kubernetes objects and on their pod templates."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from finops_core.kubernetes_labels import LABEL_VALUE_RULE, is_label_value
from finops_core.rules import Rules
from finops_core.values import MISSING, UNKNOWN, get_path, short, string_items
from pulumi_policy import PolicyConfigSchema

from .kubernetes import POD_TEMPLATES, is_kubernetes_object, kind_of
from .messages import Unknown, violation
from .policy import Finding
from .policy_specs import ResourcePolicySpec
from .subject import Subject
from .tags import environment_matches_stack, optional_values, tag_value_problems

NAME = "finops-required-labels"


def _labels_at(subject: Subject, rules: Rules, path: tuple[str, ...], where: str) -> Iterator[Finding]:
    labels = get_path(subject.props, path)
    if labels is UNKNOWN:
        yield Unknown(".".join(path))
        return
    if labels is not MISSING and not isinstance(labels, Mapping):
        yield violation(f"{subject.describe()} {where}", "labels must be a map", repr(labels),
                        "a map of label names to values", "pass labels as a map.")
        return
    values = dict(string_items(labels)) if labels is not MISSING else {}
    for key, value in subject.stack_allocation.items():  # the stack's tags, where the labels do not say
        values.setdefault(rules.labels.get(key, key.lower()), value)
    yield from tag_value_problems(values, rules.label_rules, f"{subject.describe()} {where}", "label")
    yield from optional_values(values, rules.allocation_label_rules, f"{subject.describe()} {where}", "label")
    # An organisation's rules may allow values the API server refuses as labels: said at preview,
    # not at `pulumi up`.
    for name in sorted(set(rules.labels.values()) & set(values)):
        value = values[name]
        if isinstance(value, str) and not is_label_value(value):
            yield violation(f"{subject.describe()} {where}", f"label {name} syntax", f"{name}={short(value)}",
                            LABEL_VALUE_RULE, f"give {name} a value Kubernetes accepts as a label.")


def check(subject: Subject, rules: Rules) -> Iterator[Finding]:
    yield from _labels_at(subject, rules, ("metadata", "labels"), "metadata.labels")
    env_label = rules.labels.get("Environment", "environment")
    yield from environment_matches_stack(subject, rules, get_path(subject.props, ("metadata", "labels", env_label)),
                                         env_label, "label")
    template = POD_TEMPLATES.get(kind_of(subject.type))
    if template:
        yield from _labels_at(subject, rules, (*template, "metadata", "labels"),
                              ".".join((*template, "metadata", "labels")))


def _patch(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    patch = {key: config[key] for key in ("tags", "labels") if key in config}
    return patch or None


SPECS = [ResourcePolicySpec(
    name=NAME,
    description="Every Kubernetes object and pod template carries the mandatory cost-allocation labels.",
    resource_types=is_kubernetes_object,
    check=check,
    config_schema=PolicyConfigSchema(properties={
        "labels": {
            "type": "object",
            "description": "Tag name -> Kubernetes label name, e.g. {\"CostCenter\": \"cost-center\"}.",
            "additionalProperties": {"type": "string"},
        },
        "tags": {"type": "object",
                 "description": "Replace the allowed values of some tags (as in finops-required-tags)."},
    }),
    patch=_patch,
    tags=("finops", "cost", "tagging"),
    remediation_steps="Add the missing labels with allowed values to the object's metadata and to the pod template "
                      "(finops_components.enforce() labels what the program creates). The finding lists the "
                      "allowed values.",
)]
