"""The guardrail rules file and its loader: values, overrides, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from finops_core.rules import ConfigError, load_rules, with_overrides
from finops_core.rules.loader import DEFAULT_RULES_FILE


@pytest.fixture
def rules_file(tmp_path: Path):
    """Write a copy of rules.yaml with one change and return its path."""

    def write(edit) -> Path:
        raw = yaml.safe_load(DEFAULT_RULES_FILE.read_text())
        edit(raw)
        path = tmp_path / "rules.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        return path

    return write


def test_default_rules_hold_the_framework_values() -> None:
    rules = load_rules()
    assert rules.tag_keys == ("Project", "Environment", "Team", "Service", "Owner", "CostCenter", "Phase")
    assert rules.tag_rule("Team").allowed == ("backend", "frontend", "devops", "security")
    assert rules.tag_rule("Owner").accepts("jdoe") and not rules.tag_rule("Owner").accepts("JDoe")
    assert rules.labels["CostCenter"] == "cost-center"
    dev, staging, prod = (rules.environments[n] for n in ("dev", "staging", "prod"))
    assert (dev.instance.max_vcpus, dev.instance.max_memory_gib, dev.instance.max_gpus) == (2, 8, 0)
    assert staging.instance.max_gpus == 1 and prod.instance.max_gpus == 4
    assert dev.database.multi_az is False and prod.database.max_storage_gib == 4096
    assert dev.container.cpu_cores == 1 and dev.container.memory_bytes == 2 * 1024**3
    assert (dev.log_retention.max_days, staging.log_retention.max_days, prod.log_retention.max_days) == (14, 30, 365)
    assert (dev.node_group.max_size, staging.node_group.max_size, prod.node_group.max_size) == (3, 10, 50)
    assert rules.budget_alerts.thresholds == (50, 75, 90)


@pytest.mark.parametrize(("declared", "stack", "expected"), [
    ("prod", "dev", "prod"),        # the tag wins over the stack name
    (None, "staging", "staging"),
    (None, "dev-alice", "dev"),     # personal dev stacks belong to dev
    ("qa", "prod", "prod"),         # an unknown tag value falls back to the stack
    (None, "sandbox", None),
])
def test_environment_of_a_resource(declared: str | None, stack: str, expected: str | None) -> None:
    env = load_rules().environment_of(declared, stack)
    assert (env.name if env else None) == expected


def test_overrides_are_validated_and_cached() -> None:
    base = load_rules()
    patched = with_overrides(base, {"environments": {"dev": {"instance": {"maxVcpus": 4.0}}}}, "config")
    assert patched.environments["dev"].instance.max_vcpus == 4
    assert patched.environments["dev"].instance.max_gpus == 0  # untouched keys keep their default
    assert base.environments["dev"].instance.max_vcpus == 2
    assert with_overrides(base, {"environments": {"dev": {"instance": {"maxVcpus": 4.0}}}}, "config") is patched
    with pytest.raises(ConfigError, match=r"config: environments\.dev\.instance\.maxGpus: found -1"):
        with_overrides(base, {"environments": {"dev": {"instance": {"maxGpus": -1}}}}, "config")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["environments"]["dev"]["instance"].pop("maxVcpus"),
     r"environments\.dev\.instance\.maxVcpus: found <missing>; expected the key maxVcpus"),
    (lambda r: r["environments"]["dev"]["instance"].update(maxVcpus="two"),
     r"environments\.dev\.instance\.maxVcpus: found 'two'; expected a number >= 0"),
    (lambda r: r["environments"]["dev"]["container"].update(maxMemory="2 gigs"),
     r"environments\.dev\.container\.maxMemory: found '2 gigs'; expected a Kubernetes quantity"),
    (lambda r: r["tags"]["Team"].update(allowed=[]),
     r"tags\.Team\.allowed: found \[\]; expected a non-empty list of strings"),
    (lambda r: r["tags"]["Owner"].update(pattern="(["),
     r"tags\.Owner\.pattern: found '\(\['; expected a valid regular expression"),
    (lambda r: r["labels"].update(Unknown="x"), r"labels\.Unknown: found 'Unknown'; expected a tag key"),
    (lambda r: r["environments"]["dev"].update(gpu={}), r"environments\.dev\.gpu: found 'gpu'; expected one of"),
    (lambda r: r["budgetAlerts"].update(thresholds=[]), r"budgetAlerts\.thresholds: found \[\]"),
    (lambda r: r.pop("project"), r"project: found <missing>"),
])
def test_bad_rules_give_one_line_naming_file_key_and_line(rules_file, edit, message: str) -> None:
    path = rules_file(edit)
    with pytest.raises(ConfigError, match=message) as caught:
        load_rules(path)
    text = str(caught.value)
    assert text.startswith(str(path)) and "\n" not in text
    assert caught.value.line is not None  # the YAML line is named


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("project: x\ntags: [unclosed\n")
    with pytest.raises(ConfigError, match=r"rules\.yaml:\d+: found <malformed YAML"):
        load_rules(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="found <no such file>"):
        load_rules(tmp_path / "nope.yaml")


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_each_environments_defaults_fit_its_own_caps(env_name: str) -> None:
    from finops_core.sizes import judge_instance

    env = load_rules().environments[env_name]
    d = env.defaults
    assert judge_instance(d.node_instance_type, env.instance).fits
    assert judge_instance(d.database_class, env.database).fits
    assert judge_instance(d.cache_node_type, env.cache).fits
    assert d.database_storage_gib <= env.database.max_storage_gib
    assert d.node_group_max_size <= env.node_group.max_size
    assert not d.database_multi_az or env.database.multi_az
    if d.gpu_instance_type:
        assert judge_instance(d.gpu_instance_type, env.instance).fits


def test_a_rules_file_from_an_earlier_release_still_loads(tmp_path: Path) -> None:
    """Sections a release adds are optional: without them, the instance and node-group caps stand in."""
    raw = yaml.safe_load(DEFAULT_RULES_FILE.read_text())
    for env in raw["environments"].values():
        for section in ("search", "streaming", "warehouse", "analytics", "machineLearning", "task", "provisioning"):
            env.pop(section, None)
        env["database"].pop("maxAcus", None)
        env["container"].pop("maxGpus", None)
    raw.pop("allocationTags")
    raw["labels"].pop("Feature")
    old = tmp_path / "rules.yaml"
    old.write_text(yaml.safe_dump(raw))
    dev = load_rules(old).environments["dev"]
    assert (dev.search.max_vcpus, dev.search.max_memory_gib, dev.search.max_nodes) == (2, 8, 3)
    assert dev.machine_learning.max_gpus == 0 and dev.analytics.max_instances == 3
    assert dev.database.max_acus == 4 and dev.container.max_gpus == 0
    assert dev.provisioning.max_instances == 0  # no limit
    assert load_rules(old).allocation_tags == ()
