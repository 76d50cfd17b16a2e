"""The offline runner runs programs as the engine does: resource references, invokes it does not
know, print(), its own virtualenv, a timeout, source positions, Pulumi's naming rules."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PACK_DIR, ROOT, run_cli
from finops_preview.preview import PreviewOptions, run_preview
from finops_preview.runner import run_stack
from proc_table import still_alive

VENV_PYTHON = Path(sys.executable)


def finops(*args: str) -> subprocess.CompletedProcess[str]:
    """``finops ARGS`` in this process (conftest.run_cli); its programs still run in their own
    processes, as the command runs them."""
    return run_cli(*args)


def finops_process(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``finops ARGS`` as its own process, for what only a process shows (its file descriptors)."""
    return subprocess.run([sys.executable, "-m", "finops_preview", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


Project = Callable[..., Path]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A Pulumi project with the given program, Pulumi.yaml extras and a dev stack."""

    def make(program: str, name: str = "team-app", runtime: str = "runtime: python", stack: str = "dev") -> Path:
        (tmp_path / "Pulumi.yaml").write_text(f"name: {name}\n{runtime}\n")
        (tmp_path / f"Pulumi.{stack}.yaml").write_text("config:\n  aws:region: us-east-1\n")
        (tmp_path / "__main__.py").write_text(textwrap.dedent(program))
        return tmp_path

    return make


def test_a_resource_passed_as_an_input_works_as_under_plain_mocks(project: Project) -> None:
    directory = project("""
        import pulumi, pulumi_aws as aws
        role = aws.iam.Role("role", assume_role_policy="{}")
        fn = aws.lambda_.Function("fn", role=role.arn, runtime="python3.12", handler="app.handler",
                                  code=pulumi.AssetArchive({}))
        aws.lambda_.Permission("allow-s3", function=fn, action="lambda:InvokeFunction", principal="s3.amazonaws.com")
    """)
    run = run_stack(directory, "dev")
    permission = next(r for r in run.resources if r.type == "aws:lambda/permission:Permission")
    assert permission.inputs["function"] == "fn-id"  # the referenced function's id, as the engine passes it


def test_an_invoke_the_mocks_do_not_know_answers_with_the_shape_of_its_result_type(project: Project) -> None:
    directory = project("""
        import pulumi_aws as aws
        zone = aws.route53.get_zone(name="example.com")
        aws.route53.Record("www", zone_id=zone.zone_id, name="www", type="A", ttl=60, records=["192.0.2.1"])
        assert isinstance(zone.name_servers, list) and zone.name_servers, zone.name_servers
        assert zone.private_zone is False
        subnets = aws.ec2.get_subnets()
        aws.ec2.Instance("web", ami="ami-0123456789abcdef0", instance_type="t3.micro", subnet_id=subnets.ids[0])
    """)
    run = run_stack(directory, "dev")
    record = next(r for r in run.resources if r.type == "aws:route53/record:Record")
    assert isinstance(record.inputs["zoneId"], str) and record.inputs["zoneId"]


def test_print_in_a_program_reaches_the_user_apart_from_the_report(project: Project) -> None:
    directory = project("""
        import pulumi, pulumi_aws as aws
        print("hello from the program")
        pulumi.log.warn("a long warning, " * 30 + "the end")
        aws.s3.Bucket("logs")
    """)
    completed = finops_process("preview", "-C", str(directory), "-s", "dev", "--policy-pack", str(PACK_DIR), "--json")
    assert completed.returncode in (0, 1), completed.stderr
    report = json.loads(completed.stdout)  # the report alone on stdout
    assert [r["name"] for r in report["resources"]] == ["logs"]
    assert "hello from the program" in completed.stderr
    # The program's warnings as the Pulumi CLI shows them: "warning: ", wrapped at 120 columns.
    assert "warning: a long warning, a long warning," in completed.stderr and "the end" in completed.stderr
    assert max(len(line) for line in completed.stderr.splitlines()) <= 120, completed.stderr


def test_a_program_that_never_returns_is_stopped_with_everything_it_started(project: Project, tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    directory = project(f"""
        import subprocess, time
        child = subprocess.Popen(["sleep", "300"])
        open({str(marker)!r}, "w").write(str(child.pid))
        time.sleep(300)
    """)
    started = time.monotonic()
    completed = finops("preview", "-C", str(directory), "-s", "dev", "--policy-pack", str(PACK_DIR),
                       "--timeout", "2")
    assert time.monotonic() - started < 60
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "__main__.py" in lines[0] and "did not finish within 2 s" in lines[0], lines
    pid = int(marker.read_text())
    assert still_alive([pid]) == []  # the group was killed


@pytest.mark.parametrize("value", ["0", "-5", "nan", "soon"])
def test_a_bad_timeout_is_refused_in_one_line(value: str) -> None:
    completed = finops("preview", "-s", "dev", "--timeout", value)
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "--timeout" in completed.stderr


def _own_virtualenv(directory: Path, name: str) -> None:
    """A virtualenv of the program's own, which sees this one's pulumi (through a .pth) plus a
    package that only it has."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(directory / name)], check=True,
                   timeout=120)
    site = next((directory / name / "lib").glob("python*/site-packages"))
    ours = next(p for p in sys.path if p.endswith("site-packages") and (Path(p) / "pulumi").is_dir())
    (site / "library.pth").write_text(ours + "\n" + str(ROOT / "preview") + "\n")
    (site / "team_only_dependency.py").write_text("INSTANCE_TYPE = 't3.micro'\n")


@pytest.mark.parametrize(("options", "virtualenv"), [("virtualenv: venv", "venv"), ("toolchain: uv", ".venv")])
def test_the_program_runs_in_its_own_virtualenv_from_pulumi_yaml(project: Project, options: str,
                                                                  virtualenv: str) -> None:
    program = """
        import pulumi_aws as aws
        import team_only_dependency
        aws.ec2.Instance("web", ami="ami-0123456789abcdef0", instance_type=team_only_dependency.INSTANCE_TYPE)
    """
    directory = project(program, runtime=f"runtime:\n  name: python\n  options:\n    {options}")
    _own_virtualenv(directory, virtualenv)
    run = run_stack(directory, "dev")
    assert [r.inputs["instanceType"] for r in run.custom_resources()] == ["t3.micro"]


def test_without_its_virtualenv_the_program_lacks_its_dependency(project: Project) -> None:
    directory = project("import team_only_dependency\n")
    completed = finops("preview", "-C", str(directory), "-s", "dev", "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 2
    assert "ModuleNotFoundError" in completed.stderr.strip().splitlines()[-1]


def test_a_missing_virtualenv_is_named_in_one_line(project: Project) -> None:
    directory = project("", runtime="runtime:\n  name: python\n  options:\n    virtualenv: venv")
    completed = finops("preview", "-C", str(directory), "-s", "dev", "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "runtime.options.virtualenv" in completed.stderr


def test_each_resource_and_violation_points_at_the_line_that_declared_it(project: Project) -> None:
    directory = project("""
        import pulumi_aws as aws

        aws.s3.Bucket("logs")
        aws.ec2.Instance("big", ami="ami-0123456789abcdef0",
                         instance_type="m5.24xlarge")
    """)
    result = run_preview(PreviewOptions(cwd=directory, stack="dev", policy_packs=[PACK_DIR]))
    where = {r.name: (r.source_file, r.source_line) for r in result.resources}
    assert where == {"logs": ("__main__.py", 4), "big": ("__main__.py", 5)}
    sizing = next(v for v in result.violations if v.policy == "finops-instance-size")
    assert (sizing.source_file, sizing.source_line) == ("__main__.py", 5)


def test_resources_and_violations_come_in_a_stable_order(project: Project) -> None:
    directory = project("""
        import pulumi_aws as aws
        for name in ["zeta", "alpha", "mid"]:
            aws.ec2.Instance(name, ami="ami-0123456789abcdef0", instance_type="m5.24xlarge")
    """)
    first = run_preview(PreviewOptions(cwd=directory, stack="dev", policy_packs=[PACK_DIR]))
    urns = [r.urn for r in first.resources]
    assert urns == sorted(urns)
    keys = [v.sort_key() for v in first.violations]
    assert keys == sorted(keys)


@pytest.mark.parametrize(("name", "stack"), [("team::app", "dev"), ("team app", "dev"), ("x" * 101, "dev"),
                                             ("team-app", "dev/prod")])
def test_project_and_stack_names_follow_pulumis_rules(project: Project, name: str, stack: str) -> None:
    directory = project("", name=name)
    completed = finops("preview", "-C", str(directory), "-s", stack, "--policy-pack", str(PACK_DIR))
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1
    assert "letters, digits, hyphens, underscores and periods" in completed.stderr


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_a_policy_config_with_nan_or_infinity_is_refused_in_one_line(tmp_path: Path, constant: str) -> None:
    config = tmp_path / "policy-config.json"
    config.write_text('{"finops-instance-size": {"environments": {"dev": {"maxVcpus": ' + constant + "}}}}")
    completed = finops("preview", "-s", "dev", "--policy-pack-config", str(config))
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and str(config) in completed.stderr and constant in completed.stderr


_WITH_CTRL_C = ("import runpy, signal, sys\n"
                "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
                "sys.argv[0] = 'finops'\n"
                "runpy.run_module('finops_preview', run_name='__main__', alter_sys=True)\n")


@pytest.mark.parametrize(("signum", "code", "word"), [(15, 143, "terminated"), (2, 130, "interrupted")])
def test_a_cancelled_preview_stops_the_program_and_says_so(project: Project, tmp_path: Path, signum: int, code: int,
                                                           word: str) -> None:
    marker = tmp_path / "child.pid"
    directory = project(f"""
        import subprocess, time
        child = subprocess.Popen(["sleep", "300"])
        open({str(marker)!r}, "w").write(str(child.pid))
        time.sleep(300)
    """)
    # As a terminal starts it, Ctrl-C at its default: a suite started in the background of a
    # non-interactive shell (`make test &`) has SIGINT ignored, which every child would inherit, and
    # Python then rightly leaves it ignored.
    process = subprocess.Popen([sys.executable, "-c", _WITH_CTRL_C, "preview", "-C", str(directory), "-s", "dev",
                                "--policy-pack", str(PACK_DIR)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    for _ in range(300):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.1)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == code
    assert stderr.strip().splitlines()[-1].startswith(f"finops: {word}") and "Traceback" not in stderr
    pid = int(marker.read_text())
    assert still_alive([pid]) == []  # the group was killed


def test_the_mock_engines_unknown_sentinel_is_the_cores() -> None:
    # mock_engine.py imports nothing of the library (it runs under a program's own virtualenv), so it
    # keeps its own copy of the sentinel: the one copy, held equal to the core's here.
    from finops_core.values import UNKNOWN_STRING
    from finops_preview import mock_engine

    assert mock_engine.UNKNOWN == UNKNOWN_STRING
