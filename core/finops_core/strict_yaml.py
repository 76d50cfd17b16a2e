"""The strict, bounded YAML parser: duplicate keys, NaN and infinities refused; nesting depth and
alias expansion bounded; values the YAML library cannot build (``2026-02-30``, a 5,000-digit
number) are one located ConfigError, not a traceback."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .config_documents import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_YAML_BYTES,
    SURROGATE,
    ConfigError,
    Path_,
    YamlDoc,
    dotted,
    one_line,
)

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _BadValue(yaml.YAMLError):
    """A value the strict loader refuses; ``node`` locates it (line, and key path once found)."""

    def __init__(self, node: yaml.Node, found: str, expected: str) -> None:
        super().__init__(expected)
        self.node, self.found, self.expected = node, found, expected


def _text(node: yaml.Node) -> str:
    return one_line(str(node.value), 40) if isinstance(node, yaml.ScalarNode) else node.tag.rsplit(":", 1)[-1]


class _Loading(Protocol):
    """What parse_yaml uses of a loader."""

    def get_single_node(self) -> yaml.Node | None: ...
    def construct_document(self, node: yaml.Node) -> Any: ...
    def dispose(self) -> None: ...


class _Strict(Composer, SafeConstructor):
    """What both strict loaders add to PyYAML: nesting limited while composing, duplicate keys and
    non-finite numbers refused, and any value that cannot be built turned into a _BadValue naming
    the value's node. Composing is always this Python code, whoever scans and parses."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]  # the parser's
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            kind = node.tag.rsplit(":", 1)[-1]
            reason = one_line(str(exc) or exc.__class__.__name__, 60)
            raise _BadValue(node, f"<{_text(node)}>", f"a valid {kind} ({reason})") from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key is reported by the base class
                if duplicate:
                    raise _BadValue(key_node, "<the same key a second time>",
                                    "each key once per mapping (Pulumi refuses duplicate keys too)")
        return super().construct_mapping(node, deep)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _BadValue(node, f"<{_text(node)}>", "a finite number (NaN and infinities are not allowed)")
        return float(value)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = len(str(node.value))
        if digits > 300:  # beyond any float: refused before Python's 4,300-digit limit
            raise _BadValue(node, f"<a number of {digits} digits>", "a finite number")
        return int(super().construct_yaml_int(node))

    def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
        value = str(super().construct_yaml_str(node))
        if SURROGATE.search(value):
            raise _BadValue(node, "<a lone surrogate escape such as \\ud800>", "text that UTF-8 can carry")
        return value


# Both loaders build with this table (``_Strict`` comes before SafeConstructor in their MROs).
_Strict.yaml_constructors = {
    **SafeConstructor.yaml_constructors,
    "tag:yaml.org,2002:float": _Strict.construct_yaml_float,
    "tag:yaml.org,2002:int": _Strict.construct_yaml_int,
    "tag:yaml.org,2002:str": _Strict.construct_yaml_str,
}


class _StrictLoader(_Strict, yaml.SafeLoader):
    """The pure-Python strict loader, for a PyYAML built without libyaml."""


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser

    class _CScannedStrictLoader(_Strict, CParser, Resolver):
        """libyaml scans and parses (most of the time a pure-Python load takes); composing stays
        in Python (_Strict's Composer comes before CParser), so the nesting limit still applies
        while the graph is built. Non-printable characters are refused as the pure-Python reader
        does."""

        def __init__(self, text: str) -> None:
            yaml.reader.Reader(text)  # raises ReaderError for a non-printable character
            CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _LOADER: Callable[[str], _Loading] = _CScannedStrictLoader
else:
    _LOADER = _StrictLoader



def _path_of(root: yaml.Node, target: yaml.Node) -> Path_ | None:
    """The key path of ``target`` (a value or key node) in the graph under ``root``; the graph was
    checked by _check_graph, so this ends. A key node's path is the path of its key."""
    stack: list[tuple[yaml.Node, Path_]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else _text(key_node)
                if key_node is target:
                    return (*path, key)
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
    return None


class _TooBig(Exception):
    def __init__(self, problem: str, node: yaml.Node) -> None:
        super().__init__(problem)
        self.problem = problem
        self.node = node


def _check_graph(root: yaml.Node) -> None:
    """Refuse recursive aliases, and documents whose aliases expand beyond MAX_NODES values or
    MAX_DEPTH levels. Works on the composed graph (where an alias is a shared node), memoised,
    so a billion-laughs document is refused after a few hundred steps."""
    sizes: dict[int, tuple[int, int]] = {}    # id(node) -> (expanded values, height)
    open_: set[int] = set()

    def visit(node: yaml.Node, depth: int) -> tuple[int, int]:
        known = sizes.get(id(node))
        if known is None:
            if id(node) in open_:
                raise _TooBig("an alias that refers to itself (a recursive structure)", node)
            if depth > MAX_DEPTH:
                raise _TooBig(f"nested deeper than {MAX_DEPTH} levels (counting aliases)", node)
            open_.add(id(node))
            count, height = 1, 0
            children: list[yaml.Node] = []
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    children += (key_node, value_node)
            elif isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            for child in children:
                child_count, child_height = visit(child, depth + 1)
                count += child_count
                height = max(height, child_height + 1)
                if count > MAX_NODES:
                    raise _TooBig(f"more than {MAX_NODES} values once aliases are expanded", node)
            open_.discard(id(node))
            known = sizes[id(node)] = (count, height)
        if depth + known[1] > MAX_DEPTH:
            raise _TooBig(f"nested deeper than {MAX_DEPTH} levels (counting aliases)", node)
        return known

    visit(root, 0)


def _record_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


def _malformed(source: str | Path, problem: str, line: int | None,
               expected: str = "a valid YAML document") -> ConfigError:
    return ConfigError(source, None, f"<malformed YAML: {one_line(problem, 160)}>", expected, line)


def parse_yaml(text: str, source: str | Path) -> YamlDoc:
    """Parse one YAML document; every problem is a ConfigError naming ``source`` and the line."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(source, None, f"<{len(text)} characters>", f"a YAML file of at most {MAX_YAML_BYTES} bytes")
    try:
        loader = _LOADER(text)
    except yaml.reader.ReaderError as exc:
        raise _malformed(source, one_line(str(exc).splitlines()[0], 100),
                         text.count("\n", 0, exc.position) + 1) from None
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_graph(node)
        data = loader.construct_document(node) if node is not None else None
    except _BadValue as exc:
        path = _path_of(node, exc.node) if node is not None else None
        raise ConfigError(source, dotted(path or ()) or None, exc.found, exc.expected,
                          exc.node.start_mark.line + 1) from None
    except _TooBig as exc:
        raise _malformed(source, exc.problem, exc.node.start_mark.line + 1,
                         "a plain YAML document (no alias bombs, no deep nesting)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [exc.__class__.__name__])[0]
        context = getattr(exc, "context", None)
        if context and problem.startswith("but "):  # "expected a single document ... but found another"
            problem = f"{context} {problem}"
        if problem == "exceeded maximum nesting depth":  # libyaml's own limit, far beyond ours
            problem = f"nested deeper than {MAX_DEPTH} levels"
        raise _malformed(source, problem, None if mark is None else mark.line + 1) from None
    except RecursionError:  # a guard of last resort: the limits above should stop it first
        raise _malformed(source, "nested too deeply", None) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    return YamlDoc(str(source), data, lines)
