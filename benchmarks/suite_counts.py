"""A pytest plugin for bench_suite.py: counts the processes the suite starts, by kind.

Loaded with ``-p suite_counts`` (benchmarks/ on PYTHONPATH) in the controller and in every
pytest-xdist worker; each process appends its counts to the JSON-lines file named by
``FINOPS_SUITE_COUNTS`` when its session ends. Counting wraps ``subprocess.Popen`` (which the runner,
the analyzer and the tests all start their processes with) and leaves what it starts unchanged.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
from collections.abc import Sequence
from typing import Any

import pytest

_COUNTS: collections.Counter[str] = collections.Counter()
_BY_FILE: collections.Counter[str] = collections.Counter()  # "test file | kind"
_ORIGINAL_INIT = subprocess.Popen.__init__


def kind(args: Sequence[str]) -> str:
    """What a started command is, by its arguments."""
    text = " ".join(str(a) for a in args)
    if "mock_engine" in text:
        return "program runs (mock engine)"
    if "pulumi.policy" in text:
        return "policy pack starts"
    if "chromium" in text:
        return "chromium starts"
    if "finops_preview" in text or "/finops " in text:
        return "finops as its own process"
    return "other processes"


def _counting_init(self: subprocess.Popen[Any], args: Any, *rest: Any, **options: Any) -> None:
    what = kind(args if isinstance(args, (list, tuple)) else [args])
    _COUNTS[what] += 1
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[0]
    _BY_FILE[f"{test or '(outside a test)'} | {what}"] += 1
    _ORIGINAL_INIT(self, args, *rest, **options)


def pytest_configure(config: pytest.Config) -> None:
    subprocess.Popen.__init__ = _counting_init  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = os.environ.get("FINOPS_SUITE_COUNTS")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"counts": dict(_COUNTS), "byFile": dict(_BY_FILE)}) + "\n")
