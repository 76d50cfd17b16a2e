"""The table of resource kinds is the only place a kind is listed: the README's counts and table are
written from it, and a row deleted leaves nothing else naming the kind."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT
from finops_core.kinds import KINDS_DIR, ResourceKind, kinds_table, parse_kinds
from finops_core.reading import ConfigError, load_yaml

# A kind that only its row, its pricing model and its prices describe (the row deleted in the
# "delete a row, the suite still passes" check).
MEMORYDB = "aws:memorydb/cluster:Cluster"


@pytest.fixture(scope="module")
def docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_kinds_docs", ROOT / "scripts/generate_kinds_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_counts_and_table_are_the_table_s(docs: ModuleType) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.render(readme, kinds_table()) == readme, "run python scripts/generate_kinds_docs.py"
    fixed = sum(1 for k in kinds_table().values() if any(e.origin == "price-list" for e in k.examples.priced))
    assert f"**{fixed} AWS resource types** get an estimate fixed by configuration" in readme
    assert f"one file per service group, {len(kinds_table())} types)" in readme
    usage = sum(1 for k in kinds_table().values() if k.price.get("model") == "usage")
    assert f"A further {usage} types are usage-priced" in readme


def _generated_table(readme: str) -> str:
    found = re.search(r"<!-- kinds:table -->(.*?)<!-- /kinds:table -->", readme, re.S)
    assert found is not None
    return found.group(1)


def _without(tmp_path: Path, resource_type: str) -> dict[str, ResourceKind]:
    """The table loaded from a copy of the kinds files with one row's text deleted."""
    table: dict[str, ResourceKind] = {}
    for path in sorted(KINDS_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        # A row runs from its type token at the line start to the next one (or the end).
        text = re.sub(rf"(?ms)^{re.escape(resource_type)}:.*?(?=^[a-z0-9-]+:\S+:\S+:|\Z)", "", text)
        copy = tmp_path / path.name
        copy.write_text(text, encoding="utf-8")
        table.update(parse_kinds(load_yaml(copy)))
    return table


def _a_row_to_delete() -> str:
    """MemoryDB's row; where a clone has deleted it already, another kind priced from configuration."""
    table = kinds_table()
    return MEMORYDB if MEMORYDB in table else next(
        t for t, k in table.items() if any(e.origin == "price-list" for e in k.examples.priced))


def test_a_deleted_row_leaves_a_table_the_docs_are_written_from(tmp_path: Path, docs: ModuleType) -> None:
    deleted = _a_row_to_delete()
    table = _without(tmp_path, deleted)
    assert set(kinds_table()) - set(table) == {deleted}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    written = docs.render(readme, table)
    assert f"`{deleted}`" not in _generated_table(written) and f"`{deleted}`" in _generated_table(readme)
    fixed = int(re.findall(r"\*\*(\d+) AWS resource types\*\*", readme)[0])
    assert f"**{fixed - 1} AWS resource types**" in written


def _files_that_could_list_a_kind() -> Iterator[Path]:
    for folder in ("tests", "scripts", "benchmarks", "components", "policy_pack", "preview"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".yaml", ".json", ".md", ".txt") and ".venv" not in path.parts:
                yield path


def test_nothing_but_its_row_lists_a_kind_of_the_table() -> None:
    """Tests, fixtures and the README's prose name the MemoryDB kind nowhere: deleting its row
    leaves nothing to update (its pricing model and prices stay, unused)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8").replace(
        _generated_table((ROOT / "README.md").read_text(encoding="utf-8")), "")
    assert MEMORYDB not in readme
    naming = [str(p.relative_to(ROOT)) for p in _files_that_could_list_a_kind()
              if MEMORYDB in p.read_text(encoding="utf-8", errors="replace") and p != Path(__file__)]
    assert naming == []


ROW = "aws:example/thing:Thing:\n  properties: {nodeType: nodeType}\n  examples:\n"


@pytest.mark.parametrize(("examples", "says"), [
    ("    priced: [{inputs: {}, monthlyUsd: 1, origin: guessed, source: s}]",
     "examples.priced[0].origin: found 'guessed'; expected one of price-list, same-file, independent"),
    ("    priced: [{inputs: {}, origin: price-list, source: s}]", "examples.priced[0].monthlyUsd: found None"),
    ("    priced: [{inputs: {}, monthlyUsd: 1, origin: price-list}]", "examples.priced[0].source"),
    ("    oversizedInDev: [{inputs: {}, policy: p, says: s, fitsProd: false}]",
     "examples.oversizedInDev[0].fitsProd: found 'fitsProd'; expected inputs, policy or says"),
    ("    oversized: []", "examples.oversized: found 'oversized'; expected oversizedInDev, priced or unpriced"),
])
def test_a_bad_example_is_refused_naming_its_key(tmp_path: Path, examples: str, says: str) -> None:
    path = tmp_path / "kinds.yaml"
    path.write_text(ROW + examples + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        parse_kinds(load_yaml(path))
    assert says in str(refused.value) and str(path) in str(refused.value)
