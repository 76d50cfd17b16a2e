"""budgets/<environment>.yaml: values of the three environments and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT
from finops_core.budget_plans import load_budget_plan
from finops_core.rules import ConfigError


@pytest.mark.parametrize(("env", "low", "high"), [("dev", 500, 2000), ("staging", 500, 2000),
                                                   ("prod", 2000, 10000)])
def test_shipped_budgets_follow_the_framework_figures(env: str, low: float, high: float) -> None:
    plan = load_budget_plan(env, ROOT / "budgets")
    assert low <= plan.monthly_limit <= high
    assert set(plan.team_limits) == {"backend", "frontend", "devops", "security"}
    assert sum(plan.team_limits.values()) <= plan.monthly_limit
    assert plan.subscribers and plan.anomaly_threshold > 0
    assert plan.emergency_action.approval == ("AUTOMATIC" if env == "dev" else "MANUAL")


GOOD = """monthlyLimit: 600
teams: {backend: 200, frontend: 100}
subscribers: [finops@example.com]
anomaly: {thresholdUsd: 25}
emergencyAction: {kind: STOP_TAGGED_INSTANCES, approval: AUTOMATIC}
"""


@pytest.mark.parametrize(("text", "message"), [
    ("monthlyLimit: [600\n", r"dev\.yaml:\d+: found <malformed YAML"),
    (GOOD.replace("monthlyLimit: 600\n", ""), r"dev\.yaml:1: monthlyLimit: found <missing>; expected an amount"),
    (GOOD.replace("600", "-5"), r"dev\.yaml:1: monthlyLimit: found -5; expected an amount in USD greater than 0"),
    (GOOD.replace("backend: 200", "backend: 550"),
     r"dev\.yaml:2: teams: found <team limits adding up to 650 USD>; expected at most the monthlyLimit of 600"),
    (GOOD.replace("backend: 200", "marketing: 200"),
     r"dev\.yaml:2: teams\.marketing: found 'marketing'; expected a team of the Team tag: backend, frontend"),
    (GOOD.replace("finops@example.com", "not-an-address"), r"subscribers\[0\]: found 'not-an-address'"),
    (GOOD.replace("STOP_TAGGED_INSTANCES", "NUKE"), r"emergencyAction\.kind: found 'NUKE'; expected one of"),
    (GOOD + "extra: 1\n", r"dev\.yaml:6: extra: found 'extra'; expected one of the keys"),
])
def test_bad_budget_files_give_one_line_naming_file_key_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "dev.yaml").write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_budget_plan("dev", tmp_path)
    assert "\n" not in str(caught.value)


def test_missing_budget_file_and_unknown_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dev\.yaml: found <no such file>"):
        load_budget_plan("dev", tmp_path)
    with pytest.raises(ConfigError, match="found 'qa'; expected an environment of the rules: dev, staging, prod"):
        load_budget_plan("qa", tmp_path)
