"""Cost guardrails on a change: compare with the JSON of an earlier preview (e.g. of main)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from finops_core.reading import ConfigError

from .model import BaselineDiff, CostChange, ResourceRow


def compare_baseline(path: Path, rows: Sequence[ResourceRow], max_increase_usd: float | None,
                     max_increase_percent: float | None) -> BaselineDiff:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        before = {r["urn"]: r for r in data["resources"]}
        for entry in before.values():
            float(entry.get("monthlyUsd") or 0)
    except FileNotFoundError:
        raise ConfigError(path, None, "<no such file>", "the JSON of an earlier `finops preview --json`") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(path, "resources", "<not a finops preview JSON report>",
                          "the JSON of an earlier `finops preview --json`") from None
    after = {r.urn: r for r in rows}
    changes = []
    for urn in sorted(set(before) | set(after)):
        old = float(before[urn].get("monthlyUsd") or 0) if urn in before else 0.0
        new = float(after[urn].monthly_usd or 0) if urn in after else 0.0
        if round(new - old, 2) != 0:
            source = after.get(urn)
            name = source.name if source else before[urn].get("name", urn)
            kind = source.type if source else before[urn].get("type", "")
            changes.append(CostChange(urn, name, kind, round(old, 2), round(new, 2)))
    total_before = round(sum(float(r.get("monthlyUsd") or 0) for r in before.values()), 2)
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
    return BaselineDiff(str(path), total_before, total_after, sorted(changes, key=lambda c: -abs(c.delta)),
                        max_increase_usd, max_increase_percent, exceeded)
