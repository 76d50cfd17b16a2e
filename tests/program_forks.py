"""A fork server for the test suite's program runs: one process per pytest worker imports the
Pulumi SDKs once, then forks a child for each program the replay (conftest) runs for real.

A child stands in for ``python -c CODE ARGS...``, the command line the runner gives
``subprocess.Popen``: it gets the same code and arguments, environment, working directory,
standard streams and inherited descriptors (at the same numbers), and a session of its own (so
``kill_group`` ends it and whatever it started); it dies with the server, as the runner's
children die with ``finops``. What it saves is the interpreter's start and the imports of
``pulumi`` and the SDK modules the suite's programs use: a small program's run
took 0.8-1.0 s of CPU as a process of its own, 0.05-0.08 s forked. The runner's own tests
(test_runner_engine, test_child_lifetime ...) do not use the replay and start every process as
``finops`` does.

Protocol, over a Unix packet socket pair: the client sends one JSON request with the child's
descriptors (stdin, stdout, stderr, then each inherited one); the server answers ``{"pid": N}``,
and later ``{"exit": N, "status": S}`` when that child ends.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

# What the suite's programs import (SDKs only: never this library, whose caches and settings
# depend on the environment each child gets); importing one more here costs the server once.
PRELOAD = ("pulumi", "pulumi.runtime", "pulumi_aws",
           "pulumi_aws.autoscaling", "pulumi_aws.budgets", "pulumi_aws.cloudwatch", "pulumi_aws.costexplorer",
           "pulumi_aws.ec2", "pulumi_aws.ecr", "pulumi_aws.ecs", "pulumi_aws.eks", "pulumi_aws.elasticache",
           "pulumi_aws.iam", "pulumi_aws.kms", "pulumi_aws.lb", "pulumi_aws.rds", "pulumi_aws.s3",
           "pulumi_aws.scheduler", "pulumi_aws.sns", "pulumi_kubernetes", "pulumi_kubernetes.core.v1",
           "pulumi_kubernetes.apps.v1", "pulumi_kubernetes.meta.v1")
_MAX_REQUEST = 150_000  # one packet, within a Unix socket's default send buffer
_PR_SET_PDEATHSIG = 1
_HIGH_FD = 1000  # received descriptors are parked here before they move to their numbers


def is_this_python(executable: str) -> bool:
    """Whether ``executable`` is the interpreter running here: the same file, named from the same
    folder (a virtualenv's ``bin/python`` and ``bin/python3`` are one; the base interpreter a
    virtualenv links to is not, its packages being other)."""
    here, there = Path(sys.executable), Path(executable)
    try:
        return here.absolute().parent == there.absolute().parent and here.resolve() == there.resolve()
    except OSError:
        return False


def _child(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become ``python -c CODE ARGS`` as Popen would have started it."""
    import builtins
    import ctypes
    import fcntl
    import signal
    import traceback

    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    parked = [fcntl.fcntl(fd, fcntl.F_DUPFD, _HIGH_FD) for fd in fds]
    for fd in fds:
        os.close(fd)
    for target, fd in zip([0, 1, 2, *request["pass_fds"]], parked, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), line_buffering=True, write_through=True)
    sys.argv = ["-c", *request["args"]]
    status = 0
    try:
        exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__", "__builtins__": builtins})
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        status = 1
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


def serve(channel: socket.socket) -> None:
    """The server's loop: fork a child per request, report each child's end; stop at EOF."""
    for name in PRELOAD:
        __import__(name)
        getattr(sys.modules[name], "__all__", None)  # the SDKs import submodules lazily: this loads one
    channel.setblocking(False)
    children: set[int] = set()

    def answer(message: dict[str, int]) -> None:
        channel.setblocking(True)
        channel.sendall(json.dumps(message).encode() + b"\n")
        channel.setblocking(False)

    while True:
        readable, _, _ = select.select([channel], [], [], 0.02)
        if readable:
            try:
                message, fds, _, _ = socket.recv_fds(channel, _MAX_REQUEST, 16)
            except BlockingIOError:
                message, fds = b"x", []
            if not message:
                return
            if fds:
                pid = os.fork()
                if pid == 0:
                    channel.close()
                    try:
                        _child(json.loads(message), fds)
                    finally:
                        os._exit(70)
                for fd in fds:
                    os.close(fd)
                children.add(pid)
                answer({"pid": pid})
        for pid in list(children):
            ended, status = os.waitpid(pid, os.WNOHANG)
            if ended:
                children.discard(pid)
                answer({"exit": pid, "status": os.waitstatus_to_exitcode(status)})


class ForkedProcess:
    """What the runner uses of a ``subprocess.Popen``, for a child of the server."""

    def __init__(self, server: ForkServer, pid: int, stdin: IO[Any] | None) -> None:
        self.server, self.pid, self.stdin = server, pid, stdin
        self.returncode: int | None = None

    def poll(self) -> int | None:
        self.returncode = self.server.exit_status(self.pid, timeout=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        status = self.server.exit_status(self.pid, timeout=timeout)
        if status is None:
            raise subprocess.TimeoutExpired(f"forked child {self.pid}", timeout or 0)
        self.returncode = status
        return status

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, 9)


class ForkServer:
    """The client side: starts the server (a process of its own session) on first use."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: socket.socket | None = None
        self._lock = threading.Lock()
        self._ended: dict[int, int] = {}
        self._pids: list[int] = []
        self._closed = False
        self._changed = threading.Condition()

    def prepare(self) -> None:
        """Start the server now, so its imports overlap the tests that run before it is needed."""
        with self._lock:
            if self._channel is None:
                self._start()

    def _start(self) -> socket.socket:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        code = (f"import socket, runpy; runpy.run_path({str(Path(__file__).resolve())!r})['serve']"
                f"(socket.socket(fileno={theirs.fileno()}))")
        self._process = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),),
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self._channel = ours
        threading.Thread(target=self._read, args=(ours.makefile("rb"),), daemon=True).start()
        return ours

    def _read(self, lines: Any) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in lines:
                message = json.loads(line)
                with self._changed:
                    if "exit" in message:
                        self._ended[message["exit"]] = message["status"]
                    else:
                        self._pids.append(message["pid"])
                    self._changed.notify_all()
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def popen(self, command: list[str], *, cwd: str | Path, env: dict[str, str], stdin: Any = None,
              stdout: int | None = None, stderr: int | None = None, text: bool = False,
              pass_fds: tuple[int, ...] = ()) -> ForkedProcess | None:
        """A child for ``[sys.executable, "-c", CODE, ARGS...]``, as ``subprocess.Popen`` would
        start it (stdin: PIPE, a descriptor, or None for ours; stdout and stderr: a descriptor, or
        None for ours); None where the server cannot take it (another command or Python, a request
        too large, a server gone): the caller then starts the process itself."""
        if len(command) < 3 or command[1] != "-c" or not is_this_python(command[0]):
            return None
        request = {"code": command[2], "args": command[3:], "cwd": str(cwd), "env": dict(env),
                   "pass_fds": list(pass_fds)}
        message = json.dumps(request).encode()
        if len(message) > _MAX_REQUEST:
            return None
        ours: IO[Any] | None = None
        if stdin == subprocess.PIPE:
            child_end, our_end = os.pipe()
            ours = os.fdopen(our_end, "w" if text else "wb")
        else:
            child_end = os.dup(0 if stdin is None else stdin)
        theirs = [child_end, *(os.dup(which if spec is None else spec) for which, spec in ((1, stdout), (2, stderr))),
                  *(os.dup(fd) for fd in pass_fds)]
        try:
            with self._lock:
                if self._closed:
                    raise OSError("the fork server is gone")
                self._pids = []
                socket.send_fds(self._channel or self._start(), [message], theirs)
                with self._changed:
                    self._changed.wait_for(lambda: self._pids or self._closed, timeout=60)
                    if not self._pids:
                        raise OSError("the fork server did not answer")
                    pid = self._pids.pop(0)
        except OSError:
            if ours is not None:
                ours.close()
            return None
        finally:
            for fd in theirs:
                os.close(fd)
        return ForkedProcess(self, pid, ours)

    def exit_status(self, pid: int, timeout: float | None) -> int | None:
        """The child's exit status, once it has ended (-9 if the server went first: its children
        die with it); None if it is still running after ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._ended or self._closed, timeout=timeout)
            return self._ended.get(pid, -9 if self._closed else None)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, 9)
            self._process.wait()
            self._process = None
