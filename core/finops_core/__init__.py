"""The Pulumi-free core of the FinOps guardrails, shared by the components, the policy pack and
the ``finops`` command: the rules and their loader, the instance catalogue, the table of
resource kinds, prices and the estimator, effective tags, waivers, budget plans, and the one
strict reader of YAML and JSON files.

It imports neither pulumi_aws nor pulumi_kubernetes, so the policy pack starts fast.
"""

from .estimate import Estimate, estimate_resource
from .prices import PriceCatalogue, load_prices
from .reading import ConfigError
from .rules import EnvironmentRules, Rules, TagRule, load_rules, with_overrides

__all__ = [
    "ConfigError",
    "EnvironmentRules",
    "Estimate",
    "PriceCatalogue",
    "Rules",
    "TagRule",
    "estimate_resource",
    "load_prices",
    "load_rules",
    "with_overrides",
]
