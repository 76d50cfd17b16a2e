"""The figures the README quotes are the ones the commands print: each is read from the README's
text and compared with the real output, so a change to the platform (a new resource, a price)
that moves a figure fails here until the README says the new one."""

from __future__ import annotations

import json
import re

import finops_preview.preview as preview
import pytest
from conftest import ROOT, run_cli
from finops_preview.runner import ProgramProcess

README = (ROOT / "README.md").read_text(encoding="utf-8")
REPORT = ROOT / "tests" / "fixtures" / "report"


def test_the_quick_starts_summary_is_the_dev_previews_own() -> None:
    # The block after "and ends with:" quotes the end of `make preview` (finops preview --stack dev).
    # No replay asked for: this preview runs the program for real, judging resources as they stream.
    assert preview.ProgramProcess is ProgramProcess
    quoted = re.search(r"and ends with:\n\n```\n(Summary:\n.*?)```", README, re.S)
    assert quoted, "the README's quick start no longer quotes the preview's summary"
    completed = run_cli("preview", "--stack", "dev")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.rstrip().endswith(quoted.group(1).rstrip()), completed.stdout[-600:]
    # The figures themselves (resources, total, budget, share, usage left out) are in the quoted
    # lines compared above, so each moves with the output or fails here.
    assert re.search(r"\d+ resources, .*estimate \$[\d,.]+ / month of the dev budget \$[\d,.]+ \([\d.]+ %\)",
                     quoted.group(1))


@pytest.mark.usefixtures("program_replay")
def test_the_reports_quoted_totals_are_the_reports_own() -> None:
    quoted = re.search(r"overspend \(prod backend:\s+estimate \$([\d,.]+), actual \$([\d,.]+)\), a team at (\d+) % "
                       r"of its budget \((\w+) (\w+)\)", README)
    assert quoted, "the README no longer quotes the report fixture's figures"
    completed = run_cli("report", "-C", str(REPORT), "--stacks", "dev,staging,prod", "--actuals",
                        str(REPORT / "actuals.json"), "--format", "json", env={"FINOPS_TODAY": "2026-11-29"})
    assert completed.returncode == 0, completed.stderr
    lines = {(b["environment"], b["team"]): b for b in json.loads(completed.stdout)["budgets"]}
    backend = lines[("prod", "backend")]
    assert (backend["estimateUsd"], backend["actualUsd"], backend["status"]) == (
        float(quoted[1].replace(",", "")), float(quoted[2].replace(",", "")), "overspend")
    near = lines[(quoted[4], quoted[5])]
    assert round(near["actualPercent"]) == int(quoted[3]) and near["status"] == "near budget"
