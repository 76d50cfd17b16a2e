"""Run a stack's program under mocks (in a child process) and send what it registers to a pack."""

from __future__ import annotations

import json
import os
import queue
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finops_core.packaged_components import expansion_request
from finops_core.reading import ConfigError, probe

from . import mock_engine
from .analyzer import Diagnostic, PolicyPackProcess, ProviderRef, Remediation, StackResource
from .child_environment import GUARD_FILE, child_environment
from .child_lifetime import DIE_WITH_PARENT, child_env, child_options, kill_group
from .mock_engine import RecordedResource
from .project import Project, StackConfig, load_project, load_stack_config

# The engine names default providers "default_<version>"; policies only read their inputs.
_DEFAULT_PROVIDER_NAME = "default"


class ProgramError(Exception):
    """The program raised, or could not be run; the message is one line for the user."""


DEFAULT_TIMEOUT_S = 300.0
# Runs the mock engine by path: it imports nothing of this library, so a program's own
# virtualenv needs only pulumi (and what the program imports), not finops.
# Asks to die with finops first (child_lifetime), then the offline guard (a program's boto3 calls
# fail naming the call), then the mock engine.
_BOOTSTRAP = DIE_WITH_PARENT + ("import runpy, sys; guard = sys.argv.pop(1); path = sys.argv.pop(1); "
                                "runpy.run_path(guard)['install'](); "
                                "runpy.run_path(path, run_name='finops_mock_engine')")


@dataclass
class ProgramRun:
    project: Project
    stack: str
    config: StackConfig
    resources: list[RecordedResource]

    def custom_resources(self) -> list[RecordedResource]:
        return [r for r in self.resources if judged(r)]

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}


def program_python(project: Project) -> str:
    """The Python the language host would use: Pulumi.yaml's ``runtime.options.virtualenv``
    (relative to the project), uv's ``.venv``, poetry's environment, else this one."""
    options = project.runtime_options
    toolchain = str(options.get("toolchain") or "pip")
    virtualenv = options.get("virtualenv")
    source = project.directory / "Pulumi.yaml"
    if virtualenv is None and toolchain == "uv":
        virtualenv = ".venv"
    if virtualenv is None and toolchain == "poetry":
        return _poetry_python(project)
    if virtualenv is None:
        return sys.executable
    root = Path(str(virtualenv))
    root = root if root.is_absolute() else project.directory / root
    for candidate in (root / "bin" / "python", root / "Scripts" / "python.exe"):
        found = probe(candidate, source, "runtime.options.virtualenv", virtualenv, "an existing virtualenv")
        if found is not None and stat.S_ISREG(found.st_mode):
            return str(candidate)
    raise ConfigError(source, "runtime.options.virtualenv", str(virtualenv),
                      f"an existing virtualenv ({root} has no bin/python): create it with "
                      f"`python -m venv {virtualenv}` and install the program's requirements into it")


def _poetry_python(project: Project) -> str:
    try:
        found = subprocess.run(["poetry", "env", "info", "--executable"], cwd=project.directory, capture_output=True,
                               text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        found = None
    executable = found.stdout.strip() if found is not None and found.returncode == 0 else ""
    if not executable:
        raise ConfigError(project.directory / "Pulumi.yaml", "runtime.options.toolchain", "poetry",
                          "a poetry environment (`poetry install` in the project), or runtime.options.virtualenv")
    return executable


def run_stack(project_dir: str | Path, stack: str, *, python: str | None = None,
              timeout: float = DEFAULT_TIMEOUT_S) -> ProgramRun:
    """Run the stack's program under mocks in a child process (see :class:`ProgramProcess`)."""
    with ProgramProcess(project_dir, stack, python=python, timeout=timeout) as program:
        return program.wait()


class ProgramProcess:
    """A stack's program running under mocks in a child process.

    Started on entering, so the caller can start the policy packs meanwhile; :meth:`stream`
    yields each resource as the program registers it (so it can be judged while the program
    runs, as the engine does), :meth:`wait` gives the whole run. The program's own stdout and
    stderr go to this process's stderr (file descriptor 2), as ``pulumi preview`` shows them,
    never to our stdout; results come back on a pipe of their own. A program still running
    ``timeout`` seconds after its start is ended with its whole process group, as is one left
    running when the caller fails.
    """

    def __init__(self, project_dir: str | Path, stack: str, *, python: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.project = load_project(project_dir)
        self.stack = stack
        self.config = load_stack_config(self.project, stack)
        self.python = python or program_python(self.project)
        self.timeout = timeout
        self.resources: list[RecordedResource] = []
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._end: dict[str, Any] | None = None
        self._started = 0.0

    def engine_request(self) -> dict[str, Any]:
        """What the mock engine reads on its standard input (with ``result_fd``, the descriptor
        of its results, added by whoever starts it)."""
        return {"project_dir": str(self.project.directory), "main": str(self.project.main),
                "project": self.project.name, "stack": self.stack, "config": self.config.values,
                "secret_keys": sorted(self.config.secret_keys), "packaged": expansion_request()}

    def _spawn(self, command: list[str], *, cwd: Path, env: dict[str, str], result_fd: int) -> Any:
        """The child process: the request on its stdin, its output on our stderr, results on ``result_fd``."""
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=2, cwd=cwd, text=True, pass_fds=(result_fd,),
                                env=env, **child_options())

    def __enter__(self) -> ProgramProcess:
        read_end, write_end = os.pipe()
        request = {**self.engine_request(), "result_fd": write_end}
        command = [self.python, "-c", _BOOTSTRAP, str(GUARD_FILE), str(Path(mock_engine.__file__).resolve())]
        try:
            # No credentials in the program's environment: the allow-list of child_environment.
            self._process = self._spawn(command, cwd=self.project.directory, env=child_env(child_environment()),
                                        result_fd=write_end)
        except OSError as exc:
            os.close(read_end)
            raise ProgramError(f"{self.project.main}: the program could not be started with {command[0]}: "
                               f"{exc.strerror or exc}") from None
        finally:
            os.close(write_end)
        self._started = time.monotonic()
        threading.Thread(target=self._read, args=(read_end,), daemon=True).start()
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request))
            self._process.stdin.close()
        except OSError:  # the child died at once: the stream reports it
            pass
        return self

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, encoding="utf-8") as lines:
            for line in lines:
                self._lines.put(line)
        self._lines.put(None)

    def _remaining(self) -> float:
        return self.timeout - (time.monotonic() - self._started)

    def _timed_out(self) -> ProgramError:
        assert self._process is not None
        kill_group(self._process)
        return ProgramError(f"{self.project.main}: the program did not finish within {self.timeout:g} s and was "
                            "stopped (--timeout SECONDS allows longer)")

    def stream(self) -> Iterator[RecordedResource]:
        """Each resource as the program registers it; then raises ProgramError if it failed."""
        while self._end is None:
            try:
                line = self._lines.get(timeout=max(0.0, self._remaining()))
            except queue.Empty:
                raise self._timed_out() from None
            if line is None:
                break
            try:
                message = json.loads(line)
                if "resource" in message:
                    resource = RecordedResource(**message["resource"])
                else:
                    self._end = dict(message)
                    continue
            except (ValueError, TypeError):
                continue  # not ours: a program that wrote on an inherited descriptor
            self.resources.append(resource)
            yield resource
        if self._end is None:
            assert self._process is not None
            try:
                returncode = self._process.wait(timeout=max(0.0, self._remaining()))
            except subprocess.TimeoutExpired:
                raise self._timed_out() from None
            raise ProgramError(f"{self.project.main}: the program ended without a result (exit status "
                               f"{returncode}); its output is shown above")
        if "error" in self._end:
            raise ProgramError(f"{self.project.main}: the program failed: {self._end['error']}")

    def wait(self) -> ProgramRun:
        """The whole run, once the program has ended (what :meth:`stream` has not yet read included)."""
        for _ in self.stream():
            pass
        return ProgramRun(self.project, self.stack, self.config, list(self.resources))

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                try:
                    self._process.wait(timeout=5 if self._end is not None else 0)
                except subprocess.TimeoutExpired:
                    kill_group(self._process)
            if self._process.stdin is not None and not self._process.stdin.closed:
                self._process.stdin.close()


def default_provider(package: str, run: ProgramRun) -> ProviderRef:
    """The provider the engine would create from stack config (aws:region, aws:defaultTags, ...)."""
    prefix = f"{package}:"
    inputs = {key[len(prefix):]: value for key, value in run.config.values.items() if key.startswith(prefix)}
    urn = f"urn:pulumi:{run.stack}::{run.project.name}::pulumi:providers:{package}::{_DEFAULT_PROVIDER_NAME}"
    return ProviderRef(f"pulumi:providers:{package}", _DEFAULT_PROVIDER_NAME, urn, inputs)


def provider_of(resource: RecordedResource, run: ProgramRun, urns: Mapping[str, RecordedResource]) -> ProviderRef:
    if resource.provider:
        urn = resource.provider.rsplit("::", 1)[0]
        explicit = urns.get(urn)
        if explicit is not None:
            return ProviderRef(explicit.type, explicit.name, explicit.urn, explicit.inputs)
    return default_provider(resource.type.split(":", 1)[0], run)


@dataclass
class Analysis:
    per_resource: dict[str, list[Diagnostic]] = field(default_factory=dict)
    stack: list[Diagnostic] = field(default_factory=list)
    # What policies at the remediate level changed, per URN, in order: (remediation, inputs before it).
    remediations: dict[str, list[tuple[Remediation, dict[str, Any]]]] = field(default_factory=dict)

    # Analyze requests in flight, per URN: the diagnostics known so far and the answer to wait for.
    pending: dict[str, tuple[list[Diagnostic], Callable[[], list[Diagnostic]]]] = field(default_factory=dict)

    def settle(self) -> None:
        """Wait for every Analyze in flight."""
        for urn, (known, answer) in self.pending.items():
            self.per_resource[urn] = known + answer()
        self.pending.clear()

    def all(self) -> list[Diagnostic]:
        return [d for ds in self.per_resource.values() for d in ds] + self.stack

    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.all() if d.mandatory]


def analyze_resource(pack: PolicyPackProcess, resource: RecordedResource, provider: ProviderRef,
                     analysis: Analysis) -> None:
    """As the engine does for one resource: remediated, then analyzed (with its provider) on the
    remediated inputs."""
    inputs = _unsecret(resource.inputs)
    diagnostics: list[Diagnostic] = []
    if pack.remediates:
        for remediation in pack.remediate(resource.type, resource.name, inputs, urn=resource.urn,
                                          provider=provider, parent=resource.parent):
            if remediation.diagnostic:
                # The engine shows a remediation that could not run as an advisory violation.
                diagnostics.append(Diagnostic(remediation.policy, remediation.pack, remediation.diagnostic,
                                              "advisory", resource.urn))
            elif remediation.properties is not None:
                analysis.remediations.setdefault(resource.urn, []).append((remediation, inputs))
                inputs = remediation.properties
    analysis.pending[resource.urn] = (diagnostics, pack.analyze_later(
        resource.type, resource.name, inputs, urn=resource.urn, provider=provider, parent=resource.parent))
    analysis.per_resource.setdefault(resource.urn, [])


def analyze_stack(pack: PolicyPackProcess, run: ProgramRun, analysis: Analysis) -> None:
    """AnalyzeStack once, over every custom resource's stack view (after every Analyze, as the
    engine calls it at the end)."""
    analyze_stack_later(pack, run, analysis)()


def analyze_stack_later(pack: PolicyPackProcess, run: ProgramRun, analysis: Analysis) -> Callable[[], None]:
    """Send AnalyzeStack; calling the result waits for it and sets ``analysis.stack``."""
    analysis.settle()
    urns = run.by_urn()
    answer = pack.analyze_stack_later(
        StackResource(r.type, r.name, r.urn, _stack_view(r, analysis.remediations.get(r.urn)), r.parent,
                      r.dependencies, provider_of(r, run, urns))
        for r in run.custom_resources())

    def settle() -> None:
        analysis.stack = answer()

    return settle


def judged(resource: RecordedResource) -> bool:
    """Whether the engine sends a resource to Analyze: custom resources other than providers."""
    return resource.custom and not resource.type.startswith("pulumi:providers:")


def analyze_run(pack: PolicyPackProcess, run: ProgramRun, resources: Iterable[RecordedResource] | None = None
                ) -> Analysis:
    """As the engine does: each custom resource remediated, then analyzed (with its provider) on
    the remediated inputs; then the stack."""
    urns = run.by_urn()
    analysis = Analysis()
    for resource in resources if resources is not None else run.custom_resources():
        analyze_resource(pack, resource, provider_of(resource, run, urns), analysis)
    analyze_stack(pack, run, analysis)
    return analysis


def _stack_view(resource: RecordedResource, remediations: list[tuple[Remediation, dict[str, Any]]] | None) -> Any:
    """A resource's properties as AnalyzeStack sees them: its outputs, which the provider derives
    from the inputs, so the last remediation's inputs show there too."""
    properties = _unsecret(resource.outputs or resource.inputs)
    return {**properties, **(remediations[-1][0].properties or {})} if remediations else properties


def _unsecret(value: Any) -> Any:
    # Secrets reach policies as plain values (the engine sends them in a secret envelope the
    # SDK unwraps); the recorded marker is dropped here.
    if isinstance(value, Mapping):
        if set(value) == {"__secret"}:
            return _unsecret(value["__secret"])
        return {k: _unsecret(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unsecret(v) for v in value]
    return value
