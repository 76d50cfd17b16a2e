"""The library's own YAML data (the kinds table, the packaged-component expansions), read fast.

These files ship with the library and are read at every start of a ``finops`` command and of the
policy pack, where the strict reader (composing and building in Python) took 0.1-0.2 s of each
start. They are read with libyaml's C loader instead. The strict reader stays the judge of them:
``tests/test_reading.py`` reads every shipped file both ways and requires the same data (so a
duplicate key or a NaN in a shipped file fails the suite), and a file that libyaml or the file's
own parser refuses is read again strictly here, so the message names the file, key and line as
for any other file. Files a user writes (rules, budgets, waivers, usage) are always read strictly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml

from .reading import ConfigError, YamlDoc, load_yaml

T = TypeVar("T")

_FAST_LOADER = getattr(yaml, "CSafeLoader", None) if getattr(yaml, "__with_libyaml__", False) else None


def _fast(path: Path) -> YamlDoc | None:
    if _FAST_LOADER is None:
        return None
    try:
        return YamlDoc(str(path), yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER))
    except (OSError, UnicodeError, ValueError, yaml.YAMLError):
        return None


def read_library_yaml(path: Path, parse: Callable[[YamlDoc], T]) -> T:
    """``parse`` of the shipped file ``path``: read by libyaml, else (or when either refuses it)
    by the strict reader, whose message then locates the problem."""
    doc = _fast(path)
    if doc is not None:
        try:
            return parse(doc)
        except ConfigError:
            pass
    return parse(load_yaml(path))


__all__ = ["read_library_yaml"]
