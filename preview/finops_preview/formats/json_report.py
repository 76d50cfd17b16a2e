"""Machine-readable report; also the input of ``--baseline``."""

from __future__ import annotations

import json
from typing import Any

from ..model import PreviewResult

SCHEMA_VERSION = 1


def as_dict(result: PreviewResult) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "project": result.project,
        "stack": result.stack,
        "environment": result.environment,
        "region": result.region,
        "priceDates": result.price_dates,
        "resources": [{
            "type": r.type, "name": r.name, "urn": r.urn, "environment": r.environment, "team": r.team,
            "service": r.service, "costCenter": r.cost_center, "monthlyUsd": r.monthly_usd, "basis": r.basis,
            "usagePriced": r.usage_priced, "inputs": r.inputs,
        } for r in result.resources],
        "violations": [{
            "policy": v.policy, "policyPack": v.pack, "enforcementLevel": v.level, "resource": v.resource,
            "urn": v.urn, "message": v.message,
        } for v in result.violations],
        "remediations": [{
            "policy": r.policy, "policyPack": r.pack, "resource": r.resource, "urn": r.urn, "changed": r.changed,
        } for r in result.remediations],
        "summary": {
            "resources": len(result.resources), "mandatory": len(result.mandatory),
            "advisory": len(result.advisory), "monthlyUsd": result.total_usd, "budgetUsd": result.budget_usd,
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
    return json.dumps(as_dict(result), indent=2, sort_keys=False) + "\n"
