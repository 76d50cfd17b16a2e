"""The strict, bounded JSON parser: no NaN or infinities, no duplicate keys, bounded depth; the
line of a refused value is found from the text only when a message needs it."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config_documents import MAX_DEPTH, MAX_JSON_BYTES, SURROGATE, ConfigError, Path_, YamlDoc, dotted, one_line


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




class _Refused:
    """Put in place of a value the JSON reader refuses, so the walk after parsing can name its key."""

    def __init__(self, found: str, expected: str) -> None:
        self.found = found
        self.expected = expected


def _json_float(text: str) -> float | _Refused:
    value = float(text)
    if not math.isfinite(value):
        return _Refused(f"<the number {one_line(text, 40)}, too large>", "a finite number")
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
            return _Refused(f"<the key {one_line(key, 60)!r} twice>", "each key once per object")
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
        if isinstance(value, str) and SURROGATE.search(value):
            raise doc.error(path, value, "text without lone surrogate escapes (\\ud800)")
        if isinstance(value, dict):
            for key, item in value.items():
                if SURROGATE.search(key):
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
        raise ConfigError(source, None, f"<malformed JSON: {one_line(exc.msg, 80)}>", "a valid JSON document",
                          exc.lineno) from None
    except RecursionError:
        raise ConfigError(source, None, "<malformed JSON: nested too deeply>",
                          "a JSON document of ordinary depth") from None
    except ValueError as exc:  # e.g. an integer beyond Python's digit limit
        raise ConfigError(source, None, f"<malformed JSON: {one_line(str(exc), 80)}>",
                          "a valid JSON document") from None
    doc = JsonDoc(str(source), data, text=text)
    _check_json(data, doc)
    return doc
