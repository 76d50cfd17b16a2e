"""Cost guardrails on a change: compare with the JSON of an earlier preview (e.g. of main)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from finops_core.reading import finite_number, load_json

from .engine_values import split_urn
from .model import BaselineDiff, CostChange, ResourceRow

_EXPECTED = "the JSON of an earlier `finops preview --json`"


def _limit(value: float | None, option: str) -> float | None:
    # NaN compares false with everything: a NaN limit would never refuse an increase.
    return None if value is None else finite_number(value, option, expected="a finite number")


def read_baseline(path: Path) -> dict[str, Mapping[str, Any]]:
    """The resources of an earlier ``finops preview --json`` by URN, each with a finite (or
    null) ``monthlyUsd``; anything else is a ConfigError naming the file and the key."""
    doc = load_json(path)
    data = doc.data
    resources = data.get("resources") if isinstance(data, Mapping) else None
    if not isinstance(resources, list):
        raise doc.error(("resources",), "<not a finops preview JSON report>", _EXPECTED)
    before: dict[str, Mapping[str, Any]] = {}
    for index, entry in enumerate(resources):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("urn"), str):
            raise doc.error(("resources", index), "<not a resource with a urn>", _EXPECTED)
        cost = entry.get("monthlyUsd")
        if cost is not None:
            doc.number(("resources", index, "monthlyUsd"), cost, "a finite monthly amount in USD, or null")
        before[entry["urn"]] = entry
    return before


def other_stacks(urns: Iterable[str], stack: str) -> list[str]:
    """The stacks other than ``stack`` that ``urns`` (``urn:pulumi:<stack>::...``) belong to."""
    found = set()
    for urn in urns:
        with contextlib.suppress(ValueError):
            found.add(split_urn(urn)[0])
    return sorted(found - {stack})


def stack_warning(what: str, urns: Iterable[str], stack: str) -> str | None:
    """One line when an input file holds another stack's resources (a baseline of staging given
    to a preview of dev compares every resource as removed and added), else None."""
    others = other_stacks(urns, stack)
    if not others:
        return None
    return (f"warning: {what} holds resources of stack {', '.join(repr(o) for o in others)}, not {stack!r}: "
            "is it the right file?")


def compare_baseline(path: Path, rows: Sequence[ResourceRow], max_increase_usd: float | None,
                     max_increase_percent: float | None) -> BaselineDiff:
    max_increase_usd = _limit(max_increase_usd, "--max-increase-usd")
    max_increase_percent = _limit(max_increase_percent, "--max-increase-percent")
    before = read_baseline(path)
    after = {r.urn: r for r in rows}
    changes = []
    for urn in sorted(set(before) | set(after)):
        old = float(before[urn].get("monthlyUsd") or 0) if urn in before else 0.0
        new = float(after[urn].monthly_usd or 0) if urn in after else 0.0
        if round(new - old, 2) != 0:
            source = after.get(urn)
            name = source.name if source else str(before[urn].get("name", urn))
            kind = source.type if source else str(before[urn].get("type", ""))
            changes.append(CostChange(urn, name, kind, round(old, 2), round(new, 2)))
    total_before = round(sum(float(r.get("monthlyUsd") or 0) for r in before.values()), 2)
    finite_number(total_before, path, "resources", expected="monthly amounts adding up to a finite total")
    total_after = round(sum(r.monthly_usd or 0 for r in rows), 2)
    increase = round(total_after - total_before, 2)
    exceeded = None
    if max_increase_usd is not None and increase > max_increase_usd:
        exceeded = f"monthly cost rises by {increase:.2f} USD; allowed: at most {max_increase_usd:.2f} USD"
    elif max_increase_percent is not None and total_before > 0 and 100 * increase / total_before > max_increase_percent:
        exceeded = (f"monthly cost rises by {100 * increase / total_before:.1f} %; allowed: at most "
                    f"{max_increase_percent:g} %")
    elif max_increase_percent is not None and total_before == 0 and increase > 0:
        exceeded = f"monthly cost rises from 0 to {total_after:.2f} USD; allowed: at most {max_increase_percent:g} %"
    diff = BaselineDiff(str(path), total_before, total_after, sorted(changes, key=lambda c: -abs(c.delta)),
                        max_increase_usd, max_increase_percent, exceeded)
    stacks = {split_urn(r.urn)[0] for r in rows if r.urn.startswith("urn:pulumi:") and r.urn.count("::") >= 3}
    if len(stacks) == 1:
        diff.warning = stack_warning(f"the baseline {path}", before, stacks.pop())
    return diff
