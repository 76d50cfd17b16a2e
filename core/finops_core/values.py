"""Safe reads of resource properties as the engine sends them.

Properties may hold anything at all (a user can put a string where a map belongs), and values
not known during preview arrive as the engine's sentinel strings, or, in the policy SDK, as
proxies that raise on reading. Everything that reads properties (policies, the estimator, the
report) reads through here and gets a value, ``UNKNOWN`` or ``MISSING``, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

# The one definition of the preview's unknown-value sentinel. (mock_engine.py keeps a copy because
# it imports nothing of this library; a test holds the two equal.)
UNKNOWN_STRING: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# The engine's sentinels for values not known until the update runs (pulumi/sdk resource.go).
UNKNOWN_SENTINELS: Final = frozenset({
    UNKNOWN_STRING,
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})


# Exceptions that mean "unknown during preview" when a proxied value is read. The core imports
# no Pulumi package; the policy pack registers pulumi_policy's UnknownValueError here.
_UNKNOWN_ERRORS: tuple[type[BaseException], ...] = ()


def register_unknown_error(error: type[BaseException]) -> None:
    global _UNKNOWN_ERRORS
    if error not in _UNKNOWN_ERRORS:
        _UNKNOWN_ERRORS = (*_UNKNOWN_ERRORS, error)


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __bool__(self) -> bool:
        return False


UNKNOWN: Final = _Marker("UNKNOWN")
MISSING: Final = _Marker("MISSING")


def is_mapping(value: object) -> bool:
    return isinstance(value, Mapping)


def is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def get(obj: object, key: str | int) -> Any:
    """``obj[key]``, or MISSING when absent (or obj is not a container), UNKNOWN when unknown."""
    try:
        if isinstance(key, int):
            if not is_list(obj):
                return MISSING
            value = obj[key]  # type: ignore[index]
        elif isinstance(obj, (str, bytes)):
            return MISSING
        else:
            # Indexing first and asking later: a map answers, anything else raises TypeError.
            # This runs for every property a policy reads, and ABC isinstance checks are slow.
            value = obj[key]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return MISSING
    except _UNKNOWN_ERRORS:
        return UNKNOWN
    if value is None:
        return MISSING
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def get_path(obj: object, path: Sequence[str | int]) -> Any:
    for key in path:
        obj = get(obj, key)
        if obj is MISSING or obj is UNKNOWN:
            return obj
    return obj


def values_at(obj: object, path: Sequence[str], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every value at ``path``, where ``"*"`` steps into each element of a list.

    Yields (the concrete path as users write it, the value). An unknown list yields one
    UNKNOWN; a missing one yields nothing.
    """
    if not path:
        yield prefix, obj
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if obj is UNKNOWN:
            yield prefix, UNKNOWN
            return
        if not isinstance(obj, Sequence) or isinstance(obj, (str, bytes)):
            return
        for index in range(len(obj)):
            yield from values_at(get(obj, index), rest, f"{prefix}[{index}]")
        return
    value = get(obj, head)
    where = f"{prefix}.{head}" if prefix else head
    if value is UNKNOWN:
        yield where, UNKNOWN
    elif value is not MISSING:
        yield from values_at(value, rest, where)
    elif not rest:
        yield where, MISSING


def string_items(obj: object) -> Iterator[tuple[str, Any]]:
    """(key, value) pairs of a map, values read safely."""
    if not isinstance(obj, Mapping):
        return
    for name in list(obj):
        yield str(name), get(obj, name)


def number(value: object) -> float | None:
    """A numeric property as a float: the engine may send numbers as strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def plain(obj: object) -> Any:
    """A plain copy of (possibly proxied) properties; unknown values become the engine's sentinel."""
    if obj is UNKNOWN:
        return UNKNOWN_STRING
    if isinstance(obj, Mapping):
        return {str(k): plain(get(obj, str(k))) for k in list(obj)}
    if is_list(obj):
        return [plain(get(obj, i)) for i in range(len(obj))]  # type: ignore[arg-type]
    return None if obj is MISSING else obj


def value_kind(value: object) -> str:
    """What a value is, in the words of the property schemas users read."""
    if value is None or value is MISSING:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    return "list" if is_list(value) else type(value).__name__


def short(value: object, limit: int = 60) -> str:
    """A value as it would be written, cut to ``limit`` characters; proxied or plain alike."""
    text = repr(plain(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."
