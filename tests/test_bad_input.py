"""Bad input in every file the project reads: exit code 2 and one line naming file and key.

Table-driven: each case breaks one thing in an otherwise good project and names what the
one-line message must say.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import PACK_DIR, ROOT
from finops_core.rules.loader import DEFAULT_RULES_FILE

PROGRAM = "import finops_components as finops\nfinops.enforce()\n"
GOOD_BUDGET = (ROOT / "budgets" / "dev.yaml").read_text()
Edit = Callable[[Path], list[str]]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def rules_edit(change: Callable[[dict], None]) -> Edit:
    def edit(project: Path) -> list[str]:
        raw = yaml.safe_load(DEFAULT_RULES_FILE.read_text())
        change(raw)
        write(project / "rules.yaml", yaml.safe_dump(raw, sort_keys=False))
        return ["--rules", str(project / "rules.yaml")]

    return edit


def file_edit(name: str, text: str, *args: str) -> Edit:
    def edit(project: Path) -> list[str]:
        write(project / name, text)
        return [a.replace("{project}", str(project)) for a in args]

    return edit


def budget_edit(old: str, new: str) -> Edit:
    return file_edit("budgets/dev.yaml", GOOD_BUDGET.replace(old, new))


CASES: list[tuple[str, Edit, str]] = [
    # Pulumi.yaml
    ("project file missing", lambda p: (p / "Pulumi.yaml").unlink() or [], "Pulumi.yaml: found <no such file>"),
    ("project file malformed", file_edit("Pulumi.yaml", "name: [x\n"), "Pulumi.yaml:2: found <malformed YAML"),
    ("project runtime", file_edit("Pulumi.yaml", "name: demo\nruntime: go\n"), "runtime: found 'go'; expected python"),
    ("project name", file_edit("Pulumi.yaml", "runtime: python\n"), "name: found <missing>; expected the project name"),
    ("project main", file_edit("Pulumi.yaml", "name: demo\nruntime: python\nmain: nope.py\n"), "main: found"),
    ("project config", file_edit("Pulumi.yaml", "name: demo\nruntime: python\nconfig: [1]\n"),
     "config: found [1]; expected a mapping"),
    # stack config
    ("unknown stack", lambda p: ["-s", "qa"], "Pulumi.qa.yaml: found <no stack named 'qa'>"),
    ("stack file malformed", file_edit("Pulumi.dev.yaml", "config: {a: [\n"), "Pulumi.dev.yaml:2: found <malformed"),
    ("stack config shape", file_edit("Pulumi.dev.yaml", "config: [1, 2]\n"), "Pulumi.dev.yaml:1: config: found [1, 2]"),
    ("owner missing", file_edit("Pulumi.dev.yaml", "config: {}\n"), "demo:owner: found <missing>"),
    ("cost center", file_edit("Pulumi.dev.yaml", "config:\n  demo:owner: jdoe\n  demo:costCenter: sales\n"),
     "demo:costCenter: found 'sales'; expected one of engineering, research, operations"),
    ("owner pattern", file_edit("Pulumi.dev.yaml", "config:\n  demo:owner: J Doe\n"),
     "demo:owner: found 'J Doe'; expected a value matching"),
    ("program raises", file_edit("__main__.py", "raise ValueError('no region')\n"),
     "the program failed: ValueError: no region (__main__.py:1)"),
    # policy pack config
    ("policy config missing", lambda p: ["--policy-pack-config", str(p / "none.json")],
     "none.json: no such policy pack config file"),
    ("policy config JSON", file_edit("pc.json", "{not json", "--policy-pack-config", "{project}/pc.json"),
     "pc.json: not valid JSON"),
    ("policy config shape", file_edit("pc.json", "[1]", "--policy-pack-config", "{project}/pc.json"),
     "pc.json: found list; expected a JSON object"),
    ("policy config policy", file_edit("pc.json", '{"finops-typo": "advisory"}', "--policy-pack-config",
                                       "{project}/pc.json"), "pc.json: policy pack config names unknown policy"),
    ("policy config property", file_edit("pc.json", '{"finops-instance-size": {"caps": 1}}',
                                         "--policy-pack-config", "{project}/pc.json"), "unknown property 'caps'"),
    ("policy config level", file_edit("pc.json", '{"finops-instance-size": "strict"}', "--policy-pack-config",
                                      "{project}/pc.json"), "enforcementLevel 'strict'"),
    ("policy config value", file_edit("pc.json", '{"finops-lambda-memory": {"environments": {"dev": '
                                                 '{"maxMemoryMb": "big"}}}}', "--policy-pack-config",
                                      "{project}/pc.json"),
     "finops-lambda-memory: environments.dev.maxMemoryMb: found 'big'; expected type 'integer'"),
    # guardrail rules
    ("rules cap missing", rules_edit(lambda r: r["environments"]["dev"]["instance"].pop("maxVcpus")),
     "rules.yaml:"),
    ("rules quantity", rules_edit(lambda r: r["environments"]["dev"]["container"].update(maxCpu="lots")),
     "environments.dev.container.maxCpu: found 'lots'"),
    ("rules unknown key", rules_edit(lambda r: r["environments"]["dev"].update(gpus=1)),
     "environments.dev.gpus: found 'gpus'; expected one of the keys"),
    ("rules tag values", rules_edit(lambda r: r["tags"]["Team"].update(allowed=[])), "tags.Team.allowed: found []"),
    ("rules pattern", rules_edit(lambda r: r["tags"]["Owner"].update(pattern="([")), "tags.Owner.pattern"),
    ("rules thresholds", rules_edit(lambda r: r["budgetAlerts"].update(thresholds="50")),
     "budgetAlerts.thresholds: found '50'"),
    ("rules owners", rules_edit(lambda r: r["serviceOwners"].update(ssa="ops")),
     "serviceOwners.ssa: found 'ops'; expected a Team tag value"),
    # budgets
    ("budget malformed", file_edit("budgets/dev.yaml", "monthlyLimit: [\n"), "dev.yaml:2: found <malformed YAML"),
    ("budget limit missing", budget_edit("monthlyLimit: 600\n", ""), "monthlyLimit: found <missing>"),
    ("budget teams over limit", budget_edit("backend: 200", "backend: 900"),
     "teams: found <team limits adding up to 1300 USD>; expected at most the monthlyLimit of 600 USD"),
    ("budget unknown team", budget_edit("backend: 200", "marketing: 200"), "teams.marketing: found 'marketing'"),
    ("budget subscriber", budget_edit("finops@example.com", "finops-at-example"), "subscribers[0]: found"),
    ("budget action", budget_edit("approval: AUTOMATIC", "approval: SOMETIMES"), "emergencyAction.approval"),
    # waivers, usage, baseline
    ("waivers malformed", file_edit("waivers.yaml", "waivers: [\n"), "waivers.yaml:2: found <malformed YAML"),
    ("waivers shape", file_edit("waivers.yaml", "waivers: {a: 1}\n"), "waivers.yaml:1: waivers: found {'a': 1}"),
    ("usage amount", file_edit("usage.yaml", "resources: {x: {monthlyUsd: lots}}\n", "--usage-file",
                               "{project}/usage.yaml"), "usage.yaml:1: resources.x.monthlyUsd: found 'lots'"),
    ("baseline shape", file_edit("base.json", json.dumps({"no": "resources"}), "--baseline", "{project}/base.json"),
     "base.json: resources: found <not a finops preview JSON report>"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path / "Pulumi.yaml", "name: demo\nruntime: python\n")
    write(tmp_path / "Pulumi.dev.yaml", "config:\n  demo:owner: jdoe\n")
    write(tmp_path / "__main__.py", PROGRAM)
    write(tmp_path / "budgets" / "dev.yaml", GOOD_BUDGET)
    shutil.copy(ROOT / "waivers.yaml", tmp_path / "waivers.yaml")
    return tmp_path


def test_the_table_is_broad() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(("edit", "message"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_one_line(project: Path, edit: Edit, message: str) -> None:
    extra = edit(project)
    args = ["preview", "-s", "dev", "-C", str(project), "--policy-pack", str(PACK_DIR)]
    if "-s" in extra:
        args = ["preview", "-C", str(project), "--policy-pack", str(PACK_DIR), *extra]
    else:
        args += extra
    env = {k: v for k, v in os.environ.items() if k != "FINOPS_RULES_FILE"}
    completed = subprocess.run([sys.executable, "-m", "finops_preview", *args], capture_output=True, text=True,
                               timeout=300, check=False, env=env)
    assert completed.returncode == 2, completed.stdout[-500:] + completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in completed.stderr, completed.stderr
    assert message in lines[0]
