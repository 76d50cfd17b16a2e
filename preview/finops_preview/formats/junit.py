"""JUnit XML: one test suite per policy, one test case per resource the policy judged.

A resource policy judged a resource when the pack applied it to the resource's type: a
resource row lists those policies (``policies``, from the pack's answers) where the run
knows them; where it does not, every resource policy counts for every resource. A stack
policy has one case for the stack, plus one for each resource it reported against.
Mandatory violations are failures, advisory ones are skipped cases with the message; a
disabled policy has no suite, nor has a resource policy that applied to nothing.
"""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from ..model import PolicyRef, PreviewResult, ResourceRow, Violation


def _judged(row: ResourceRow, policy: PolicyRef) -> bool:
    applied = getattr(row, "policies", None)
    return applied is None or policy.name in applied


def render(result: PreviewResult) -> str:
    failures: dict[tuple[str, str], list[Violation]] = defaultdict(list)
    for v in result.violations:
        failures[(v.policy, v.urn if v.resource != "stack" else "")].append(v)
    suites = ET.Element("testsuites", name=f"finops preview {result.stack}")
    rows = sorted(result.resources, key=lambda r: (r.type, r.name, r.urn))
    policies = result.policies or [PolicyRef(v.pack, v.policy, v.resource == "stack") for v in result.violations]
    for policy in dict.fromkeys(policies):
        if getattr(policy, "level", None) == "disabled":
            continue
        if policy.stack:
            # A stack policy may report against the stack or against one of its resources.
            subjects = [("", "stack")] + [(r.urn, f"{r.type} '{r.name}'") for r in rows
                                          if (policy.name, r.urn) in failures]
        else:
            subjects = [(r.urn, f"{r.type} '{r.name}'") for r in rows
                        if _judged(r, policy) or (policy.name, r.urn) in failures]
        if not subjects:
            continue
        suite = ET.SubElement(suites, "testsuite", name=f"{policy.pack}/{policy.name}")
        for urn, label in subjects:
            case = ET.SubElement(suite, "testcase", classname=policy.name, name=label)
            for v in failures.get((policy.name, urn), []):
                tag = "failure" if v.level == "mandatory" else "skipped"
                ET.SubElement(case, tag, message=v.message, type=v.level).text = v.message
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
