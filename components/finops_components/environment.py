"""The environment a program builds: its rules, and the tags and labels everything carries.

The environment comes from the stack name (``dev``, ``staging``, ``prod``, or ``dev-alice``);
owner, team, cost center and phase from stack config, so a team edits values, not code.
A bad value names where it came from: the line of code that passed it, or the stack config
file (and line) that holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from finops_core.rules import ConfigError, EnvironmentRules, Rules, load_rules

from .locations import code_location, config_source

# Stack config keys (project namespace) of the tags a program reads from config.
CONFIG_KEYS = {"Team": "team", "Service": "service", "Owner": "owner", "CostCenter": "costCenter",
               "Phase": "phase", "Feature": "feature"}
# What a tag is when neither code nor stack config sets it (Owner has no default: it is required).
DEFAULTS = {"Team": "devops", "Service": "ssa", "CostCenter": "engineering", "Phase": "mvp"}


@dataclass(frozen=True)
class Environment:
    """The environment of the current stack: its caps and defaults (``rules``), all the rules
    (``all_rules``) and the tags every resource carries (``tags``).

    Get it from :func:`finops_components.enforce` (which also tags everything) or
    :func:`finops_components.current_environment`::

        env = finops.enforce(service="ui", team="frontend")
        env.name                       # "dev"
        env.rules.instance.max_vcpus   # 2.0 in dev
        env.tags_for(service="audit")  # the tags of a resource of another service
    """

    name: str
    rules: EnvironmentRules
    all_rules: Rules
    # The mandatory tags, with the program's default Service (and Feature, if it has one).
    tags: Mapping[str, str] = field(default_factory=dict)

    def tags_for(self, service: str | None = None, team: str | None = None,
                 feature: str | None = None) -> dict[str, str]:
        """The tags for a resource of ``service``, charged to the service's owning team
        (rules.yaml ``serviceOwners``) unless ``team`` says otherwise, optionally allocated to a
        ``feature`` (the optional ``Feature`` allocation tag). Values are checked against the
        rules; a bad one raises ConfigError naming the line of code that passed it."""
        tags = dict(self.tags)
        if service is not None:
            tags["Service"] = self._checked("Service", service)
            owner = self.all_rules.service_owners.get(service)
            if owner is not None and team is None:
                tags["Team"] = owner
        if team is not None:
            tags["Team"] = self._checked("Team", team)
        if feature is not None:
            tags["Feature"] = self._checked("Feature", feature)
        return tags

    def labels_for(self, service: str | None = None, team: str | None = None,
                   feature: str | None = None) -> dict[str, str]:
        """The Kubernetes labels of :meth:`tags_for` (label names from rules.yaml ``labels``)."""
        labels = self.all_rules.labels
        return {labels[k]: v for k, v in self.tags_for(service, team, feature).items() if k in labels}

    @property
    def labels(self) -> dict[str, str]:
        """The labels every Kubernetes object of the program carries."""
        return self.labels_for()

    def _checked(self, tag: str, value: str) -> str:
        try:
            rule = self.all_rules.tag_rule(tag)
        except KeyError:  # an organisation's rules without this (optional) allocation tag
            raise ConfigError(code_location(), CONFIG_KEYS.get(tag, tag), value,
                              f"no value: the rules ({self.all_rules.source}) define no {tag} tag") from None
        if not rule.accepts(value):
            raise ConfigError(code_location(), CONFIG_KEYS.get(tag, tag), value, self.all_rules.expected_value(rule))
        return value


def _stack_error(rules: Rules, stack: str) -> ConfigError:
    source = config_source(pulumi.get_project(), stack, None)
    return ConfigError(source.file, "stack name", stack,
                       "a stack named after an environment: " + ", ".join(rules.environments)
                       + " (or <environment>-<suffix>)")


def environment_from_config(service: str | None = None, team: str | None = None,
                            rules: Rules | None = None, feature: str | None = None) -> Environment:
    """The environment of the current stack, with tag values from stack config.

    Config keys (project namespace): owner (required), team, service, costCenter, phase and
    the optional feature. ``service``, ``team`` and ``feature`` passed here win over config.
    Every value is checked against the rules here, so a typo fails before anything is built:
    a value passed in code is reported at the calling line, one from config at the stack
    config file (and line) that holds it.
    """
    rules = rules or load_rules()
    stack, project = pulumi.get_stack(), pulumi.get_project()
    env = rules.environment_of(None, stack)
    if env is None:
        raise _stack_error(rules, stack)
    config = pulumi.Config()
    in_code = {"Project": rules.project, "Environment": env.name, "Team": team, "Service": service,
               "Feature": feature}
    tags: dict[str, str] = {}
    for rule in (*rules.tags, *rules.allocation_tags):
        optional = rule in rules.allocation_tags
        value, from_code = in_code.get(rule.key), True
        if value is None:
            config_key = CONFIG_KEYS.get(rule.key)
            value, from_code = (config.get(config_key) if config_key else None), False
            if value is None:
                value = DEFAULTS.get(rule.key)
        if value is None and optional:
            continue
        if value is None or not rule.accepts(value):
            found = "<missing>" if value is None else value
            if from_code:
                raise ConfigError(code_location(), CONFIG_KEYS.get(rule.key, rule.key), found,
                                  rules.expected_value(rule))
            key = f"{project}:{CONFIG_KEYS.get(rule.key, rule.key)}"
            source = config_source(project, stack, CONFIG_KEYS.get(rule.key, rule.key))
            raise ConfigError(source.file, key, found, rules.expected_value(rule), source.line)
        tags[rule.key] = value
    environment = Environment(env.name, env, rules, tags)
    if feature is not None and "Feature" not in tags:
        environment._checked("Feature", feature)  # the rules have no Feature tag: says so
    return environment
