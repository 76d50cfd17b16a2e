"""The layout the design promises: no two modules of the four packages share a file name, and no
package has an import cycle among its own modules (imports inside functions included)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {
    "finops_core": ROOT / "core" / "finops_core",
    "finops_components": ROOT / "components" / "finops_components",
    "finops_policies": ROOT / "policy_pack" / "finops_policies",
    "finops_preview": ROOT / "preview" / "finops_preview",
}
# Names Python itself gives meaning to: every package has its own.
_SHARED_BY_DESIGN = {"__init__.py", "__main__.py"}


def _modules(package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    root = PACKAGES[package]
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports, at any depth of its code."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path, node)
                # `from . import x` imports the module x when there is one, else a name of the package.
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                         for alias in node.names]
            for name in names:
                # `import a.b.c` runs a, a.b and a.b.c; the nearest known module is the edge.
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    targets.add(name)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as the modules round it, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_no_two_modules_of_the_four_packages_share_a_file_name() -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for root in PACKAGES.values():
        for path in root.rglob("*.py"):
            if path.name not in _SHARED_BY_DESIGN:
                by_name[path.name].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in by_name.items() if len(paths) > 1} == {}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycle_among_a_packages_modules(package: str) -> None:
    assert find_cycle(imports_of(package)) is None


def test_the_cycle_finder_sees_a_cycle_through_an_import_inside_a_function(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "looped"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .b import thing\n")
    (package / "b.py").write_text("def thing():\n    from . import a\n    return a\n")
    (package / "c.py").write_text("import looped.a\n")
    monkeypatch.setitem(PACKAGES, "looped", package)
    graph = imports_of("looped")
    assert graph["looped.c"] == {"looped.a"}
    assert find_cycle(graph) == ["looped.a", "looped.b", "looped.a"]
