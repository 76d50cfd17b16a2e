"""JUnit XML: one test case per policy and resource it judged; violations are failures."""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from ..model import PolicyRef, PreviewResult, Violation


def render(result: PreviewResult) -> str:
    failures: dict[tuple[str, str], list[Violation]] = defaultdict(list)
    for v in result.violations:
        failures[(v.policy, v.urn if not v.urn or v.resource != "stack" else "")].append(v)
    suites = ET.Element("testsuites", name=f"finops preview {result.stack}")
    resources = [(r.urn, f"{r.type} '{r.name}'") for r in result.resources]
    policies = result.policies or [PolicyRef(v.pack, v.policy, v.resource == "stack") for v in result.violations]
    for policy in dict.fromkeys(policies):
        suite = ET.SubElement(suites, "testsuite", name=f"{policy.pack}/{policy.name}")
        if policy.stack:
            # A stack policy may report against the stack or against one of its resources.
            subjects = [("", "stack")] + [(urn, label) for urn, label in resources if (policy.name, urn) in failures]
        else:
            subjects = resources
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
