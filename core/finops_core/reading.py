"""Read YAML and JSON files so that every error can name the file, the key and the line.

All the files this project reads (guardrail rules, budgets, stack config, waivers, usage, policy
config, baselines, saved actuals) go through here, so a user always gets the same one-line
message shape instead of a traceback, and no file can make a reader hang or exhaust memory:

- bounded: file size, nesting depth and (YAML) alias expansion have limits;
- strict: duplicate keys are refused (as Pulumi's own YAML reader does), and so are NaN and
  infinities anywhere in a file; values the YAML library cannot build (``2026-02-30``, a
  5,000-digit number, ``!!float six-hundred``) are one message, not a traceback;
- a directory, a device, a missing file or bytes that are not UTF-8 are one message too.

The two parsers are :mod:`.strict_yaml` and :mod:`.strict_json`; the document and error types
are in :mod:`.config_documents`. This module reads files and is what the rest imports.
"""

from __future__ import annotations

import stat
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from .config_documents import (
    MAX_DEPTH,
    MAX_JSON_BYTES,
    MAX_NODES,
    MAX_YAML_BYTES,
    ConfigError,
    Path_,
    YamlDoc,
    dotted,
    finite_number,
    parse_finite_number,
)
from .strict_json import JsonDoc, parse_json
from .strict_yaml import parse_yaml

__all__ = ["MAX_DEPTH", "MAX_JSON_BYTES", "MAX_NODES", "MAX_YAML_BYTES", "ConfigError", "JsonDoc", "Path_",
           "YamlDoc", "dotted", "finite_number", "load_json", "load_yaml", "parse_finite_number", "parse_json",
           "parse_yaml", "require_mapping"]


def _read_text(path: Path, kind: str, limit: int) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes, or a ConfigError."""
    expected = f"a {kind} file"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(path, None, "<no such file>", f"an existing {kind} file") from None
    except OSError as exc:
        raise ConfigError(path, None, f"<unreadable: {exc.strerror or exc.__class__.__name__}>", expected) from None
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
        raise ConfigError(path, None, f"<unreadable: {exc.strerror or exc.__class__.__name__}>", expected) from None
    if len(raw) > limit:
        raise ConfigError(path, None, f"<more than {limit} bytes>", f"a {kind} file of at most {limit} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(path, None, f"<a byte that is not UTF-8: 0x{raw[exc.start]:02x}>",
                          f"a UTF-8 {kind} file", line) from None


def load_yaml(path: str | Path) -> YamlDoc:
    path = Path(path)
    return parse_yaml(_read_text(path, "YAML", MAX_YAML_BYTES), path)


def load_json(path: str | Path, max_bytes: int = MAX_JSON_BYTES) -> JsonDoc:
    path = Path(path)
    return parse_json(_read_text(path, "JSON", max_bytes), path)


def require_mapping(doc: YamlDoc, value: object, path: Path_) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise doc.error(path, value, "a mapping of keys to values")
    return value


def require_keys(doc: YamlDoc, value: object, path: Path_, allowed: Collection[str]) -> Mapping[str, Any]:
    """A mapping whose keys are all among ``allowed``; the first other key is the error."""
    spec = require_mapping(doc, value, path)
    unknown = sorted(str(key) for key in set(spec) - set(allowed))
    if unknown:
        names = list(allowed)
        raise doc.error((*path, unknown[0]), unknown[0], ", ".join(names[:-1]) + " or " + names[-1])
    return spec
