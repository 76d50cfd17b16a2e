"""SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per violation.

Rules carry the policy's description (from the pack's ``GetAnalyzerInfo``) and help on how
to fix or waive a violation. A result points at the line of the program that declared the
resource where the run knows it (``source_file``/``source_line``), else at line 1 of the
program; paths are relative to the repository that holds the project (``%SRCROOT%``, the
nearest folder with ``.git``), as code scanning reads them, so a project in a subfolder of a
monorepo points at ``infra/__main__.py``. Each result carries ``partialFingerprints`` (policy,
stack and resource, not the line) so code scanning keeps tracking an alert when code moves.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..model import PolicyRef, PreviewResult, ResourceRow, Violation

INFORMATION_URI = "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/"
FINGERPRINT = "finopsResource/v1"
DEFAULT_PROGRAM = "__main__.py"
SOURCE_ROOT = "%SRCROOT%"
# Mandatory fails the check; advisory warns; a violation a policy exception covers is a note.
LEVELS = {"mandatory": "error", "advisory": "warning", "exempted": "note"}


def _description(policy: PolicyRef | None, name: str) -> str:
    text = getattr(policy, "description", "") if policy is not None else ""
    return text.strip() or f"FinOps policy {name}."


def _help(policy: PolicyRef | None, name: str, pack: str) -> dict[str, str]:
    description = _description(policy, name)
    fix = ("Each result's message names the resource, the rule, the value found, the values allowed and the fix. "
           "Change the resource as it says; for an approved exception add an entry for this policy to waivers.yaml "
           "(policy, stack, type, name, reason, approver, ticket, expires).")
    return {
        "text": f"{description} Policy {name} of the policy pack {pack}. {fix}",
        "markdown": f"**{description}**\n\nPolicy `{name}` of the policy pack `{pack}`.\n\n{fix}",
    }


def _location(violation: Violation, rows: dict[str, ResourceRow], program: str) -> tuple[str, int]:
    """The line that declared the resource, else line 1 of the program (a stack violation)."""
    for item in (violation, rows.get(violation.urn)):
        if item is not None and item.source_file:
            return item.source_file, max(item.source_line, 1)
    return program, 1


def _repository_root(directory: Path) -> Path | None:
    return next((d for d in (directory, *directory.parents) if (d / ".git").exists()), None)


def _artifact(file: str, project_dir: Path | None, root: Path | None) -> dict[str, str]:
    """A source file (relative to the project) as code scanning finds it: relative to the repository."""
    if project_dir is None or root is None:
        return {"uri": file}
    try:
        return {"uri": (project_dir / file).relative_to(root).as_posix(), "uriBaseId": SOURCE_ROOT}
    except ValueError:  # a file outside the repository: no path code scanning could show
        return {"uri": (project_dir / file).as_uri()}


def _fingerprint(violation: Violation, stack: str, occurrence: int) -> str:
    key = "\0".join((violation.pack, violation.policy, stack, violation.urn or "stack"))
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}:{occurrence}"


def as_dict(result: PreviewResult, program: str | None = None) -> dict[str, Any]:
    program = program or getattr(result, "program", None) or DEFAULT_PROGRAM
    project_dir = Path(result.project_dir) if result.project_dir else None
    root = _repository_root(project_dir) if project_dir is not None else None
    refs = {p.name: p for p in result.policies}
    packs = {p.name: p.pack for p in result.policies} | {v.policy: v.pack for v in result.violations}
    policies = sorted({v.policy for v in result.violations} | set(refs))
    rules = [{
        "id": name, "name": name,
        "shortDescription": {"text": _description(refs.get(name), name)},
        "fullDescription": {"text": _description(refs.get(name), name)},
        "help": _help(refs.get(name), name, packs.get(name, "")),
        "helpUri": INFORMATION_URI,
        "properties": {"policyPack": packs.get(name, ""), "tags": ["finops", "cost"]},
    } for name in policies]
    rows = {r.urn: r for r in result.resources}
    seen: Counter[tuple[str, str, str]] = Counter()
    results = []
    for v in sorted(result.violations, key=lambda v: (v.policy, v.urn, v.message)):
        seen[(v.pack, v.policy, v.urn)] += 1
        file, line = _location(v, rows, program)
        results.append({
            "ruleId": v.policy,
            "ruleIndex": policies.index(v.policy),
            "level": LEVELS.get(v.level, "warning"),
            "message": {"text": v.message},
            "locations": [{
                "physicalLocation": {"artifactLocation": _artifact(file, project_dir, root),
                                     "region": {"startLine": line}},
                "logicalLocations": [{"fullyQualifiedName": v.urn or f"stack {result.stack}", "kind": "resource"}],
            }],
            "partialFingerprints": {FINGERPRINT: _fingerprint(v, result.stack, seen[(v.pack, v.policy, v.urn)])},
            "properties": {"policyPack": v.pack, "enforcementLevel": v.level, "stack": result.stack,
                           "resource": v.resource},
        })
        if v.level == "exempted":
            # Code scanning shows it as suppressed, with the policy exception's reason.
            results[-1]["suppressions"] = [{"kind": "external", "status": "accepted",
                                            "justification": v.exception or "policy exception"}]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "finops-guardrails", "informationUri": INFORMATION_URI, "rules": rules}},
        "results": results,
    }
    if root is not None:
        run["originalUriBaseIds"] = {SOURCE_ROOT: {"uri": root.as_uri() + "/"}}
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run]}


def render(result: PreviewResult) -> str:
    return json.dumps(as_dict(result), indent=2) + "\n"
