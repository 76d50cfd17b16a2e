"""Every numeric cap at the cap and one above it, over the Analyzer protocol, in the dev stack.

The cases are derived from the data: each size rule of the table of resource kinds that compares
a number with a cap (``at-most``, ``required-at-most``) gives one case, its cap read from
``rules.yaml`` as written (not through the rules loader). A value at the cap passes, the cap
plus one unit of the property fails; a new kind or cap is covered without touching this file.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from conftest import Analyze, mandatory
from finops_core.data import DATA_DIR
from finops_core.kinds import kinds_table

# The section of rules.yaml each policy judges (the policy names are the pack's published ones).
POLICY_OF_SECTION = {
    "instance": "finops-instance-size", "nodeGroup": "finops-node-group-size", "database": "finops-database-size",
    "cache": "finops-cache-size", "search": "finops-search-size", "streaming": "finops-streaming-size",
    "warehouse": "finops-warehouse-size", "analytics": "finops-analytics-size", "machineLearning": "finops-ml-size",
    "task": "finops-task-size", "ebsVolume": "finops-ebs-volume-size", "lambda": "finops-lambda-memory",
    "logRetention": "finops-log-retention",
}
DEV_CAPS: dict[str, dict[str, Any]] = yaml.safe_load((DATA_DIR / "rules.yaml").read_text())["environments"]["dev"]


def _cases() -> list[Any]:
    cases = []
    for kind in kinds_table().values():
        for rule in kind.sizes:
            if rule.check not in ("at-most", "required-at-most"):
                continue
            cap = DEV_CAPS[rule.section][rule.cap_key]
            cases.append(pytest.param(kind.type, rule.path, rule.section, cap / rule.scale,
                                      id=f"{kind.type}-{rule.role}-{rule.section}.{rule.cap_key}"))
    return cases


CASES = _cases()


def _at(path: tuple[str, ...], value: Any) -> Any:
    """Properties holding ``value`` at ``path`` (``*``: a list of one element)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [_at(rest, value)] if head == "*" else {head: _at(rest, value)}


def _shown(path: tuple[str, ...]) -> str:
    """The path as the policy names it (``a.*.b`` -> ``a[0].b``)."""
    text = ""
    for part in path:
        text += "[0]" if part == "*" else (f".{part}" if text else part)
    return text


def test_the_cases_cover_every_numeric_cap_section() -> None:
    # A table that lost its numeric rules would leave the test below with nothing to judge.
    sections = {case.values[2] for case in CASES}
    assert {"ebsVolume", "nodeGroup", "lambda", "logRetention", "database", "search"} <= sections
    assert len(CASES) >= 20


@pytest.mark.parametrize(("resource_type", "path", "section", "at_cap"), CASES)
def test_a_number_at_its_cap_passes_and_one_above_fails(analyze: Analyze, resource_type: str,
                                                        path: tuple[str, ...], section: str, at_cap: float) -> None:
    policy, where = POLICY_OF_SECTION[section], _shown(path)
    value = int(at_cap) if float(at_cap).is_integer() else at_cap

    def findings(amount: float) -> list[str]:
        return [d.message for d in mandatory(analyze(resource_type, _at(path, amount)), policy)
                if f"{where}=" in d.message]

    assert findings(value) == [], f"{where}={value} is at the {section} cap"
    [over] = findings(value + 1)
    assert f"{where}={value + 1:g}" in over
