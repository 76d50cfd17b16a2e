"""Read YAML files so that every error can name the file, the key and the line.

All the files this project reads (guardrail rules, budgets, stack config, waivers) go
through here, so a user always gets the same one-line message shape instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class ConfigError(Exception):
    """Bad input: names the file, the key (and line where known), what was found and expected."""

    def __init__(
        self,
        source: str | Path,
        key: str | None,
        found: object,
        expected: str,
        line: int | None = None,
    ) -> None:
        self.source = str(source)
        self.key = key
        self.found = found
        self.expected = expected
        self.line = line
        super().__init__(self.render())

    def render(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        found = self.found if isinstance(self.found, str) and self.found.startswith("<") else repr(self.found)
        return f"{where}:{key} found {found}; expected {self.expected}"


def dotted(path: Path_) -> str:
    """Render a key path the way users write it: ``environments.dev.instance.maxVcpus``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class YamlDoc:
    """A parsed YAML document plus the line of every key, for error messages."""

    source: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        # Fall back to the closest enclosing key that has a line.
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def error(self, path: Path_, found: object, expected: str) -> ConfigError:
        return ConfigError(self.source, dotted(path) or None, found, expected, self.line(path))


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


def parse_yaml(text: str, source: str | Path) -> YamlDoc:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(
            source, None, f"<malformed YAML: {problem}>", "a valid YAML document",
            None if mark is None else mark.line + 1,
        ) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    if node is not None:
        _record_lines(node, (), lines)
    return YamlDoc(str(source), data, lines)


def load_yaml(path: str | Path) -> YamlDoc:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, None, "<no such file>", "an existing YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"<unreadable: {exc.__class__.__name__}>", "a UTF-8 YAML file") from None
    return parse_yaml(text, path)


def require_mapping(doc: YamlDoc, value: object, path: Path_) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise doc.error(path, value, "a mapping of keys to values")
    return value
