"""Guardrail rules as data: required tags and labels, per-environment caps, alert thresholds.

This package imports neither pulumi nor pulumi_aws, so the policy pack can load it fast.
"""

from ..yamldoc import ConfigError
from .catalogue import InstanceType, lookup, nearest
from .loader import DEFAULT_RULES_FILE, load_rules, with_overrides
from .model import EnvironmentRules, Rules, TagRule

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
