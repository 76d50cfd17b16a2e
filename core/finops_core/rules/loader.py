"""Load ``rules.yaml`` into the typed :class:`~.model.Rules`, with one-line errors.

Policy-pack config (``--policy-pack-config``) is layered on the same raw document and goes
through the same validation, so an override can never smuggle in a value the file could not
hold.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

from ..data import DATA_DIR
from ..kubernetes_labels import LABEL_VALUE_RULE, is_label_name, is_label_value
from ..quantity import QuantityError, parse_quantity
from ..reading import ConfigError, Path_, YamlDoc, load_yaml, require_mapping
from .schema import (
    NETWORK_DEFAULTS,
    AdviceRules,
    BudgetAlertRules,
    EnvironmentRules,
    Rules,
    TagRule,
    UtilizationRules,
)

DEFAULT_RULES_FILE = DATA_DIR / "rules.yaml"

_TOP_LEVEL = ("project", "tags", "allocationTags", "labels", "environments", "budgetAlerts", "advice",
              "serviceOwners", "utilization")
_OPTIONAL = ("allocationTags", "advice", "serviceOwners", "utilization")

T = TypeVar("T")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _derived(root: Mapping[str, Any], expression: str) -> Any:
    """The value of ``section.key`` (optionally ``/n``) in an environment's raw caps, or None."""
    reference, _, divisor = expression.partition("/")
    section, _, name = reference.partition(".")
    block = root.get(section)
    value: Any = block.get(name) if isinstance(block, Mapping) else None
    if divisor and _is_number(value):
        return float(value) / float(divisor)
    return value


def _build(cls: type[T], raw: object, path: Path_, doc: YamlDoc, root: Mapping[str, Any] | None = None,
           **extra: Any) -> T:
    """Build a cap dataclass from its YAML mapping, field by field, using the declared keys.

    ``root`` is the environment's raw mapping, from which optional keys and sections that a
    file does not give are derived (their field's ``derive`` metadata)."""
    mapping = require_mapping(doc, raw, path)
    root = mapping if root is None else root
    declared = [f for f in fields(cls) if "key" in f.metadata]  # type: ignore[arg-type]
    known = {f.metadata["key"] for f in declared}
    for name in mapping:
        if name not in known:
            raise doc.error((*path, name), name, "one of the keys " + ", ".join(sorted(known)))
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in declared:
        yaml_key = f.metadata["key"]
        where = (*path, yaml_key)
        derive = f.metadata.get("derive")
        if yaml_key not in mapping:
            if "default" in f.metadata:
                kwargs[f.name] = f.metadata["default"]
                continue
            mapping_value: Any
            if isinstance(derive, Mapping):
                derived = {k: _derived(root, expression) for k, expression in derive.items()}
                mapping_value = {k: v for k, v in derived.items() if v is not None}
            elif isinstance(derive, str) and _derived(root, derive) is not None:
                mapping_value = _derived(root, derive)
            else:
                raise doc.error(where, "<missing>", f"the key {yaml_key}")
            value = mapping_value
        else:
            value = mapping[yaml_key]
        hint = hints[f.name]
        if is_dataclass(hint):
            kwargs[f.name] = _build(hint, value, where, doc, root)  # type: ignore[arg-type]
        elif hint is bool:
            if not isinstance(value, bool):
                raise doc.error(where, value, "true or false")
            kwargs[f.name] = value
        elif hint is int:
            # JSON config arrives through protobuf Structs, where every number is a float.
            if not _is_number(value) or value < 0 or not float(value).is_integer():
                raise doc.error(where, value, "a whole number >= 0")
            kwargs[f.name] = int(value)
        elif hint is float:
            if not _is_number(value) or value < 0:
                raise doc.error(where, value, "a number >= 0")
            kwargs[f.name] = float(value)
        elif hint == tuple[str, ...]:
            choices = f.metadata.get("choices")
            expected = "a list of " + (", ".join(choices) if choices else "strings")
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(v, str) and (not choices or v in choices) for v in value):
                raise doc.error(where, value, expected)
            kwargs[f.name] = tuple(value)
        else:  # str
            if f.metadata.get("quantity"):
                value = str(value) if _is_number(value) else value
                try:
                    parse_quantity(value)
                except QuantityError:
                    raise doc.error(where, value, "a Kubernetes quantity such as 500m, 2, 512Mi or 4Gi") from None
            elif not isinstance(value, str):
                raise doc.error(where, value, "a string")
            elif "choices" in f.metadata and value not in f.metadata["choices"]:
                raise doc.error(where, value, "one of " + ", ".join(f.metadata["choices"]))
            kwargs[f.name] = value
    return cls(**extra, **kwargs)


def _tag_rules(doc: YamlDoc, raw: object, section: str = "tags") -> tuple[TagRule, ...]:
    rules = []
    for tag_key, spec in require_mapping(doc, raw, (section,)).items():
        where: Path_ = (section, tag_key)
        spec = require_mapping(doc, spec, where)
        unknown = set(spec) - {"allowed", "pattern", "hint"}
        if unknown:
            bad = sorted(unknown)[0]
            raise doc.error((*where, bad), bad, "allowed, pattern or hint")
        if ("allowed" in spec) == ("pattern" in spec):
            raise doc.error(where, dict(spec), "exactly one of 'allowed' (a list) or 'pattern' (a regex)")
        allowed = spec.get("allowed")
        if allowed is not None and (
            not isinstance(allowed, list) or not allowed or not all(isinstance(v, str) and v for v in allowed)
        ):
            raise doc.error((*where, "allowed"), allowed, "a non-empty list of strings")
        pattern = None
        if "pattern" in spec:
            try:
                pattern = re.compile(str(spec["pattern"]))
            except re.error as exc:
                raise doc.error((*where, "pattern"), spec["pattern"], f"a valid regular expression ({exc})") from None
        hint = spec.get("hint")
        rules.append(TagRule(str(tag_key), tuple(allowed) if allowed else None, pattern,
                             hint if isinstance(hint, str) else None))
    if not rules and section == "tags":
        raise doc.error(("tags",), {}, "at least one required tag")
    return tuple(rules)


def _labels(doc: YamlDoc, raw: object, tag_keys: tuple[str, ...]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for tag_key, label in require_mapping(doc, raw, ("labels",)).items():
        where: Path_ = ("labels", tag_key)
        if tag_key not in tag_keys:
            raise doc.error(where, tag_key, "a tag key declared under 'tags' or 'allocationTags': "
                            + ", ".join(tag_keys))
        if not isinstance(label, str) or not is_label_name(label):
            raise doc.error(where, label, "a valid Kubernetes label name such as cost-center")
        labels[str(tag_key)] = label
    return labels


def _budget_alerts(doc: YamlDoc, raw: object) -> BudgetAlertRules:
    mapping = require_mapping(doc, raw, ("budgetAlerts",))
    thresholds = mapping.get("thresholds")
    if not isinstance(thresholds, list) or not thresholds or not all(
        _is_number(t) and 0 < t <= 1000 for t in thresholds
    ):
        raise doc.error(("budgetAlerts", "thresholds"), thresholds,
                        "a non-empty list of percentages between 0 and 1000, e.g. [50, 75, 90]")
    forecast = mapping.get("forecastThreshold", 100)
    if not _is_number(forecast) or not 0 < forecast <= 1000:
        raise doc.error(("budgetAlerts", "forecastThreshold"), forecast, "a percentage between 0 and 1000")
    return BudgetAlertRules(tuple(float(t) for t in thresholds), float(forecast))


def _family_map(doc: YamlDoc, raw: object, path: Path_) -> dict[str, str]:
    mapping = require_mapping(doc, raw, path)
    for family, target in mapping.items():
        if not isinstance(target, str) or not re.fullmatch(r"[a-z][a-z0-9-]*", target):
            raise doc.error((*path, family), target, "an instance family such as m6i")
    return {str(k): str(v) for k, v in mapping.items()}


def _advice(doc: YamlDoc, raw: object) -> AdviceRules:
    mapping = require_mapping(doc, raw, ("advice",))
    hours = mapping.get("devHoursPerWeek", 65)
    if not _is_number(hours) or not 0 < hours <= 168:
        raise doc.error(("advice", "devHoursPerWeek"), hours, "hours per week between 0 and 168")
    shares = {}
    for name, default in (("spotDiscountPercent", 60), ("commitmentDiscountPercent", 30)):
        value = mapping.get(name, default)
        if not _is_number(value) or not 0 <= value < 100:
            raise doc.error(("advice", name), value, "a percentage from 0 to below 100")
        shares[name] = float(value)
    return AdviceRules(_family_map(doc, mapping.get("previousGeneration", {}), ("advice", "previousGeneration")),
                       _family_map(doc, mapping.get("graviton", {}), ("advice", "graviton")), float(hours),
                       shares["spotDiscountPercent"], shares["commitmentDiscountPercent"])


def _service_owners(doc: YamlDoc, raw: object, tags: tuple[TagRule, ...]) -> dict[str, str]:
    rules = {rule.key: rule for rule in tags}
    owners: dict[str, str] = {}
    for service, team in require_mapping(doc, raw, ("serviceOwners",)).items():
        where: Path_ = ("serviceOwners", service)
        if "Service" in rules and not rules["Service"].accepts(service):
            raise doc.error(where, service, "a Service tag value: " + rules["Service"].describe())
        if "Team" in rules and not rules["Team"].accepts(team):
            raise doc.error(where, team, "a Team tag value: " + rules["Team"].describe())
        owners[str(service)] = str(team)
    return owners


def _utilization(doc: YamlDoc, raw: object) -> UtilizationRules:
    mapping = require_mapping(doc, raw, ("utilization",))
    names = {"target": "target_percent", "idlePercent": "idle_percent", "idleBytesPerDay": "idle_bytes_per_day"}
    for name in mapping:
        if name not in names:
            raise doc.error(("utilization", name), name, "one of the keys " + ", ".join(names))
    values: dict[str, float] = {}
    for name, attribute in names.items():
        if name not in mapping:
            continue
        value = mapping[name]
        percent = name != "idleBytesPerDay"
        if not _is_number(value) or value < 0 or (percent and not 0 < value <= 100):
            raise doc.error(("utilization", name), value,
                            "a percentage above 0, at most 100" if percent else "a number of bytes >= 0")
        values[attribute] = float(value)
    rules = UtilizationRules(**values)
    if rules.idle_percent >= rules.target_percent:
        raise doc.error(("utilization", "idlePercent"), mapping.get("idlePercent"),
                        f"a percentage under the target ({rules.target_percent:g})")
    return rules


def _with_network_defaults(env_name: str, env_raw: object) -> object:
    """The optional ``network`` section: keys a file leaves out take the documented defaults of
    the environment's name (schema.NETWORK_DEFAULTS)."""
    if not isinstance(env_raw, Mapping):
        return env_raw
    given = env_raw.get("network")
    if given is not None and not isinstance(given, Mapping):
        return env_raw
    return {**env_raw, "network": {**NETWORK_DEFAULTS.get(env_name, {}), **(given or {})}}


def parse_rules(doc: YamlDoc) -> Rules:
    top = require_mapping(doc, doc.data, ())
    for name in top:
        if name not in _TOP_LEVEL:
            raise doc.error((name,), name, "one of the keys " + ", ".join(_TOP_LEVEL))
    for name in _TOP_LEVEL:
        if name not in top and name not in _OPTIONAL:
            raise doc.error((name,), "<missing>", f"the key {name}")
    project = top["project"]
    if not isinstance(project, str) or not project:
        raise doc.error(("project",), project, "the project name as a non-empty string")
    tags = _tag_rules(doc, top["tags"])
    allocation_tags = _tag_rules(doc, top.get("allocationTags", {}), "allocationTags")
    for rule in allocation_tags:
        if rule.key in {t.key for t in tags}:
            raise doc.error(("allocationTags", rule.key), rule.key, "a tag that is not already mandatory under 'tags'")
    labels = _labels(doc, top["labels"], tuple(t.key for t in (*tags, *allocation_tags)))
    for section, rules_ in (("tags", tags), ("allocationTags", allocation_tags)):
        for rule in rules_:
            bad = [v for v in rule.allowed or () if rule.key in labels and not is_label_value(v)]
            if bad:
                raise doc.error((section, rule.key, "allowed"), bad[0],
                                f"a value that can also be the Kubernetes label {labels[rule.key]!r}: "
                                f"{LABEL_VALUE_RULE}")
    environments: dict[str, EnvironmentRules] = {}
    for env_name, env_raw in require_mapping(doc, top["environments"], ("environments",)).items():
        if not isinstance(env_name, str) or not re.fullmatch(r"[a-z][a-z0-9-]*", env_name):
            raise doc.error(("environments", env_name), env_name, "a lowercase environment name such as dev")
        environments[env_name] = _build(EnvironmentRules, _with_network_defaults(env_name, env_raw),
                                        ("environments", env_name), doc, None, name=env_name)
    if not environments:
        raise doc.error(("environments",), {}, "at least one environment")
    return Rules(
        source=doc.source,
        project=project,
        tags=tags,
        allocation_tags=allocation_tags,
        labels=labels,
        environments=environments,
        budget_alerts=_budget_alerts(doc, top["budgetAlerts"]),
        advice=_advice(doc, top.get("advice", {})),
        service_owners=_service_owners(doc, top.get("serviceOwners", {}), tags),
        raw=top,
        utilization=_utilization(doc, top.get("utilization", {})),
    )


@cache
def _load_file(path: str) -> Rules:
    return parse_rules(load_yaml(path))


def load_rules(path: str | Path | None = None) -> Rules:
    """The rules from ``path``, else ``$FINOPS_RULES_FILE`` (an organisation's own copy), else the
    packaged ``rules.yaml``; parsed once per file."""
    chosen = path or os.environ.get("FINOPS_RULES_FILE") or DEFAULT_RULES_FILE
    return _load_file(str(chosen))  # called per policy and request: no filesystem work here


def _merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for name, value in patch.items():
        if isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
            merged[name] = _merge(merged[name], value)
        else:
            merged[name] = value
    return merged


@lru_cache(maxsize=64)
def _overridden(base: Rules, patch_json: str, source: str) -> Rules:
    patch = json.loads(patch_json)
    return parse_rules(YamlDoc(source, _merge(base.raw, patch)))


def with_overrides(base: Rules, patch: Mapping[str, Any] | None, source: str) -> Rules:
    """``base`` with ``patch`` (same shape as rules.yaml) merged on top and re-validated.

    Results are cached by the patch's content, so a policy can call this per request.
    """
    if not patch:
        return base
    try:
        patch_json = json.dumps(patch, sort_keys=True)
    except (TypeError, ValueError):
        raise ConfigError(source, None, patch, "JSON-compatible configuration") from None
    return _overridden(base, patch_json, source)


__all__ = ["DEFAULT_RULES_FILE", "ConfigError", "load_rules", "parse_rules", "with_overrides"]
