"""Keep secret values out of every report, by structure.

A recorded property value that the program (or the engine) marked secret is wrapped, value by
value, in ``{"__secret": value}``: a map with one secret tag keeps its other tags readable,
as the SDK sends them. Reports show resource properties through :func:`mask`, which replaces
each wrapped value, of whatever type, with ``[secret]``.

Policy messages are text written by a pack, which may quote a value it judged: whole,
truncated (``abc…`` / ``abc...``), in repr or JSON form (escaped backslashes and quotes), or
as a number. :func:`redact` removes each of those forms of the secrets *of the resource the
message is about*, and only where they stand as a whole token, so a non-secret ``dev`` is
never blanked inside ``devops`` nor because another resource has a secret ``dev``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[secret]"
_MIN_TRUNCATED = 6          # a truncated quote shows at least this many characters of a value
_WORD = r"A-Za-z0-9_"


def is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and "__secret" in value


def mask(value: Any) -> Any:
    """A copy of recorded properties with every secret value replaced by ``[secret]``."""
    if is_secret(value):
        return MASK
    if isinstance(value, Mapping):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def unwrap(value: Any) -> Any:
    """The plain values (what a policy sees: the SDK unwraps secrets before a policy reads them)."""
    if is_secret(value):
        return unwrap(value["__secret"])
    if isinstance(value, Mapping):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def secret_values(value: Any, inside: bool = False) -> list[Any]:
    """Every scalar held inside a secret marker (strings, numbers, booleans)."""
    if is_secret(value):
        return secret_values(value["__secret"], True)
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in secret_values(v, inside)]
    if isinstance(value, list):
        return [s for v in value for s in secret_values(v, inside)]
    if inside and value is not None and value != MASK and value != "":
        return [value]
    return []


def secret_forms(values: Iterable[Any]) -> set[str]:
    """The texts under which each secret value can appear in a message."""
    forms: set[str] = set()
    for value in values:
        if isinstance(value, bool):
            forms |= {str(value), json.dumps(value)}
        elif isinstance(value, (int, float)):
            forms.add(repr(value))
            if isinstance(value, float) and value.is_integer():
                forms.add(str(int(value)))
        else:
            text = str(value)
            forms |= {text, repr(text)[1:-1], json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}
    return {f for f in forms if f}


def redact(text: str, forms: Iterable[str]) -> str:
    """``text`` with each secret form replaced by ``[secret]`` where it stands as a whole token,
    and with any truncated quote of one (a prefix followed by ``...`` or ``…``)."""
    ordered = sorted(set(forms), key=len, reverse=True)
    if not ordered:
        return text
    for form in ordered:
        text = re.sub(rf"(?<![{_WORD}]){re.escape(form)}(?![{_WORD}])", MASK, text)
    return _redact_truncated(text, ordered)


def _redact_truncated(text: str, forms: list[str]) -> str:
    out = text
    for match in reversed(list(re.finditer(r"\.\.\.|…", text))):
        end = match.start()
        for form in forms:
            size = min(len(form) - 1, end)
            while size >= _MIN_TRUNCATED and text[end - size:end] != form[:size]:
                size -= 1
            start = end - size
            if size >= _MIN_TRUNCATED and (start == 0 or not re.match(rf"[{_WORD}]", text[start - 1])):
                out = out[:start] + MASK + out[end:]
                break
    return out
