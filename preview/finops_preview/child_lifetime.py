"""Child processes (the program under mocks, the policy packs) never outlive ``finops``.

Every exit path that runs code -- success, an error, Ctrl-C, SIGTERM, a timeout -- ends each
child together with what it started: a child leads its own process group, and the whole group
is killed. A ``finops`` killed outright (SIGKILL, as CI runners and the OOM killer do) runs no
code at all, so on Linux each child also asks the kernel to send it SIGKILL when its parent
dies (``prctl(PR_SET_PDEATHSIG)``).

The child asks that itself, first thing (:data:`DIE_WITH_PARENT`, Python run before its own
code), not in a ``preexec_fn`` between fork and exec: that runs Python in a forked copy of a
process whose gRPC threads hold locks, and could hang the child. It is told its parent's pid
(``$FINOPS_PARENT_PID``) so that a parent already gone by then is noticed. The kernel ties the
signal to the *thread* that forked: a child started from a short-lived thread would die with
that thread, so only children started from the main thread (all of ``finops``'s) ask for it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Mapping
from typing import Any

PARENT_ENV = "FINOPS_PARENT_PID"

# Standard library only: it also runs under a program's own virtualenv.
DIE_WITH_PARENT = (
    "import os as _o, signal as _s, sys as _y\n"
    f"_p = _o.environ.pop({PARENT_ENV!r}, '')\n"
    "if _p and _y.platform.startswith('linux'):\n"
    "    import ctypes as _c\n"
    "    _c.CDLL(None, use_errno=True).prctl(1, _s.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG\n"
    "    if _o.getppid() != int(_p):\n"
    "        _o._exit(1)  # the parent died before the request took effect\n"
)


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a child (``env``, else this process's) that asks to die with it."""
    result = dict(os.environ if env is None else env)
    if threading.current_thread() is threading.main_thread():
        result[PARENT_ENV] = str(os.getpid())
    return result


def child_options() -> dict[str, Any]:
    """Keyword arguments for :class:`subprocess.Popen`: the child leads a new process group,
    which :func:`kill_group` ends with all it started."""
    return {"start_new_session": True}


def kill_group(process: subprocess.Popen[Any]) -> None:
    """End ``process`` and every process of its group (started with :func:`child_options`)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
    process.wait()
