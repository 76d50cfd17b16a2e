"""No child of ``finops preview`` outlives it, even when it is killed with SIGKILL (as CI runners
and the OOM killer do): the program under mocks and the policy pack die with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from proc_table import alive, processes, still_alive


def _children(pid: int) -> dict[int, str]:
    """The live processes whose parent is ``pid``: pid -> command line."""
    return {p.pid: p.command for p in processes() if p.parent == pid and p.state != "Z"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's")
def test_sigkill_of_a_running_preview_leaves_no_child(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nstackConfigDir: stacks\n", encoding="utf-8")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n", encoding="utf-8")
    (tmp_path / "__main__.py").write_text("import time\ntime.sleep(120)\n", encoding="utf-8")  # still running
    finops = subprocess.Popen([sys.executable, "-m", "finops_preview", "preview", "-s", "dev", "-C", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        children: dict[int, str] = {}
        while time.monotonic() < deadline:  # until both the program and the pack are running
            children = _children(finops.pid)
            if any("mock_engine" in c for c in children.values()) and any("pulumi.policy" in c
                                                                          for c in children.values()):
                break
            assert finops.poll() is None, "finops ended before it was killed"
            time.sleep(0.1)
        assert any("mock_engine" in c for c in children.values()), children
        os.kill(finops.pid, signal.SIGKILL)
        finops.wait()
        left = {pid: children[pid] for pid in still_alive(children, within=2)}
        assert not left, f"children left 2 s after SIGKILL of finops: {left}"
    finally:
        if finops.poll() is None:
            finops.kill()
        for pid in children:  # whatever the test found, it leaves nothing behind itself
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
