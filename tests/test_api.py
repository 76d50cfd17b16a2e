"""The public API of finops_components: discoverable, typed and documented."""

from __future__ import annotations

import dataclasses
import pydoc
import subprocess
import sys
from pathlib import Path

import finops_components as finops
import pulumi
import pytest
from conftest import ROOT

COMPONENTS = ("AuditLogBucket", "AutoShutdown", "BudgetAlerts", "Cache", "Database", "KubernetesCluster", "LogGroup",
              "TeamNamespace")

MYPY_CONFIG = """\
[mypy]
strict = true
ignore_missing_imports = true
follow_imports = silent

# Our own types are what is checked; the SDKs' are large and not ours (skipping them halves the time).
[mypy-pulumi,pulumi.*,pulumi_aws,pulumi_aws.*,pulumi_kubernetes,pulumi_kubernetes.*,grpc,grpc.*,google.*]
follow_imports = skip
"""


def test_dir_lists_every_component_and_its_args() -> None:
    names = set(dir(finops))
    for component in COMPONENTS:
        assert {component, f"{component}Args"} <= names
        assert issubclass(getattr(finops, component), pulumi.ComponentResource)
    assert {"enforce", "CapError", "Environment", "NodeGroupSpec", "NodeGroupSchedule", "DailyCostReport"} <= names
    assert set(finops.__all__) <= names


@pytest.mark.parametrize("component", COMPONENTS)
def test_help_says_what_a_component_creates_its_caps_and_an_example(component: str) -> None:
    doc = getattr(finops, component).__doc__ or ""
    shown = pydoc.render_doc(getattr(finops, component), renderer=pydoc.plaintext)
    assert doc.splitlines()[0] in shown  # help() shows it
    assert "Creates" in doc  # what it creates
    assert "Caps" in doc or "No cap applies" in doc  # the caps that apply
    assert "Example" in doc and f"finops.{component}(" in doc
    args = getattr(finops, f"{component}Args")
    assert dataclasses.is_dataclass(args)
    assert args.__doc__ and "Example" in args.__doc__ and "dataclass" not in args.__doc__.split("\n")[0]
    # The constructor's own parameters, not ComponentResource's (t, props, remote).
    assert ":param str t:" not in shown and "remote" not in shown, shown
    assert f":param args: a ``{component}Args``" in shown


def test_mypy_sees_the_real_types(tmp_path: Path) -> None:
    (tmp_path / "mypy.ini").write_text(MYPY_CONFIG)
    (tmp_path / "team.py").write_text(
        "import finops_components as finops\n"
        "\n"
        'finops.LogGroupArgs(servce="ui")\n'
        'finops.DatabaseArgs(subnet_ids=["s"], service="ui", allocated_storage_gib="20")\n'
        'reveal_type(finops.enforce(service="ui").tags_for(feature="search"))\n')
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "mypy.ini", "team.py"], cwd=tmp_path,
        capture_output=True, text=True, timeout=300, check=False,
        env={"MYPYPATH": f"{ROOT / 'components'}:{ROOT / 'core'}", "PATH": "/usr/bin:/bin"})
    out = completed.stdout
    assert 'team.py:3: error: Unexpected keyword argument "servce" for "LogGroupArgs"; did you mean "service"?' in out
    assert 'team.py:4: error: Argument "allocated_storage_gib" to "DatabaseArgs" has incompatible type "str"' in out
    assert 'team.py:5: note: Revealed type is "dict[str, str]"' in out
