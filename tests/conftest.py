"""Shared fixtures: the policy pack running as the engine runs it, well-formed tags, and each
program of the repository run once per test session.

Running a stack's program under mocks takes seconds (the dev platform: about 2.5 s, most of it
importing pulumi_aws in a fresh process). The repository's programs (the platform and the
fixtures under tests/) rarely change, so a test that asks for :func:`program_replay` gets each
run once per program key: a content hash of the project (subfolders and stack files included),
of the library's source and data, and the environment it reads (:func:`program_key`). A
repository program's run is shared by all pytest-xdist workers (a pickled run under a file lock
in the session's shared temporary folder); every caller gets a copy. :func:`run_cli` runs the
``finops`` command in this process, so under the replay its previews and reports share those
runs too; the command's behaviour (exit code, stdout, stderr, no traceback) is what the tests
see, as from a subprocess. The runs the replay makes for real are children of a fork server
that imported the Pulumi SDKs once per worker (tests/program_forks.py: a small program's run
takes 0.05-0.08 s of CPU forked, 0.8-1.0 s as a process of its own); test_replay.py shows a
forked run registers what the runner's own run does. Tests that do not ask for the replay (the
runner's own, among them) start every program as ``finops`` does.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import fcntl
import functools
import gc
import hashlib
import io
import json
import os
import pickle
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from finops_preview.analyzer import Diagnostic, PolicyPackProcess, ProviderRef
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase
from program_forks import ForkServer, is_this_python

ROOT = Path(__file__).resolve().parents[1]
PACK_DIR = ROOT / "policy_pack"

# Hypothesis: the property and fuzz tests draw the same examples on every run (derandomized, no
# example database) so that `make test` and CI never fail at random on a good change. `make fuzz`
# (HYPOTHESIS_PROFILE=fuzz) searches afresh, FUZZ_SCALE times as many examples, and keeps what it
# finds in .hypothesis/; each input it finds becomes an explicit @example in the test.
_PROFILE = "ci" if os.environ.get("CI") == "true" else os.environ.get("HYPOTHESIS_PROFILE", "ci")
FUZZ_SCALE = 20
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("fuzz", database=DirectoryBasedExampleDatabase(str(ROOT / ".hypothesis" / "examples")),
                          print_blob=True)
settings.load_profile(_PROFILE)


def examples(count: int) -> int:
    """``max_examples`` for a property test: ``count`` in CI, FUZZ_SCALE times more under `make fuzz`."""
    return count * FUZZ_SCALE if _PROFILE == "fuzz" else count


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

VALID_TAGS = {
    "Project": "ai-agent-security-platform",
    "Environment": "dev",
    "Team": "backend",
    "Service": "ssa",
    "Owner": "jdoe",
    "CostCenter": "engineering",
    "Phase": "mvp",
}


def tags(**changes: str | None) -> dict[str, str]:
    """Valid tags with some values changed (None removes the tag)."""
    result = dict(VALID_TAGS)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def labels(**changes: str | None) -> dict[str, str]:
    names = {"Project": "project", "Environment": "environment", "Team": "team", "Service": "service",
             "Owner": "owner", "CostCenter": "cost-center", "Phase": "phase"}
    return {names[k]: v for k, v in tags(**changes).items()}


@pytest.fixture(scope="session")
def pack() -> Iterator[PolicyPackProcess]:
    """The policy pack, started once as the CLI starts it, for a stack named dev."""
    with PolicyPackProcess(PACK_DIR, stack="dev", project="ai-agent-security-platform") as process:
        process.handshake()
        yield process


Analyze = Callable[..., list[Diagnostic]]


@pytest.fixture
def analyze(pack: PolicyPackProcess) -> Iterator[Analyze]:
    """Analyze one resource with the default policy config (restored after each test)."""
    pack.configure({})

    def run(resource_type: str, props: dict[str, Any], name: str = "subject",
            provider: ProviderRef | None = None, with_advice: bool = False) -> list[Diagnostic]:
        # Advice (advisory, e.g. "t3 has a Graviton twin") has tests of its own; the guardrail
        # tests look at everything else.
        found = pack.analyze(resource_type, name, props, provider=provider)
        return [d for d in found if with_advice or not d.policy.startswith("finops-advice-")]

    yield run
    pack.configure({})


def mandatory(diagnostics: list[Diagnostic], policy: str | None = None) -> list[Diagnostic]:
    return [d for d in diagnostics if d.mandatory and (policy is None or d.policy == policy)]


PROJECT = "ai-agent-security-platform"
BASE_CONFIG = {"aws:region": "eu-west-1", f"{PROJECT}:owner": "jdoe"}


@pytest.fixture
def mock_stack() -> Callable[..., Any]:
    """Run a small program in-process under Pulumi's mocks for a stack; returns its resources."""
    from finops_preview.mock_engine import MockSession

    def run(program: Callable[[], object], stack: str = "dev", **config: str) -> list[Any]:
        values = {**BASE_CONFIG, **{f"{PROJECT}:{k}": v for k, v in config.items()}}
        session = MockSession(PROJECT, stack, values)
        return session.run(program)

    return run


def run_in(project: str, program: Callable[[], object], stack: str = "dev", **config: str) -> list[Any]:
    """Run ``program`` in-process under Pulumi's mocks as project ``project`` (config keys without a
    namespace are the project's); returns what it registered."""
    from finops_preview.mock_engine import MockSession

    values = {"aws:region": "eu-west-1", f"{project}:owner": "jdoe",
              **{k if ":" in k else f"{project}:{k}": v for k, v in config.items()}}
    return MockSession(project, stack, values).run(program)


def named(resources: list[Any], name: str) -> Any:
    """The resource called ``name``; a component's main child shares its name, so customs first."""
    return sorted((r for r in resources if r.name == name), key=lambda r: not r.custom)[0]


def budgets_of(resources: list[Any]) -> dict[str, Any]:
    """The AWS budgets registered, by budget name."""
    return {r.inputs["name"]: r.inputs for r in resources if r.type == "aws:budgets/budget:Budget"}


# -- program runs replayed within a session (a fixture a test asks for) ---------------------------

PLATFORM_STACKS = ("dev", "staging", "prod")
# What a program run reads besides its project: the library (source and data).
LIBRARY_DIRS = tuple(ROOT / d for d in ("core", "components", "policy_pack", "preview"))
_SKIPPED_DIRS = {".venv", "venv", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache",
                 "node_modules"}
# A project with more files than this (a virtualenv of another name, say) is not replayed.
_MOST_FILES = 2000


def _child_variables() -> tuple[tuple[str, str], ...]:
    """The environment a program or pack gets from ``finops`` (child_environment's allow-list: no
    ``AWS_*`` or ``PULUMI_*`` of ours reaches it), as part of a cache key. A test's local AWS
    endpoint changes what the CLI reads, not what a program registers."""
    from finops_preview.child_environment import child_environment

    return tuple(sorted(child_environment().items()))


class _Digests:
    """Content hashes of folders (every file's name and bytes, subfolders included), recomputed
    only when a file's size or modification time changed (a stat of each file is cheap; reading
    the repository is not)."""

    def __init__(self) -> None:
        self.known: dict[tuple[Any, ...], str] = {}
        self.guard = threading.Lock()

    def of(self, folder: Path) -> str | None:
        files: list[Path] = []
        for root, folders, names in os.walk(folder):
            folders[:] = sorted(f for f in folders if f not in _SKIPPED_DIRS)
            files += (Path(root) / name for name in sorted(names))
            if len(files) > _MOST_FILES:
                return None
        stats = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        with self.guard:
            known = self.known.get(stats)
        if known is None:
            digest = hashlib.sha256()
            for path in files:
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
            known = digest.hexdigest()
            with self.guard:
                self.known[stats] = known
        return known


_DIGESTS = _Digests()


def pytest_configure(config: pytest.Config) -> None:
    # At exit, after every other handler (they run last-registered first), the interpreter would
    # run one more full collection over everything a test process loaded (pulumi_aws, moto,
    # botocore ...): 0.7-1.7 s per worker at the end of the suite, freeing what the exit frees.
    atexit.register(gc.freeze)


_FROZEN_FOR: list[Any] = [None]


def pytest_runtest_setup(item: pytest.Item) -> None:
    # What is loaded when a test module starts (pulumi_aws's modules, moto's backends, the library's
    # tables ...) mostly lives as long as the process: moved out of the collector's reach, it is no
    # longer walked by every full collection (several seconds per worker over the suite).
    module = getattr(item, "module", None)
    if module is not _FROZEN_FOR[0]:
        _FROZEN_FOR[0] = module
        gc.freeze()


def program_key(directory: Path, stack: str, python: str = "") -> tuple[Any, ...] | None:
    """What a program run depends on: the project's files (its subfolders and stack files included),
    the library's source and data, the stack, the environment it reads and the Python; None for a
    project too large to hash (it is not replayed)."""
    project = _DIGESTS.of(directory)
    if project is None:
        return None
    library = tuple(_DIGESTS.of(folder) for folder in LIBRARY_DIRS)
    return (project, library, stack, _child_variables(), python)


class _SharedRuns:
    """Each repository program's run, once per program key for all pytest-xdist workers.

    The first worker to need a run takes its lock (a file under the session's temporary folder,
    which every worker shares), runs the program and pickles the run; the others wait on the
    lock and read it. A run that failed is not kept, so the next caller sees it fail anew."""

    def __init__(self, folder: Path, run_stack: Callable[..., Any]) -> None:
        self.folder = folder
        self.run_stack = run_stack
        self.memo: dict[tuple[Any, ...], Any] = {}
        self.guard = threading.Lock()

    def run(self, directory: Path, stack: str, key: tuple[Any, ...]) -> Any:
        key = (str(directory), *key)
        with self.guard:
            known = self.memo.get(key)
        if known is None:
            name = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
            data = self.folder / f"run-{name}.pickle"
            with open(self.folder / f"run-{name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if data.exists():
                    known = pickle.loads(data.read_bytes())
                else:
                    known = self.run_stack(directory, stack)
                    scratch = data.with_suffix(f".{os.getpid()}")
                    scratch.write_bytes(pickle.dumps(known))
                    scratch.replace(data)
            with self.guard:
                self.memo[key] = known
        return copy.deepcopy(known)


def _shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    # Under pytest-xdist each worker's base is a folder of the session's own, which all share.
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "shared-program-runs"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory: pytest.TempPathFactory, program_forks: ForkServer) -> _SharedRuns:
    forked = _forked_program_class(program_forks)

    def run_stack(project_dir: str | Path, stack: str, **options: Any) -> Any:
        with forked(project_dir, stack, **options) as program:
            return program.wait()

    return _SharedRuns(_shared_folder(tmp_path_factory), run_stack)


def _modules_holding(value: object) -> list[Any]:
    """The finops_preview modules that imported ``value`` under its own name (to patch it there)."""
    import importlib
    import pkgutil

    import finops_preview

    # Every module of the package: the CLI imports a command's modules only when it runs, so a
    # module not yet imported here would keep the real class and run every program afresh. A
    # module that fails to import fails its own tests only.
    for module in pkgutil.walk_packages(finops_preview.__path__, "finops_preview."):
        if module.name not in sys.modules and not module.name.endswith("__main__"):
            with contextlib.suppress(ImportError):
                importlib.import_module(module.name)
    name = getattr(value, "__name__", "")
    return [m for key, m in list(sys.modules.items()) if key.startswith("finops_preview")
            and getattr(m, name, None) is value]


@pytest.fixture(scope="session")
def shared_program_runs(shared_runs: _SharedRuns) -> Iterator[Callable[..., Any]]:
    """``run_stack`` that runs each repository program once per program key (see
    :func:`program_key`) for the whole session; programs outside the repository run afresh (forked,
    as the replay's own runs are)."""
    # The platform's three stacks are each other's likeliest next request (the preview, report
    # and reference platform tests use all three): the first request starts all three at once,
    # each in its own process, so two cores run them side by side.
    pool = ThreadPoolExecutor(max_workers=len(PLATFORM_STACKS))
    started: dict[tuple[Any, ...], Future[Any]] = {}

    def run_stack(project_dir: str | Path, stack: str, **options: Any) -> Any:
        directory = Path(project_dir).resolve()
        key = program_key(directory, stack) if directory.is_relative_to(ROOT) else None
        if options.get("python") is not None or key is None:
            # Not shared: run here, forked where it is a program of this Python (as the runner would).
            return shared_runs.run_stack(project_dir, stack, **options)
        wanted = PLATFORM_STACKS if directory == ROOT and stack in PLATFORM_STACKS else (stack,)
        for name in wanted:
            other = program_key(directory, name)  # a timeout changes nothing in a run that finished
            if other is not None and other not in started:
                started[other] = pool.submit(shared_runs.run, directory, name, other)
        try:
            return started[key].result()
        except BaseException:
            del started[key]  # a failed run is not kept: the next caller sees it fail anew
            raise

    yield run_stack
    pool.shutdown(wait=True, cancel_futures=True)


class _KeptPack:
    """A started pack handed to one preview; the preview's exit leaves it running for the next."""

    def __init__(self, process: PolicyPackProcess) -> None:
        self.process = process

    def __enter__(self) -> PolicyPackProcess:
        return self.process

    def __exit__(self, *_: object) -> None:
        return None


# ``shared_packs``: ``with shared_packs(PACK_DIR, stack=..., project=...) as pack`` in place of
# ``with PolicyPackProcess(...) as pack`` for a pack used within the block only (then handshake).
KeptPacks = Callable[..., "_KeptPack"]

# What a preview tells its pack in ConfigureStack, which the pack takes as the stack it judges
# (finops_policies/stack_context.py): a kept pack serves any of them.
_STACK_OPTIONS = ("stack", "project", "organization", "dry_run", "config")


@pytest.fixture(scope="session")
def shared_packs() -> Iterator[Callable[..., _KeptPack]]:
    """Pack processes kept for later previews with the same directory, Python and environment.
    Each preview configures its pack afresh, as the engine does: ConfigureStack names its stack,
    project and config, which the pack takes as its own, and Configure its policy config; the pack
    reads waivers and budgets anew (test_replay.py shows both). All stopped when the session ends."""
    from collections import OrderedDict

    kept: OrderedDict[tuple[Any, ...], PolicyPackProcess] = OrderedDict()

    def started(pack_dir: str | Path, **options: Any) -> _KeptPack:
        variables = _child_variables()
        process_options = {k: v for k, v in options.items() if k not in _STACK_OPTIONS}
        key = (str(Path(pack_dir).resolve()), json.dumps(process_options, sort_keys=True, default=str), variables)
        process = kept.pop(key, None)
        if process is None or process._process is None or process._process.poll() is not None:
            process = PolicyPackProcess(pack_dir, **options).start()
        else:
            fresh = PolicyPackProcess(pack_dir, **options)  # this preview's stack, for its handshake
            for name in _STACK_OPTIONS:
                setattr(process, name, getattr(fresh, name))
        kept[key] = process
        while len(kept) > 6:
            kept.popitem(last=False)[1].close()
        return _KeptPack(process)

    try:
        yield started
    finally:
        for process in kept.values():
            process.close()


@pytest.fixture(scope="session")
def program_forks() -> Iterator[ForkServer]:
    """The worker's fork server for the programs the replay runs for real (tests/program_forks.py),
    stopped with the session."""
    server = ForkServer()
    server.prepare()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def program_replay(shared_program_runs: Callable[..., Any], shared_runs: _SharedRuns,
                   shared_packs: Callable[..., _KeptPack], program_forks: ForkServer) -> Iterator[None]:
    """For the tests of a module that asks for it (``pytestmark``; module-scoped, so the module's
    own module-scoped fixtures get it too): ``finops`` commands run in this process replay program
    runs of the same program key (see :func:`program_key`) and reuse started pack processes. Tests
    that do not ask for it run every program and pack for real."""
    import finops_preview.runner as runner

    patches = [(m, "run_stack", shared_program_runs) for m in _modules_holding(runner.run_stack)]
    patches += [(m, "ProgramProcess", _replayed_program_class(shared_runs, program_forks))
                for m in _modules_holding(runner.ProgramProcess) if m is not runner]
    # Where a preview starts its packs (the analyzer defines the class; the runner only names it).
    patches += [(m, "PolicyPackProcess", shared_packs) for m in _modules_holding(PolicyPackProcess)
                if m.__name__ not in ("finops_preview.analyzer", runner.__name__)]
    with pytest.MonkeyPatch.context() as patch:
        for module, name, value in patches:
            patch.setattr(module, name, value)
        yield


_REPLAYS: dict[tuple[Any, ...], list[Any]] = {}


def _forked(env: Mapping[str, str]) -> dict[str, str]:
    """A child's environment for the fork server: it dies with the server, so it is not told
    finops' pid to check against its parent's (child_lifetime)."""
    from finops_preview.child_lifetime import PARENT_ENV

    return {k: v for k, v in env.items() if k != PARENT_ENV}


def _forked_program_class(forks: ForkServer) -> type:
    """ProgramProcess whose process, for a program of this Python, is a child of the worker's
    fork server (tests/program_forks.py): the same command line, request, environment, working
    directory, descriptors and session, with the SDKs already imported (a small program's run:
    0.8-1.0 s of CPU as a process of its own, 0.05-0.08 s forked). A program with a virtualenv
    of its own is started as the runner starts it."""
    from finops_preview.runner import ProgramProcess

    class ForkedProgram(ProgramProcess):
        def _spawn(self, command: list[str], *, cwd: Path, env: dict[str, str], result_fd: int) -> Any:
            return forks.popen(command, cwd=cwd, env=_forked(env), stdin=subprocess.PIPE, stdout=2, text=True,
                               pass_fds=(result_fd,)) or super()._spawn(command, cwd=cwd, env=env, result_fd=result_fd)

    return ForkedProgram


def _replayed_program_class(shared_runs: _SharedRuns, forks: ForkServer) -> type:
    """ProgramProcess that replays a run to later previews of the same program key: a repository
    program's run comes from the session's shared runs (one for every worker); another project's
    is run here once (a run that failed or timed out, or that holds its folder's path, is not
    kept). Tests of the runner itself do not ask for the replay and see real runs."""
    runs = _REPLAYS

    class ReplayedProgram(_forked_program_class(forks)):  # type: ignore[misc]
        def __enter__(self) -> ReplayedProgram:
            directory = Path(self.project.directory).resolve()
            # The Python this process runs is the key's default (shared_program_runs' runs use it too).
            self._key = program_key(directory, self.stack, "" if is_this_python(self.python) else self.python)
            self._location = str(directory)
            if self._key is not None and self._key not in runs and directory.is_relative_to(ROOT):
                with contextlib.suppress(Exception):  # a failing program fails below, as it runs
                    runs[self._key] = shared_runs.run(directory, self.stack, self._key).resources
            self._replay: list[Any] | None = copy.deepcopy(runs[self._key]) if self._key in runs else None
            return self if self._replay is not None else super().__enter__()  # type: ignore[return-value]

        def stream(self) -> Iterator[Any]:
            if self._replay is not None:
                replay, self._replay = self._replay, []
                for resource in replay:
                    self.resources.append(resource)
                    yield resource
                return
            yield from super().stream()
            # A run that holds its folder's path (a program that wrote its location into an
            # input) is not another folder's run.
            if self._key is not None and \
                    self._location not in json.dumps([asdict(r) for r in self.resources], default=str):
                runs[self._key] = copy.deepcopy(self.resources)

        def __exit__(self, *exc: object) -> None:
            if self._replay is None:
                super().__exit__(*exc)

    return ReplayedProgram


def run_cli(*args: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m finops_preview ARGS`` run in this process (programs shared per session).

    Returns what the process would have: the exit code, stdout and stderr; an exception the
    command lets escape is printed as a traceback with exit code 1, as Python would."""
    from finops_preview.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    try:
        os.environ.update(env or {})
        os.chdir(cwd)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
            except Exception:
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["finops", *args], code, out.getvalue(), err.getvalue())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@functools.cache  # once per test process, on its first moto server
def _share_botocore_loaders() -> None:
    """One botocore Loader per data path for the whole test process. Each ``finops`` command the
    tests run in this process (and moto, which answers in this process too) makes new boto3
    sessions, and each new session parsed the service models again (EC2's alone is megabytes of
    JSON: 1.3 s of test_utilization's 8.7 s). The models are read-only files, so sharing the
    loader changes no answer; a command run as its own process parses them once anyway."""
    try:
        import botocore.loaders
        import botocore.session
    except ImportError:
        return
    original = botocore.loaders.create_loader
    loaders: dict[str | None, Any] = {}

    def create_loader(search_path_string: str | None = None) -> Any:
        if search_path_string not in loaders:
            loaders[search_path_string] = original(search_path_string)
        return loaders[search_path_string]

    botocore.session.create_loader = create_loader  # type: ignore[attr-defined]


@contextlib.contextmanager
def moto_running() -> Iterator[str]:
    """A local moto server on a free loopback port, for a fixture of any scope; its URL."""
    server_module = pytest.importorskip("moto.server")
    _share_botocore_loaders()
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_server() -> Iterator[str]:
    """A local moto server (Cost Explorer, SNS ...) on a free loopback port; its URL."""
    with moto_running() as url:
        yield url
