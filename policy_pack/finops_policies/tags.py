"""Required cost-allocation tags on every taggable AWS resource."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from finops_core.kinds import kind_of
from finops_core.resource_types import aws_tag_shape
from finops_core.rules import Rules, TagRule
from finops_core.values import UNKNOWN, plain, short, string_items
from pulumi_policy import PolicyConfigSchema

from .messages import Unknown, violation
from .policy import Finding
from .policy_specs import ResourcePolicySpec
from .subject import Subject

NAME = "finops-required-tags"
FIX_MISSING = ("add the tags on the resource, or once for the whole stack in the AWS provider's "
               "defaultTags (finops_components.enforce() does both).")


# How tags are written, by the shape the resource type takes them in (resource_types.py): rule,
# allowed, fix.
SHAPES = {
    "map": ("tags must be a map", "a map of tag names to string values, e.g. {Team: backend}", "pass tags as a map."),
    "list": ("tags must be key/value blocks", "a list of {key, value, propagateAtLaunch} blocks, e.g. "
             "[{key: Team, value: backend, propagateAtLaunch: true}]", "pass tags as a list of blocks."),
}


def tag_value_problems(values: Mapping[str, Any], rules_: tuple[TagRule, ...],
                       describe: str, kind: str) -> Iterator[Finding]:
    """Findings for tags/labels that are missing or hold a value outside the allowed set.

    ``kind`` says what the user calls them ("tag" or "label"); values are keyed by the name
    the user writes (tag key or label name), rules by that same name.
    """
    missing = [rule for rule in rules_ if rule.key not in values]
    if missing:
        present = ", ".join(sorted(values)) or "none"
        allowed = "; ".join(f"{rule.key} = {rule.describe()}" for rule in missing)
        yield violation(describe, f"required {kind}s",
                        f"no {', '.join(r.key for r in missing)} (present: {present})", allowed,
                        FIX_MISSING if kind == "tag" else "add the labels under metadata.labels.")
    for rule in rules_:
        value = values.get(rule.key)
        if rule.key not in values:
            continue
        if value is UNKNOWN:
            yield Unknown(f"{kind}s.{rule.key}")
        elif not rule.accepts(value):
            yield violation(describe, f"{kind} {rule.key}", f"{rule.key}={short(value)}", rule.describe(),
                            f"set {rule.key} to an allowed value.")


def check(subject: Subject, rules: Rules) -> Iterator[Finding]:
    effective = subject.effective_tags()
    for problem in effective.problems:
        rule, allowed, fix = SHAPES[aws_tag_shape(subject.type) or "map"]
        yield violation(subject.describe(), rule, problem, allowed, fix)
    whole_layer_unknown = [u for u in effective.unknown if "." not in u]
    if whole_layer_unknown:
        # Which tags are missing cannot be told yet; judge only the values we can see.
        yield Unknown(whole_layer_unknown[0])
        present = {k: v for k, v in effective.values.items()}
        rules_present = tuple(r for r in rules.tags if r.key in present)
        yield from tag_value_problems(present, rules_present, subject.describe(), "tag")
        return
    yield from tag_value_problems(effective.values, rules.tags, subject.describe(), "tag")
    yield from optional_values(effective.values, rules.allocation_tags, subject.describe(), "tag")
    yield from environment_matches_stack(subject, rules, effective.values.get("Environment"), "Environment",
                                         "tag")
    yield from _launched_tags(subject, rules)


def optional_values(values: Mapping[str, Any], rules_: tuple[TagRule, ...], describe: str,
                    kind: str) -> Iterator[Finding]:
    """Allocation tags (e.g. Feature) need not be there; where they are, the value must fit."""
    yield from tag_value_problems(values, tuple(r for r in rules_ if r.key in values), describe, kind)


def environment_matches_stack(subject: Subject, rules: Rules, declared: object, key: str,
                              kind: str) -> Iterator[Finding]:
    """Caps are judged by the declared environment, so a resource claiming another environment
    than its stack's would let a dev stack escape its caps by claiming to be prod."""
    stack_env = rules.environment_of(None, subject.stack)
    if isinstance(declared, str) and declared in rules.environments and stack_env and stack_env.name != declared:
        yield violation(subject.describe(), f"{key} {kind} matches the stack", f"{key}={declared} "
                        f"in stack {subject.stack}", f"{key}={stack_env.name}",
                        f"{'tag' if kind == 'tag' else 'label'} the resource with its stack's environment.")


def _launched_tags(subject: Subject, rules: Rules) -> Iterator[Finding]:
    """Tags a launch template puts on what it launches (tagSpecifications): values must be allowed;
    the launched instances' own tags are judged when they are created."""
    kind = kind_of(subject.type)
    if kind is None or not kind.has("launchedTags"):
        return
    for where, tags in kind.values(subject.props, "launchedTags"):
        if tags is UNKNOWN:
            yield Unknown(where)
        elif isinstance(tags, Mapping):
            values = dict(string_items(tags))
            for rules_ in (rules.tags, rules.allocation_tags):
                yield from tag_value_problems(values, tuple(r for r in rules_ if r.key in values),
                                              f"{subject.describe()} {where}", "tag")


def remediate(subject: Subject, rules: Rules) -> dict[str, Any] | None:
    """In the ``remediate`` level: fill in the tags that can be derived, Project and Environment.

    Environment comes from the stack name; tags that need a person's answer (Team, Owner ...)
    are left for the validation to report.
    """
    if aws_tag_shape(subject.type) != "map":
        return None
    effective = subject.effective_tags()
    if effective.problems or any("." not in u for u in effective.unknown):
        return None
    derived = {"Project": rules.project}
    env = rules.environment_of(None, subject.stack)
    if env is not None:
        derived["Environment"] = env.name
    missing = {key: value for key, value in derived.items() if key not in effective.values}
    if not missing:
        return None
    props: dict[str, Any] = plain(subject.props)
    own = props.get("tags")
    own = own if isinstance(own, dict) else {}
    props["tags"] = {**missing, **own}
    return props


def _patch(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return {"tags": config["tags"]} if "tags" in config else None


_TAG_SPEC = {
    "type": "object",
    "properties": {
        "allowed": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "pattern": {"type": "string"},
        "hint": {"type": "string"},
    },
    "additionalProperties": False,
}

SPECS = [ResourcePolicySpec(
    name=NAME,
    description="Every taggable AWS resource carries the mandatory cost-allocation tags with allowed values.",
    resource_types=lambda resource_type: aws_tag_shape(resource_type) is not None,
    check=check,
    config_schema=PolicyConfigSchema(properties={
        "tags": {
            "type": "object",
            "description": "Replace the rules of some tags (tag name -> {allowed: [...]} or {pattern: regex}).",
            "additionalProperties": _TAG_SPEC,
        },
    }),
    patch=_patch,
    remediation=remediate,
    tags=("finops", "cost", "tagging"),
    remediation_steps="Add the missing tags with allowed values: call finops_components.enforce() at the top of "
                      "the program (it tags every resource), or set them on the resource or in the AWS provider's "
                      "defaultTags. The finding lists the allowed values.",
)]
