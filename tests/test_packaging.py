"""What `pip install` ships: every package of the four import roots and every data file they read.

An editable install (make setup) reads the tree and would hide a package or data file missing
from pyproject.toml; a team's `pip install git+...` would not.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
from conftest import ROOT

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _tree_packages() -> dict[str, Path]:
    packages = {}
    for name, directory in CONFIG["package-dir"].items():
        root = ROOT / directory
        for init in root.rglob("__init__.py"):
            if "__pycache__" not in init.parts:
                relative = init.parent.relative_to(root)
                packages[".".join((name, *relative.parts))] = init.parent
    return packages


def test_every_package_in_the_tree_is_shipped() -> None:
    assert sorted(_tree_packages()) == sorted(CONFIG["packages"])


def test_every_data_file_is_shipped() -> None:
    data = CONFIG["package-data"]
    missing = []
    for package, directory in _tree_packages().items():
        for path in directory.rglob("*"):
            if path.is_dir() or path.suffix in (".py", ".pyc") or "__pycache__" in path.parts:
                continue
            owner = next(p for p in sorted(_tree_packages(), key=len, reverse=True)
                         if path.is_relative_to(_tree_packages()[p]))
            if owner != package:
                continue
            relative = path.relative_to(directory).as_posix()
            if not any(fnmatch.fnmatch(relative, pattern) for pattern in data.get(package, [])):
                missing.append(f"{package}: {relative}")
    assert missing == []
