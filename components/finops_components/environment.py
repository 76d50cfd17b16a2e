"""The environment a program builds: its rules, and the tags and labels everything carries.

The environment comes from the stack name (``dev``, ``staging``, ``prod``, or ``dev-alice``);
owner, team, cost center and phase from stack config, so a team edits values, not code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from finops_core.rules import ConfigError, EnvironmentRules, Rules, load_rules


@dataclass(frozen=True)
class Environment:
    name: str
    rules: EnvironmentRules
    all_rules: Rules
    # The mandatory tags, with the program's default Service.
    tags: Mapping[str, str] = field(default_factory=dict)

    def tags_for(self, service: str | None = None, team: str | None = None) -> dict[str, str]:
        """The mandatory tags for a resource of ``service``, charged to the service's owning team
        (rules.yaml serviceOwners) unless ``team`` says otherwise."""
        tags = dict(self.tags)
        if service is not None:
            tags["Service"] = self._checked("Service", service)
            owner = self.all_rules.service_owners.get(service)
            if owner is not None and team is None:
                tags["Team"] = owner
        if team is not None:
            tags["Team"] = self._checked("Team", team)
        return tags

    def labels_for(self, service: str | None = None, team: str | None = None) -> dict[str, str]:
        labels = self.all_rules.labels
        return {labels[k]: v for k, v in self.tags_for(service, team).items() if k in labels}

    @property
    def labels(self) -> dict[str, str]:
        return self.labels_for()

    def _checked(self, tag: str, value: str) -> str:
        rule = self.all_rules.tag_rule(tag)
        if not rule.accepts(value):
            raise ConfigError("component arguments", tag, value, rule.describe())
        return value


def _stack_config_file() -> str:
    return f"stacks/Pulumi.{pulumi.get_stack()}.yaml"


def environment_from_config(service: str | None = None, team: str | None = None,
                            rules: Rules | None = None) -> Environment:
    """The environment of the current stack, with tag values from stack config.

    Config keys (project namespace): owner (required), team, service, costCenter, phase.
    Every value is checked against the rules here, so a typo fails before anything is built.
    """
    rules = rules or load_rules()
    stack = pulumi.get_stack()
    env = rules.environment_of(None, stack)
    if env is None:
        raise ConfigError(_stack_config_file(), "stack name", stack,
                          "a stack named after an environment: " + ", ".join(rules.environments)
                          + " (or <environment>-<suffix>)")
    config = pulumi.Config()
    values = {
        "Project": rules.project,
        "Environment": env.name,
        "Team": team or config.get("team") or "devops",
        "Service": service or config.get("service") or "ssa",
        "Owner": config.get("owner"),
        "CostCenter": config.get("costCenter") or "engineering",
        "Phase": config.get("phase") or "mvp",
    }
    config_keys = {"Team": "team", "Service": "service", "Owner": "owner", "CostCenter": "costCenter",
                   "Phase": "phase"}
    tags: dict[str, str] = {}
    for rule in rules.tags:
        value = values.get(rule.key)
        if value is None or not rule.accepts(value):
            key = f"{pulumi.get_project()}:{config_keys.get(rule.key, rule.key)}"
            raise ConfigError(_stack_config_file(), key, "<missing>" if value is None else value, rule.describe())
        tags[rule.key] = value
    return Environment(env.name, env, rules, tags)
