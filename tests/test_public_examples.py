"""Public example programs (Pulumi's templates and examples, in tests/fixtures/programs) preview
offline: each runs under the mock engine and is judged, whatever it declares. Their runs are shared
with tests/test_packaged_components.py, which looks into the templates' children (conftest's replay,
keyed on each program's content): each program runs once per session."""

from __future__ import annotations

import json

import pytest
from conftest import PACK_DIR, ROOT, run_cli

pytestmark = pytest.mark.usefixtures("program_replay")  # program runs replayed per program key (conftest)

PROGRAMS = ROOT / "tests" / "fixtures" / "programs"


@pytest.mark.parametrize("example", sorted(p.name for p in PROGRAMS.iterdir() if p.is_dir()))
def test_public_example_programs_preview_offline(example: str) -> None:
    completed = run_cli("preview", "-C", str(PROGRAMS / example), "-s", "dev", "--policy-pack", str(PACK_DIR),
                        "--json")
    assert completed.returncode in (0, 1), completed.stderr  # judged: violations are theirs, not the runner's
    report = json.loads(completed.stdout)
    assert report["resources"], report
    assert "Traceback" not in completed.stderr
