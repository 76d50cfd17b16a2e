"""A fork server for the test suite's program runs: one process per pytest worker imports the
Pulumi SDKs once, then forks a child for each program the replay (conftest) must run for real.

Each child is the same run ``finops preview`` starts (the offline AWS guard, then the mock engine
on its JSON request, results on a descriptor of their own, the program's output on the caller's
standard error), in a session of its own (so the runner's ``kill_group`` ends it and whatever it
started), with the environment and working directory the runner would give it. What it saves is
each program's ``import pulumi`` and the SDK modules every program here imports: about half of a
small program's run. The runner's own tests (test_runner_engine, test_child_lifetime ...) do not
use the replay and start every program as ``finops`` does.

Protocol, over a Unix socket pair: the client sends one JSON request with two descriptors (the
caller's standard error and the write end of the result pipe); the server answers
``{"pid": N}``, and later ``{"exit": N, "status": S}`` when that child ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

# The SDK modules the suite's programs import (the reference platform, the templates, the
# fixtures); importing one more here costs the server once, not each program.
PRELOAD = ("pulumi", "pulumi.runtime", "pulumi_aws", "pulumi_aws.autoscaling", "pulumi_aws.budgets",
           "pulumi_aws.cloudwatch", "pulumi_aws.costexplorer", "pulumi_aws.ec2", "pulumi_aws.ecr", "pulumi_aws.ecs",
           "pulumi_aws.eks", "pulumi_aws.elasticache", "pulumi_aws.iam", "pulumi_aws.kms", "pulumi_aws.lb",
           "pulumi_aws.rds", "pulumi_aws.s3", "pulumi_aws.scheduler", "pulumi_aws.sns", "pulumi_kubernetes",
           "pulumi_kubernetes.core.v1", "pulumi_kubernetes.apps.v1", "pulumi_kubernetes.meta.v1")
_MAX_MESSAGE = 1 << 20
_MAX_REQUEST = 150_000  # within a Unix socket's default send buffer
_PR_SET_PDEATHSIG = 1


def _child(request: dict[str, Any], output: int, results: int) -> None:
    """In the forked child: become the run ``finops`` would have started, then run it."""
    import ctypes
    import io
    import runpy
    import signal

    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(null)
    os.close(output)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.stdin = io.StringIO(json.dumps({**request["engine_request"], "result_fd": results}))
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", buffering=0), write_through=True)
    sys.argv = [request["engine"]]
    runpy.run_path(request["guard"])["install"]()
    runpy.run_path(request["engine"], run_name="finops_mock_engine")  # ends the process itself
    os._exit(0)


def serve(channel: socket.socket) -> None:
    """The server's loop: fork a child per request, report each child's end; stop at EOF."""
    for name in PRELOAD:
        __import__(name)
        getattr(sys.modules[name], "__all__", None)  # the SDKs import submodules lazily: this loads one
    channel.setblocking(False)
    children: set[int] = set()
    while True:
        readable, _, _ = select.select([channel], [], [], 0.02)
        if readable:
            try:
                message, fds, _, _ = socket.recv_fds(channel, _MAX_MESSAGE, 2)
            except BlockingIOError:
                message, fds = b"", []
            if not message:
                return
            pid = os.fork()
            if pid == 0:
                channel.close()
                try:
                    _child(json.loads(message), fds[0], fds[1])
                finally:
                    os._exit(70)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            channel.setblocking(True)
            channel.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            channel.setblocking(False)
        for pid in list(children):
            ended, status = os.waitpid(pid, os.WNOHANG)
            if ended:
                children.discard(pid)
                channel.setblocking(True)
                channel.sendall(json.dumps({"exit": pid, "status": os.waitstatus_to_exitcode(status)}).encode()
                                + b"\n")
                channel.setblocking(False)


class ForkedProgram:
    """What the runner uses of a ``subprocess.Popen`` for a child of the fork server."""

    def __init__(self, server: ProgramForkServer, pid: int) -> None:
        self.server, self.pid = server, pid
        self.stdin = None
        self.returncode: int | None = None

    def poll(self) -> int | None:
        self.returncode = self.server.exit_status(self.pid, timeout=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        status = self.server.exit_status(self.pid, timeout=timeout)
        if status is None:
            raise subprocess.TimeoutExpired(f"program {self.pid}", timeout or 0)
        self.returncode = status
        return status

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, 9)


class ProgramForkServer:
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
        # Packets keep each request whole (the packaged-component table makes it tens of kB).
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        code = (f"import socket, runpy; runpy.run_path({str(Path(__file__).resolve())!r})['serve']"
                f"(socket.socket(fileno={theirs.fileno()}))")
        self._process = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),),
                                         start_new_session=True)
        theirs.close()
        self._channel = ours
        threading.Thread(target=self._read, args=(ours.makefile("rb"),), daemon=True).start()
        return ours

    def _read(self, lines: Any) -> None:
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

    def start(self, engine_request: dict[str, Any], *, cwd: str, env: dict[str, str], guard: str, engine: str,
              results: int) -> ForkedProgram | None:
        """A child running ``engine_request``; None where the server cannot take it (a request too
        large for one packet, a server that is gone): the caller then starts the run itself."""
        request = {"engine_request": engine_request, "cwd": cwd, "env": env, "guard": guard, "engine": engine}
        message = json.dumps(request).encode()
        if len(message) > _MAX_REQUEST:
            return None
        with self._lock:
            if self._closed:
                return None
            self._pids = []
            output = os.dup(2)  # the caller's standard error, as the runner gives its programs
            try:
                socket.send_fds(self._channel or self._start(), [message], [output, results])
            except OSError:
                return None
            finally:
                os.close(output)
            with self._changed:
                self._changed.wait_for(lambda: self._pids or self._closed, timeout=60)
                return ForkedProgram(self, self._pids.pop(0)) if self._pids else None

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
