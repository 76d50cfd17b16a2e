"""Read YAML and JSON files so that every error can name the file, the key and the line.

All the files this project reads (guardrail rules, budgets, stack config, waivers, usage, policy
config, baselines, saved actuals) go through here, so a user always gets the same one-line
message shape instead of a traceback, and no file can make a reader hang or exhaust memory:

- bounded: file size, nesting depth and (YAML) alias expansion have limits;
- strict: duplicate keys are refused (as Pulumi's own YAML reader does), and so are NaN and
  infinities anywhere in a file; values the YAML library cannot build (``2026-02-30``, a
  5,000-digit number, ``!!float six-hundred``) are one message, not a traceback;
- a directory, a device, a missing file or bytes that are not UTF-8 are one message too.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

Path_ = tuple[str | int, ...]

MAX_YAML_BYTES = 2 * 1024 * 1024      # our YAML files are hand-written config: a few KiB
MAX_JSON_BYTES = 64 * 1024 * 1024     # JSON reports and plans of large stacks can be big
MAX_DEPTH = 64                        # nesting, counted through aliases
MAX_NODES = 100_000                   # YAML values once every alias is expanded
_FOUND_LIMIT = 120                    # characters of a found value shown in a message
_SPACE = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _one_line(text: str, limit: int | None = None) -> str:
    text = _SPACE.sub(" ", text).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class ConfigError(Exception):
    """Bad input: names the file, the key (and line where known), what was found and expected.

    The message is always one line, and a long found value is shortened."""

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
        key = f" {_one_line(self.key, 200)}:" if self.key else ""
        if isinstance(self.found, str) and self.found.startswith("<"):
            found = _one_line(self.found, 2 * _FOUND_LIMIT)
            found = found if found.endswith(">") else found + ">"
        else:
            found = _one_line(_safe_repr(self.found), _FOUND_LIMIT)
        return _one_line(f"{where}:{key} found {found}; expected {self.expected}")


def _safe_repr(value: object) -> str:
    # repr() of a huge int raises ValueError (Python's digit limit); of a huge container is long.
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"<a number of about {int(value.bit_length() * 0.30103)} digits>"
    if isinstance(value, (dict, list, tuple, set)) and len(value) > 20:
        return f"<a {type(value).__name__} of {len(value)} items>"
    try:
        return repr(value)
    except (ValueError, RecursionError):
        return f"<a {type(value).__name__}>"


def dotted(path: Path_) -> str:
    """Render a key path the way users write it: ``environments.dev.instance.maxVcpus``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class YamlDoc:
    """A parsed document (YAML or JSON) plus the line of every key where known, for messages."""

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

    def number(self, path: Path_, value: object, expected: str = "a finite number") -> float:
        """``value`` (found at ``path``) as a finite float, or a located ConfigError."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
            raise self.error(path, value, expected)
        return float(value)


@dataclass
class JsonDoc(YamlDoc):
    """A parsed JSON document. Lines are found on demand, from the text, when a message needs one:
    a large report costs nothing extra unless something in it is refused."""

    text: str = field(default="", repr=False)

    def line(self, path: Path_) -> int | None:
        while True:
            if path not in self.lines:
                found = _json_line(self.text, path)
                if found is not None:
                    self.lines[path] = found
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def finite_number(value: object, where: str | Path, key: str | None = None, line: int | None = None,
                  expected: str = "a finite number") -> float:
    """``value`` as a finite float; NaN, infinities, booleans, numbers too large for a float and
    non-numbers are a ConfigError naming ``where`` (a file, ``--option`` or variable) and ``key``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not _finite(value):
        raise ConfigError(where, key, value, expected, line)
    return float(value)


def parse_finite_number(text: str, where: str | Path, key: str | None = None,
                        expected: str = "a finite number") -> float:
    """A number written as text (a CLI option, an environment variable): finite, or ConfigError."""
    try:
        value = float(text.strip())
    except (ValueError, AttributeError):
        raise ConfigError(where, key, text, expected) from None
    return finite_number(value, where, key, expected=expected)


# --- YAML -------------------------------------------------------------------------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _BadValue(yaml.YAMLError):
    """A value the strict loader refuses; ``node`` locates it (line, and key path once found)."""

    def __init__(self, node: yaml.Node, found: str, expected: str) -> None:
        super().__init__(expected)
        self.node, self.found, self.expected = node, found, expected


def _text(node: yaml.Node) -> str:
    return _one_line(str(node.value), 40) if isinstance(node, yaml.ScalarNode) else node.tag.rsplit(":", 1)[-1]


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
            reason = _one_line(str(exc) or exc.__class__.__name__, 60)
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
        if _SURROGATE.search(value):
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
    return ConfigError(source, None, f"<malformed YAML: {_one_line(problem, 160)}>", expected, line)


def parse_yaml(text: str, source: str | Path) -> YamlDoc:
    """Parse one YAML document; every problem is a ConfigError naming ``source`` and the line."""
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(source, None, f"<{len(text)} characters>", f"a YAML file of at most {MAX_YAML_BYTES} bytes")
    try:
        loader = _LOADER(text)
    except yaml.reader.ReaderError as exc:
        raise _malformed(source, _one_line(str(exc).splitlines()[0], 100),
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


# --- files ------------------------------------------------------------------------------------

def os_problem(exc: OSError | RuntimeError) -> str:
    """What went wrong with a path, in words (``File name too long``, ``Permission denied``)."""
    if isinstance(exc, RuntimeError):  # pathlib's resolve() reports a symlink loop this way
        return "a loop of symbolic links"
    return exc.strerror or exc.__class__.__name__


def _read_text(path: Path, kind: str, limit: int) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes, or a ConfigError."""
    expected = f"a {kind} file"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(path, None, "<no such file>", f"an existing {kind} file") from None
    except OSError as exc:
        raise ConfigError(path, None, f"<unreadable: {os_problem(exc)}>", expected) from None
    except ValueError:  # "embedded null byte"
        raise ConfigError(path, None, "<a path with a NUL character>", expected) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(path, None, "<a directory>", expected)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(path, None, "<not a regular file>", expected)
    if info.st_size > limit:
        raise ConfigError(path, None, f"<{info.st_size} bytes>", f"a {kind} file of at most {limit} bytes")
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise ConfigError(path, None, f"<unreadable: {os_problem(exc)}>", expected) from None
    if len(raw) > limit:
        raise ConfigError(path, None, f"<more than {limit} bytes>", f"a {kind} file of at most {limit} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(path, None, f"<a byte that is not UTF-8: 0x{raw[exc.start]:02x}>",
                          f"a UTF-8 {kind} file", line) from None


def probe(path: Path, where: str | Path, key: str | None, found: object, expected: str,
          line: int | None = None) -> os.stat_result | None:
    """``stat()`` of a path that a file's key (or an option) names: None when nothing is there;
    any other problem (a name too long, a loop of links, a file where a directory should be,
    permission denied, a NUL byte) is a ConfigError naming ``where`` and ``key``, not a traceback.
    ``found`` is the value as the user wrote it."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(where, key, found, f"{expected} ({os_problem(exc)})", line) from None
    except ValueError:  # "embedded null byte"
        raise ConfigError(where, key, found, f"{expected} (a path without NUL characters)", line) from None


def is_a(kind: Callable[[int], bool], path: str | Path, where: str) -> bool:
    """Whether ``path`` (given as ``where``, an option) is there and of ``kind`` (``stat.S_ISDIR``);
    an unusable path is a ConfigError naming ``where``."""
    found = probe(Path(path), where, None, str(path), "a usable path")
    return found is not None and kind(found.st_mode)


def resolved(path: Path, where: str | Path, key: str | None = None) -> Path:
    """``path.resolve()``, with a loop of symbolic links or an unusable name as a ConfigError."""
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:
        raise ConfigError(where, key, str(path), f"a usable path ({os_problem(exc)})") from None
    except ValueError:
        raise ConfigError(where, key, str(path), "a path without NUL characters") from None


def path_value(doc: YamlDoc, keys: Path_, value: object, base: Path, expected: str) -> Path:
    """A path written in a file at ``keys`` (``stackConfigDir``, ``main``), relative to ``base``:
    text, without NUL characters, checked as any other value of the file."""
    if not isinstance(value, str) or not value or "\0" in value:
        raise doc.error(keys, value, f"{expected}, as text (a path relative to {base.name or base})")
    return base / value


def load_yaml(path: str | Path) -> YamlDoc:
    path = Path(path)
    return parse_yaml(_read_text(path, "YAML", MAX_YAML_BYTES), path)


# --- JSON -------------------------------------------------------------------------------------

class _Refused:
    """Put in place of a value the JSON reader refuses, so the walk after parsing can name its key."""

    def __init__(self, found: str, expected: str) -> None:
        self.found = found
        self.expected = expected


def _json_float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused(f"<the number {_one_line(text, 40)}, too large>", "a finite number")
    return value


def _json_int(text: str) -> int | _Refused:
    if len(text.lstrip("-")) > 300:  # beyond any float; Python's own digit limit is 4,300
        return _Refused(f"<a number of {len(text.lstrip('-'))} digits>", "a finite number")
    return int(text)


def _json_constant(text: str) -> _Refused:
    return _Refused(f"<{text}>", "a finite number (JSON has no NaN or Infinity)")


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Refused:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            return _Refused(f"<the key {_one_line(key, 60)!r} twice>", "each key once per object")
        out[key] = value
    return out


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def _json_line(text: str, target: Path_) -> int | None:
    """The line where the value at ``target`` starts in ``text`` (valid JSON), or None."""
    stack: list[list[Any]] = []         # [is_object, key or index, expecting a key]
    line, counted = 1, 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        top = stack[-1] if stack else None
        if token in ("}", "]"):
            stack.pop()
            continue
        if token == ",":
            if top is not None and top[0]:
                top[2] = True
            elif top is not None:
                top[1] += 1
            continue
        if token == ":":
            continue
        if top is not None and top[0] and top[2]:  # a key
            top[1], top[2] = json.loads(token), False
            continue
        if tuple(frame[1] for frame in stack) == target:
            return line + text.count("\n", counted, match.start())
        if token in ("{", "["):
            line += text.count("\n", counted, match.start())
            counted = match.start()
            stack.append([token == "{", None if token == "{" else 0, True])
    return None


def _check_json(data: Any, doc: JsonDoc) -> None:
    """Walk the parsed JSON (without recursion): refuse markers left by the hooks, and depth."""
    stack: list[tuple[Any, Path_]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _Refused):
            raise doc.error(path, value.found, value.expected)
        if len(path) > MAX_DEPTH:
            raise ConfigError(doc.source, dotted(path[:8]) + "…", f"<nested deeper than {MAX_DEPTH} levels>",
                              "a JSON document of ordinary depth")
        if isinstance(value, str) and _SURROGATE.search(value):
            raise doc.error(path, value, "text without lone surrogate escapes (\\ud800)")
        if isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    raise doc.error(path, key, "keys without lone surrogate escapes")
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))


def parse_json(text: str, source: str | Path) -> JsonDoc:
    """Parse a JSON document strictly (no NaN/Infinity, no duplicate keys, bounded depth); every
    problem is a one-line ConfigError naming ``source`` and the key or line."""
    if len(text) > MAX_JSON_BYTES:
        raise ConfigError(source, None, f"<{len(text)} characters>", f"a JSON file of at most {MAX_JSON_BYTES} bytes")
    try:
        data = json.loads(text, parse_float=_json_float, parse_int=_json_int, parse_constant=_json_constant,
                          object_pairs_hook=_json_object)
    except json.JSONDecodeError as exc:
        raise ConfigError(source, None, f"<malformed JSON: {_one_line(exc.msg, 80)}>", "a valid JSON document",
                          exc.lineno) from None
    except RecursionError:
        raise ConfigError(source, None, "<malformed JSON: nested too deeply>",
                          "a JSON document of ordinary depth") from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise ConfigError(source, None, f"<malformed JSON: {_one_line(str(exc), 80)}>",
                          "a valid JSON document") from None
    doc = JsonDoc(str(source), data, text=text)
    _check_json(data, doc)
    return doc


def load_json(path: str | Path, max_bytes: int = MAX_JSON_BYTES) -> JsonDoc:
    path = Path(path)
    return parse_json(_read_text(path, "JSON", max_bytes), path)


def require_mapping(doc: YamlDoc, value: object, path: Path_) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise doc.error(path, value, "a mapping of keys to values")
    return value

