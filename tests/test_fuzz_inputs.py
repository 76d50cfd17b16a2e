"""Fuzz: any bytes in any file the CLI reads give exit 0, 1 or 2 -- never a traceback or a hang.

Each file kind (Pulumi.yaml, stacks/Pulumi.<stack>.yaml, budgets/<env>.yaml, waivers.yaml, the
rules file, the usage file, the policy pack config, the baseline and saved actuals) gets random
bytes, mutations of a good file with YAML/JSON syntax spliced in, and hostile documents.

To stay fast, the CLI runs in-process (``finops_preview.cli.main`` returns the exit code) and
stops where the reading ends: the program and policy packs of ``finops preview`` and the
programs of ``finops report`` are replaced by stand-ins that raise ``ReadingDone`` once the
project and stack files are read. A few end-to-end cases
run the real ``finops`` command in a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from conftest import PACK_DIR, ROOT, examples
from finops_core.rules.loader import DEFAULT_RULES_FILE
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

HANG_SECONDS = 5
EXAMPLES = 20


class ReadingDone(Exception):
    """Every input file was read and accepted: the command would go on to run programs."""


class Hang(Exception):
    pass


@dataclass(frozen=True)
class Kind:
    name: str
    path: str                 # relative to the project directory
    seed: bytes               # a good file of this kind
    args: tuple[str, ...] = ()
    command: str = "preview"


def _seed(path: Path) -> bytes:
    return path.read_bytes()


KINDS = [
    Kind("project", "Pulumi.yaml", b"name: demo\nruntime: python\nstackConfigDir: stacks\n"),
    Kind("stack config", "stacks/Pulumi.dev.yaml", b"config:\n  demo:owner: jdoe\n  aws:region: eu-west-1\n"),
    Kind("budget", "budgets/dev.yaml", _seed(ROOT / "budgets" / "dev.yaml")),
    Kind("waivers", "waivers.yaml", _seed(ROOT / "waivers.yaml")),
    Kind("rules", "rules.yaml", _seed(DEFAULT_RULES_FILE), ("--rules", "{file}")),
    Kind("usage", "usage.yaml", b"resources:\n  box:\n    monthlyUsd: 12.5\n", ("--usage-file", "{file}")),
    Kind("policy config", "pc.json", b'{"finops-instance-size": {"enforcementLevel": "advisory"}}',
         ("--policy-pack-config", "{file}")),
    Kind("baseline", "base.json", b'{"resources": [{"urn": "urn:pulumi:dev::demo::aws:s3/bucket:Bucket::b", '
                                  b'"name": "b", "type": "aws:s3/bucket:Bucket", "monthlyUsd": 12.5}]}',
         ("--baseline", "{file}", "--max-increase-usd", "10")),
    Kind("saved actuals", "actuals.json", b'{"dev": {"ResultsByTime": [{"TimePeriod": {"Start": "2026-10-01", '
                                          b'"End": "2026-11-01"}, "Groups": [{"Keys": ["Team$backend"], "Metrics": '
                                          b'{"UnblendedCost": {"Amount": "16.50", "Unit": "USD"}}}]}]}}',
         ("--actuals", "{file}"), command="report"),
]

# Syntax that breaks readers in interesting ways, spliced into good files.
TOKENS = [b"&a ", b"*a", b"*b", b"<<: *a\n", b".nan", b"-.inf", b"NaN", b"Infinity", b"1e999", b"[", b"]", b"{",
          b"}", b'"', b"'", b": ", b"- ", b"\n", b"  ", b"\t", b"---\n", b"? ", b"!!float x", b"!!int x",
          b"!!python/object:os.system x", b"2026-02-30", b"2099-01-31 12:00:00", b"9" * 400, b"\xff\xfe",
          b"\x00", b"\\ud800", b'"\\ud800"', b"null", b"true", b"-1", b"0", b"[]", b"{}", b"%YAML 1.1\n"]

HOSTILE = [
    b"".join([b"l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
             + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n".encode() for i in range(1, 10)]),
    b"a: &a [*a]\n", b"a: &a {<<: *a}\n", b"[" * 200 + b"]" * 200, b"{" * 200, b"[" * 3_000,
    b'{"a": ' * 3_000 + b"1" + b"}" * 3_000, b"a: 1\na: 2\n", b'{"a": 1, "a": 2}', b"a: .nan\n", b'{"a": NaN}',
    b"x: 2026-02-30\n", b"x: " + b"9" * 5000 + b"\n", b'{"x": ' + b"9" * 5000 + b"}", b"x: !!float six-hundred\n",
    b"", b"\xff\xfe\x00", b"---\n...\n---\n", b"[1, 2]", b"null", b'"text"', b"x: " + b"y" * 50_000 + b"\n",
]


# Every input a fuzz run has found to break a reader, kept so that each run tries it again, in
# every file kind (`make fuzz` finds new ones; add them here).
FOUND = [
    # stackConfigDir 400 nines + "stacks": ENAMETOOLONG from pathlib, a traceback (issue 29).
    b"name: demo\nruntime: python\nstackConfigDir: " + b"9" * 400 + b"stacks\n",
]


def mutate(seed: bytes, at: int, cut: int, insert: bytes) -> bytes:
    at = min(at, len(seed))
    return seed[:at] + insert + seed[at + cut:]


def contents(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=80),
        st.builds(mutate, st.just(seed), st.integers(0, len(seed)), st.integers(0, 12),
                  st.one_of(st.sampled_from(TOKENS), st.binary(max_size=6),
                            st.lists(st.sampled_from(TOKENS), max_size=6).map(b"".join))),
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for kind in KINDS:
        target = tmp_path / kind.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(kind.seed)
    (tmp_path / "__main__.py").write_text("import finops_components as finops\nfinops.enforce()\n")
    return tmp_path


@pytest.fixture
def stop_after_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace what runs programs with a stand-in that raises ReadingDone; keep env changes local."""
    import finops_preview.commands.report_command as report_command
    import finops_preview.preview as preview

    def done(*_: Any, **__: Any) -> Any:
        raise ReadingDone

    class ReadProgram(preview.ProgramProcess):
        """Reads the project and stack files as the real one does; starts nothing."""

        def __enter__(self) -> Any:
            raise ReadingDone

    monkeypatch.setattr(preview, "ProgramProcess", ReadProgram)
    monkeypatch.setattr(preview, "PolicyPackProcess", done)
    monkeypatch.setattr(report_command, "load_stacks", lambda *_, **__: [])
    monkeypatch.setenv("FINOPS_RULES_FILE", str(DEFAULT_RULES_FILE))  # --rules sets it in-process


@contextlib.contextmanager
def no_hang(seconds: int) -> Iterator[None]:
    def alarm(_signal: int, _frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def cli_args(kind: Kind, project: Path, file: Path) -> list[str]:
    extra = [a.replace("{file}", str(file)) for a in kind.args]
    if kind.command == "report":
        return ["report", "--stacks", "dev", "-C", str(project), *extra]
    return ["preview", "-s", "dev", "-C", str(project), "--policy-pack", str(PACK_DIR), *extra]


def run_in_process(kind: Kind, project: Path, data: bytes, serial: list[int]) -> tuple[int | None, str]:
    """Write ``data`` as the kind's file and run the CLI; (exit code or None if reading passed, stderr)."""
    from finops_preview.cli import main

    serial[0] += 1
    file = project / kind.path
    if kind.name == "rules":  # rules are cached per path: a new path for new content
        file = project / f"rules-{serial[0]}.yaml"
    file.write_bytes(data)
    err, out = io.StringIO(), io.StringIO()
    code: int | None
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out), no_hang(HANG_SECONDS):
        try:
            code = main(cli_args(kind, project, file))
        except ReadingDone:
            code = None
    return code, err.getvalue()


def assert_clean_exit(code: int | None, stderr: str) -> None:
    assert code in (None, 0, 1, 2), (code, stderr)
    assert "Traceback" not in stderr, stderr
    if code == 2:
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert stderr.startswith("finops: "), stderr


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_any_bytes_in_any_input_file_exit_cleanly(kind: Kind, project: Path, stop_after_reading: None) -> None:
    serial = [0]

    @settings(max_examples=examples(EXAMPLES), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(data=contents(kind.seed))
    def check(data: bytes) -> None:
        assert_clean_exit(*run_in_process(kind, project, data, serial))

    for data in FOUND:
        check = example(data=data)(check)
    check()


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_every_hostile_document_in_every_file_exits_cleanly(kind: Kind, project: Path,
                                                            stop_after_reading: None) -> None:
    serial = [0]
    for data in HOSTILE:
        code, stderr = run_in_process(kind, project, data, serial)
        assert_clean_exit(code, stderr)


def test_the_seeds_are_read_without_error(project: Path, stop_after_reading: None) -> None:
    # The mutations start from good files: each must pass its reader, or the fuzz tests little.
    serial = [0]
    for kind in KINDS:
        code, stderr = run_in_process(kind, project, kind.seed, serial)
        assert code in (None, 0), (kind.name, stderr)


@pytest.mark.parametrize(("kind_name", "data"), [
    ("stack config", HOSTILE[0]),
    ("policy config", b'{"finops-instance-size": ' * 3000),
    ("baseline", b'{"resources": [{"urn": "u", "monthlyUsd": NaN}]}'),
])
def test_end_to_end_the_command_exits_2_in_one_line(project: Path, kind_name: str, data: bytes) -> None:
    kind = next(k for k in KINDS if k.name == kind_name)
    (project / kind.path).write_bytes(data)
    completed = subprocess.run([sys.executable, "-m", "finops_preview", *cli_args(kind, project, project / kind.path)],
                               capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2, completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1 and "Traceback" not in completed.stderr
    assert (project / kind.path).read_bytes() == data
