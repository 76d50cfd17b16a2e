"""Machine-readable report; also the input of ``--baseline``.

The output is stable: keys sorted, resources in URN order, violations and remediations in
(policy, URN, message) order, so two runs of the same program give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import PreviewResult, ResourceRow, Violation

SCHEMA_VERSION = 1


def source_of(item: ResourceRow | Violation) -> dict[str, Any]:
    """``sourceFile``/``sourceLine``: where the program declared the resource, when the run knows."""
    return {"sourceFile": item.source_file, "sourceLine": item.source_line or None} if item.source_file else {}


def as_dict(result: PreviewResult) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "project": result.project,
        "stack": result.stack,
        "environment": result.environment,
        "origin": result.origin,
        "originFile": result.origin_file or None,
        "region": result.region,
        "priceDates": result.price_dates,
        "resources": [{
            "type": r.type, "name": r.name, "urn": r.urn, "environment": r.environment, "team": r.team,
            "owner": r.tags.get("Owner") or None,
            "service": r.service, "costCenter": r.cost_center, "monthlyUsd": r.monthly_usd, "basis": r.basis,
            "usagePriced": r.usage_priced, "inputs": r.inputs, **source_of(r),
            "usageUsd": r.usage_usd, "usagePendingLines": r.usage_pending, "unpriced": r.unpriced or None,
            **({"listUsd": r.list_usd, "discount": r.discount} if r.discount else {}),
            **({"policies": list(r.policies)} if r.policies is not None else {}),
        } for r in sorted(result.resources, key=lambda r: (r.urn, r.type, r.name))],
        "violations": [{
            "policy": v.policy, "policyPack": v.pack, "enforcementLevel": v.level, "resource": v.resource,
            "urn": v.urn, "message": v.message, **source_of(v),
            **({"exception": v.exception} if v.exception else {}),
        } for v in sorted(result.violations, key=lambda v: (v.policy, v.urn, v.resource, v.message, v.pack))],
        "remediations": [{
            "policy": r.policy, "policyPack": r.pack, "resource": r.resource, "urn": r.urn, "changed": r.changed,
        } for r in sorted(result.remediations, key=lambda r: (r.policy, r.urn, r.pack))],
        "summary": {
            "resources": len(result.resources), "mandatory": len(result.mandatory),
            "advisory": len(result.advisory), "exempted": len(result.exempted), "monthlyUsd": result.total_usd,
            # So a total is never silently low: what it leaves out, and what in it depends on usage.
            "listMonthlyUsd": result.list_total_usd, "usageUsd": result.usage_usd,
            "unpricedResources": len(result.unpriced), "usagePendingResources": len(result.usage_pending),
            "budgetUsd": result.budget_usd,
            "budgetPercent": result.budget_percent, "budgetSource": result.budget_source, "failed": result.failed,
        },
        "baseline": None if result.baseline is None else {
            "source": result.baseline.source, "monthlyUsdBefore": result.baseline.total_before,
            "monthlyUsdAfter": result.baseline.total_after, "deltaUsd": result.baseline.delta,
            "exceeded": result.baseline.exceeded,
            "changes": [{"urn": c.urn, "type": c.type, "name": c.name, "before": c.before, "after": c.after,
                         "delta": c.delta} for c in result.baseline.changes],
        },
        "notes": result.notes,
    }


def render(result: PreviewResult) -> str:
    return json.dumps(as_dict(result), indent=2, sort_keys=True) + "\n"
