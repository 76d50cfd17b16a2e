"""What every reader of this project's files shares: a parsed document that knows where each value
came from (file, key path, line), the one error shape that names them, the limits every file is
read within, and finite numbers. The parsers are :mod:`.strict_yaml` and :mod:`.strict_json`;
:mod:`.reading` reads files through them.
"""


from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Path_ = tuple[str | int, ...]

MAX_YAML_BYTES = 2 * 1024 * 1024      # our YAML files are hand-written config: a few KiB
MAX_JSON_BYTES = 64 * 1024 * 1024     # JSON reports and plans of large stacks can be big
MAX_DEPTH = 64                        # nesting, counted through aliases
MAX_NODES = 100_000                   # YAML values once every alias is expanded
_FOUND_LIMIT = 120                    # characters of a found value shown in a message
_SPACE = re.compile(r"\s+")
SURROGATE = re.compile("[\ud800-\udfff]")


def one_line(text: str, limit: int | None = None) -> str:
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
        key = f" {one_line(self.key, 200)}:" if self.key else ""
        if isinstance(self.found, str) and self.found.startswith("<"):
            found = one_line(self.found, 2 * _FOUND_LIMIT)
            found = found if found.endswith(">") else found + ">"
        else:
            found = one_line(_safe_repr(self.found), _FOUND_LIMIT)
        return one_line(f"{where}:{key} found {found}; expected {self.expected}")


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
