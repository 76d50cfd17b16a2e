"""Report files and --output never write through a symbolic link planted in their place: --output
follows one only into a directory the user owns, --report FORMAT=FILE refuses one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import run_cli

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)


def test_output_follows_a_link_into_a_directory_the_user_owns(tmp_path: Path) -> None:
    target, link = tmp_path / "reports" / "dev.json", tmp_path / "latest.json"
    target.parent.mkdir()
    link.symlink_to(target)   # dangling until the report is written
    completed = run_cli("preview", "-s", "dev", "--json", "--output", str(link))
    assert completed.returncode == 0, completed.stderr
    assert link.is_symlink() and json.loads(target.read_text())["summary"]["mandatory"] == 0


def test_output_refuses_a_link_into_someone_else_s_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target, link = tmp_path / "theirs.json", tmp_path / "latest.json"
    target.write_text("theirs\n")
    link.symlink_to(target)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(tmp_path).st_uid + 1)   # the directory is not ours
    completed = run_cli("preview", "-s", "dev", "--json", "--output", str(link))
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    assert f"--output: found '{link}'; expected a link into a directory you own (it points to {target}" in (
        completed.stderr)
    assert target.read_text() == "theirs\n"


def test_report_files_never_follow_a_link(tmp_path: Path) -> None:
    target, link = tmp_path / "real.md", tmp_path / "report.md"
    target.write_text("old\n")
    link.symlink_to(target)
    completed = run_cli("preview", "-s", "dev", "--report", f"markdown={link}")
    assert completed.returncode == 2
    assert f"--report: found '{link}'; expected a path that is not a symbolic link" in completed.stderr
    assert target.read_text() == "old\n"
