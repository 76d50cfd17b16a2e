"""Guardrail rules as data: required tags and labels, per-environment caps, alert thresholds.

This package imports neither pulumi nor pulumi_aws, so the policy pack can load it fast.
"""

from ..catalogue import InstanceType, lookup, nearest
from ..reading import ConfigError
from .loader import DEFAULT_RULES_FILE, load_rules, with_overrides
from .schema import EnvironmentRules, Rules, TagRule

__all__ = [
    "DEFAULT_RULES_FILE",
    "ConfigError",
    "EnvironmentRules",
    "InstanceType",
    "Rules",
    "TagRule",
    "load_rules",
    "lookup",
    "nearest",
    "with_overrides",
]
