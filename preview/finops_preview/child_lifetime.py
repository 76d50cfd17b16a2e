"""Child processes (the program under mocks, the policy packs) never outlive ``finops``.

Every exit path that runs code -- success, an error, Ctrl-C, SIGTERM, a timeout -- ends each
child together with what it started: a child leads its own process group, and the whole group
is killed. A ``finops`` killed outright (SIGKILL, as CI runners and the OOM killer do) runs no
code at all, so on Linux each child also asks the kernel to send it SIGKILL when its parent
dies (``prctl(PR_SET_PDEATHSIG)``), set between fork and exec.

The kernel ties that signal to the *thread* that forked, not the process: a child started from
a short-lived thread would be killed when the thread ends. So it is asked for only when the
child is started from the main thread (all of ``finops``'s are); others rely on the group kill.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
# Loaded in the parent: between fork and exec the child should do as little as possible.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with(parent: int) -> Callable[[], None]:
    def preexec() -> None:
        assert _LIBC is not None
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def child_options() -> dict[str, Any]:
    """Keyword arguments for :class:`subprocess.Popen`: the child leads a new process group
    (:func:`kill_group` ends it with all it started) and, on Linux, dies with this process."""
    options: dict[str, Any] = {"start_new_session": True}
    if _LIBC is not None and threading.current_thread() is threading.main_thread():
        options["preexec_fn"] = _die_with(os.getpid())
    return options


def kill_group(process: subprocess.Popen[Any]) -> None:
    """End ``process`` and every process of its group (started with :func:`child_options`)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()
