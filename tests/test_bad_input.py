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
from conftest import PACK_DIR, ROOT, run_cli
from finops_core.rules.loader import DEFAULT_RULES_FILE

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

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


def bytes_edit(name: str, data: bytes, *args: str) -> Edit:
    def edit(project: Path) -> list[str]:
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_bytes(data)
        return [a.replace("{project}", str(project)) for a in args]

    return edit


def directory_edit(name: str) -> Edit:
    def edit(project: Path) -> list[str]:
        (project / name).unlink()
        (project / name).mkdir()
        return []

    return edit


def args_edit(*args: str) -> Edit:
    """Only command-line arguments ({project} is the project directory; ENV:NAME=value sets a variable)."""
    return lambda project: [a.replace("{project}", str(project)) for a in args]


def waiver(expires: str) -> str:
    return ("approvers: {budget: [cfo]}\nwaivers:\n  - {policy: finops-required-tags, reason: r, approver: jdoe,"
            f" ticket: FIN-1, expires: {expires}}}\n")


BILLION_LAUGHS = "".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)


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
     "pc.json:1: found <malformed JSON"),
    ("policy config shape", file_edit("pc.json", "[1]", "--policy-pack-config", "{project}/pc.json"),
     "pc.json: found list; expected a JSON object"),
    ("policy config policy", file_edit("pc.json", '{"finops-typo": "advisory"}', "--policy-pack-config",
                                       "{project}/pc.json"), "pc.json:1: policy pack config names unknown policy"),
    ("policy config nested key", file_edit("pc.json", '{\n  "finops-instance-size": {"environments": {"dev": '
                                                      '{"maxVcpu": 4}}}\n}', "--policy-pack-config",
                                           "{project}/pc.json"),
     "pc.json:2: policy pack config for finops-instance-size: environments.dev.maxVcpu: unknown property "
     "'maxVcpu'; expected one of: maxGpus, maxMemoryGib, maxVcpus (did you mean 'maxVcpus'?)"),
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
     "base.json:1: resources: found <not a finops preview JSON report>"),
]


# Reading: every file goes through finops_core.reading, bounded and strict (issue 14).
READING_CASES: list[tuple[str, Edit, str]] = [
    ("stack file alias bomb", file_edit("Pulumi.dev.yaml", "config:\n  demo:owner: jdoe\n" + BILLION_LAUGHS),
     "values once aliases are expanded"),
    ("budget alias bomb", file_edit("budgets/dev.yaml", GOOD_BUDGET + BILLION_LAUGHS),
     "values once aliases are expanded"),
    ("stack file recursive alias", file_edit("Pulumi.dev.yaml", "config: &c {demo:owner: jdoe, x: *c}\n"),
     "an alias that refers to itself"),
    ("stack file deep", file_edit("Pulumi.dev.yaml", "config: " + "[" * 5000 + "]" * 5000 + "\n"),
     "nested deeper than 64 levels"),
    ("budget limit nan", budget_edit("monthlyLimit: 600", "monthlyLimit: .nan"),
     "dev.yaml:3: monthlyLimit: found <.nan>; expected a finite number"),
    ("budget team inf", budget_edit("backend: 200", "backend: .inf"), "teams.backend: found <.inf>; expected a finite"),
    ("budget impossible number", budget_edit("monthlyLimit: 600", "monthlyLimit: " + "9" * 5000),
     "monthlyLimit: found <a number of 5000 digits>"),
    ("budget float tag", budget_edit("monthlyLimit: 600", "monthlyLimit: !!float six-hundred"),
     "monthlyLimit: found <six-hundred>; expected a valid float"),
    ("budget duplicate key", budget_edit("monthlyLimit: 600\n", "monthlyLimit: 600\nmonthlyLimit: 60000\n"),
     "dev.yaml:4: monthlyLimit: found <the same key a second time>"),
    ("budget not utf-8", bytes_edit("budgets/dev.yaml", GOOD_BUDGET.encode() + b"# caf\xe9\n"),
     "dev.yaml:18: found <a byte that is not UTF-8: 0xe9>"),
    ("budget is a directory", directory_edit("budgets/dev.yaml"), "dev.yaml: found <a directory>"),
    ("stack duplicate key", file_edit("Pulumi.dev.yaml", "config:\n  demo:owner: jdoe\n  demo:owner: ops\n"),
     "Pulumi.dev.yaml:3: config.demo:owner: found <the same key a second time>"),
    ("stack file NUL", file_edit("Pulumi.dev.yaml", "config:\n  demo:owner: \x00\n"),
     "Pulumi.dev.yaml:2: found <malformed YAML: unacceptable character #x0000"),
    ("project file not utf-8", bytes_edit("Pulumi.yaml", b"name: d\xffmo\nruntime: python\n"),
     "Pulumi.yaml:1: found <a byte that is not UTF-8: 0xff>"),
    ("project name with ::", file_edit("Pulumi.yaml", "name: a::b\nruntime: python\n"), "name: found 'a::b'"),
    ("waivers impossible date", file_edit("waivers.yaml", waiver("2026-02-30")),
     "waivers.yaml:3: waivers[0].expires: found <2026-02-30>; expected a valid timestamp"),
    ("waivers duplicate key", file_edit("waivers.yaml", "waivers: []\nwaivers: []\n"),
     "waivers.yaml:2: waivers: found <the same key a second time>"),
    ("rules nan cap", rules_edit(lambda r: r["environments"]["dev"]["instance"].update(maxVcpus=float("nan"))),
     "environments.dev.instance.maxVcpus: found <.nan>; expected a finite number"),
    ("usage amount nan", file_edit("usage.yaml", "resources: {x: {monthlyUsd: .nan}}\n", "--usage-file",
                                   "{project}/usage.yaml"), "usage.yaml:1: resources.x.monthlyUsd: found <.nan>"),
    ("usage file missing", args_edit("--usage-file", "{project}/none.yaml"), "none.yaml: found <no such file>"),
    ("usage file a directory", args_edit("--usage-file", "{project}"), "found <a directory>; expected a YAML file"),
    ("policy config directory", args_edit("--policy-pack-config", "{project}"),
     "found <a directory>; expected a JSON file"),
    ("policy config NaN", file_edit("pc.json", '{"finops-instance-size": {"enforcementLevel": "advisory", '
                                    '"x": NaN}}', "--policy-pack-config", "{project}/pc.json"), "found <NaN>"),
    ("policy config deep", file_edit("pc.json", '{"a": ' * 3000 + "1" + "}" * 3000, "--policy-pack-config",
                                     "{project}/pc.json"), "pc.json: found <malformed JSON: nested too deeply>"),
    ("baseline is a directory", args_edit("--baseline", "{project}"), "found <a directory>; expected a JSON file"),
    ("baseline NaN cost", file_edit("base.json", '{"resources": [{"urn": "u", "monthlyUsd": NaN}]}', "--baseline",
                                    "{project}/base.json"), "base.json:1: resources[0].monthlyUsd: found <NaN>"),
    ("baseline cost text", file_edit("base.json", '{"resources": [{"urn": "u", "monthlyUsd": "12"}]}', "--baseline",
                                     "{project}/base.json"),
     "base.json:1: resources[0].monthlyUsd: found '12'; expected a finite monthly amount in USD, or null"),
    ("baseline duplicate key", file_edit("base.json", '{"resources": [], "resources": []}', "--baseline",
                                         "{project}/base.json"), "base.json:1: found <the key 'resources' twice>"),
    ("baseline deep", file_edit("base.json", "[" * 100_000 + "]" * 100_000, "--baseline", "{project}/base.json"),
     "base.json: found <malformed JSON: nested too deeply>"),
    ("output missing directory", args_edit("-o", "{project}/missing/report.txt"),
     "--output: found '{project}/missing/report.txt'; expected a file in an existing directory"),
    ("output is a directory", args_edit("-o", "{project}"), "expected a file path, not a directory"),
    ("output disk full", args_edit("-o", "/dev/full"), "--output: found '/dev/full'; expected a writable file"),
    ("max increase nan", file_edit("base.json", '{"resources": []}', "--baseline", "{project}/base.json",
                                   "--max-increase-usd", "nan"),
     "--max-increase-usd: found nan; expected a finite number"),
    ("rules quantity nan", rules_edit(lambda r: r["environments"]["dev"]["container"].update(maxCpu="NaN")),
     "environments.dev.container.maxCpu: found 'NaN'"),
    ("program never returns", file_edit("__main__.py", "import time\ntime.sleep(600)\n", "--timeout", "1.5"),
     "did not finish within 1.5 s"),
    # Fixed in the CLI (preview.py): explicit paths that do not exist, FINOPS_TODAY checked before the packs start.
    ("waivers explicit missing", args_edit("--waivers", "{project}/none.yaml"),
     "none.yaml: found <no such file>; expected an existing waivers file (--waivers)"),
    ("budgets dir explicit missing", args_edit("--budgets-dir", "{project}/none"),
     "none: found <no such directory>; expected an existing directory of budgets (--budgets-dir)"),
    ("FINOPS_TODAY not a date", args_edit("ENV:FINOPS_TODAY=tomorrow"),
     "FINOPS_TODAY: found 'tomorrow'; expected a date written YYYY-MM-DD"),
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
    assert len(CASES) >= 30 and len(READING_CASES) >= 30


# The variables a case may set; each run starts without them.
_CASE_VARIABLES = ("FINOPS_RULES_FILE", "FINOPS_TODAY")


def run_finops(project: Path, extra: list[str], separate_process: bool = False) -> subprocess.CompletedProcess[str]:
    """``finops preview`` on the project: in this process (as conftest.run_cli does: the same exit code
    and output), or as its own process for the end-to-end cases."""
    env = dict(a[4:].split("=", 1) for a in extra if a.startswith("ENV:"))
    extra = [a for a in extra if not a.startswith("ENV:")]
    args = ["preview", "-s", "dev", "-C", str(project), "--policy-pack", str(PACK_DIR)]
    if "-s" in extra:
        args = ["preview", "-C", str(project), "--policy-pack", str(PACK_DIR), *extra]
    else:
        args += extra
    if separate_process:
        full = {k: v for k, v in os.environ.items() if k not in _CASE_VARIABLES} | env
        return subprocess.run([sys.executable, "-m", "finops_preview", *args], capture_output=True, text=True,
                              timeout=300, check=False, env=full)
    saved = {k: os.environ.pop(k) for k in _CASE_VARIABLES if k in os.environ}
    try:
        return run_cli(*args, env=env)
    finally:
        os.environ.update(saved)


def snapshot(project: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def check_exits_2_with_one_line(project: Path, edit: Edit, message: str, separate_process: bool = False) -> None:
    extra = edit(project)
    before = snapshot(project)
    completed = run_finops(project, extra, separate_process)
    assert completed.returncode == 2, completed.stdout[-500:] + completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in completed.stderr, completed.stderr
    assert message.replace("{project}", str(project)) in lines[0]
    after = snapshot(project)
    assert {p: after.get(p) for p in before} == before, "an input file changed"


@pytest.mark.parametrize(("edit", "message"), [(c[1], c[2]) for c in CASES + READING_CASES],
                         ids=[c[0] for c in CASES + READING_CASES])
def test_bad_input_exits_2_with_one_line(project: Path, edit: Edit, message: str) -> None:
    check_exits_2_with_one_line(project, edit, message)


# End to end, as a user's shell runs it: a program that raises, a broken stack file, a bad policy config.
END_TO_END = ("program raises", "stack file malformed", "policy config value")


@pytest.mark.parametrize(("edit", "message"), [(c[1], c[2]) for c in CASES if c[0] in END_TO_END],
                         ids=[c[0] for c in CASES if c[0] in END_TO_END])
def test_bad_input_exits_2_with_one_line_as_its_own_process(project: Path, edit: Edit, message: str) -> None:
    check_exits_2_with_one_line(project, edit, message, separate_process=True)


@pytest.mark.parametrize("args", [["-o", "{project}/missing/report.txt"], ["-o", "{project}"],
                                  ["--baseline", "{project}/base.json", "--max-increase-usd", "nan"]],
                         ids=["output missing directory", "output is a directory", "max increase nan"])
def test_options_that_can_never_work_are_refused_before_the_program_runs(project: Path, args: list[str]) -> None:
    marker = project / "ran"
    write(project / "__main__.py", f"open({str(marker)!r}, 'w').close()\n" + PROGRAM)
    write(project / "base.json", '{"resources": []}')
    completed = run_finops(project, [a.replace("{project}", str(project)) for a in args])
    assert completed.returncode == 2 and completed.stderr.count("\n") == 1, completed.stderr
    assert not marker.exists(), "the program ran although the preview could never be written or judged"


@pytest.mark.parametrize("expires", ["2099-01-31 12:00:00", "2099-01-31T12:00:00Z", "2001-01-31 08:00:00"])
def test_a_waiver_expiry_with_a_time_of_day_is_read(project: Path, expires: str,
                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    # Named with --waivers, outside the project: the three previews are then one program run (conftest).
    waivers = tmp_path_factory.mktemp("waivers") / "waivers.yaml"
    write(waivers, waiver(expires))
    completed = run_finops(project, ["--waivers", str(waivers)])
    assert completed.returncode in (0, 1), completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout and "waivers" not in completed.stderr


def test_a_failed_report_write_keeps_the_old_report_and_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from finops_core.reading import ConfigError
    from finops_preview.output import write_output

    report = tmp_path / "report.json"
    report.write_text("old report\n")

    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ConfigError, match=r"^--output: found '.*report.json'; expected a writable file \(No space"):
        write_output("new report\n", report)
    assert report.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_report_written_to_a_device_replaces_nothing(tmp_path: Path) -> None:
    from finops_preview.output import write_output

    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null on this system")
    write_output("report\n", Path("/dev/null"))
    assert Path("/dev/null").is_char_device()
    link = tmp_path / "latest.txt"
    target = tmp_path / "real.txt"
    target.write_text("old\n")
    link.symlink_to(target)
    write_output("new\n", link)
    assert link.is_symlink() and target.read_text() == "new\n"
