"""The processes of this machine, read from Linux's /proc, for the tests that check that what
finops starts is gone afterwards (a zombie counts as gone: it has ended, only its exit status is
left to collect)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Process:
    pid: int
    parent: int
    state: str          # R, S, Z ... (the third field of /proc/PID/stat)
    command: str        # the command line, arguments joined by spaces
    environ: bytes      # NUL-separated NAME=value entries; b"" unless asked for


def _stat_fields(text: str) -> list[str]:
    return text[text.rindex(")") + 2:].split()  # after "pid (comm) ", where comm may hold spaces


def processes(with_environ: bool = False) -> Iterator[Process]:
    """Every process still readable as it is listed (one that ends meanwhile is skipped)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields((entry / "stat").read_text())
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (entry / "environ").read_bytes() if with_environ else b""
        except OSError:
            continue
        yield Process(int(entry.name), int(fields[1]), fields[0], command, environ)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (not gone, not a zombie)."""
    try:
        return _stat_fields(Path(f"/proc/{pid}/stat").read_text())[0] != "Z"
    except OSError:
        return False


def still_alive(pids: Iterable[int], within: float = 5.0) -> list[int]:
    """Those of ``pids`` still alive after up to ``within`` seconds (a killed group's members take
    the kernel a moment to go)."""
    deadline = time.monotonic() + within
    left = [pid for pid in pids if alive(pid)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if alive(pid)]
    return left
