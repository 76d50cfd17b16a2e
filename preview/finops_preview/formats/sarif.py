"""SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per violation."""

from __future__ import annotations

import json
from typing import Any

from ..model import PreviewResult

INFORMATION_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/"


def as_dict(result: PreviewResult, program: str = "__main__.py") -> dict[str, Any]:
    policies = sorted({v.policy for v in result.violations} | {p.name for p in result.policies})
    rules = [{"id": policy, "name": policy, "shortDescription": {"text": policy},
              "helpUri": INFORMATION_URI} for policy in policies]
    results = [{
        "ruleId": v.policy,
        "ruleIndex": policies.index(v.policy),
        "level": "error" if v.level == "mandatory" else "warning",
        "message": {"text": v.message},
        "locations": [{
            # Code scanning needs a file: the stack's program, where the resource is declared.
            "physicalLocation": {"artifactLocation": {"uri": program}, "region": {"startLine": 1}},
            "logicalLocations": [{"fullyQualifiedName": v.urn or f"stack {result.stack}", "kind": "resource"}],
        }],
        "properties": {"policyPack": v.pack, "enforcementLevel": v.level, "stack": result.stack},
    } for v in result.violations]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "finops-guardrails", "informationUri": INFORMATION_URI, "rules": rules}},
            "results": results,
        }],
    }


def render(result: PreviewResult) -> str:
    return json.dumps(as_dict(result), indent=2) + "\n"
