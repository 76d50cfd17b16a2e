"""The table of packaged components (``data/packaged_components.yaml``), read once, for the runner
to hand to the mock engine with the expander's file (``component_expansion.py``, which the mock
engine loads by path: it runs under a program's own virtualenv, where this library is absent).

The expansion happens in the mock engine rather than here because the children must pass through
the program's own transforms (``enforce()``'s tags), which only the program's process can call,
and the component's outputs (resource references to the children) answer its registration there.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from . import component_expansion
from .data import DATA_DIR
from .library_data import read_library_yaml
from .reading import YamlDoc, require_mapping

TABLE_FILE = DATA_DIR / "packaged_components.yaml"


@cache
def packaged_components() -> dict[str, Any]:
    """Component type token -> its row (children, defaults, outputs)."""
    return read_library_yaml(TABLE_FILE, _rows)


def _rows(doc: YamlDoc) -> dict[str, Any]:
    rows = require_mapping(doc, doc.data, ())
    for token, row in rows.items():
        if not isinstance(row, dict) or not isinstance(row.get("source"), str):
            raise doc.error((str(token),), row, "a row naming its source (and its children and outputs)")
    return dict(rows)


def expansion_request() -> dict[str, Any]:
    """What the mock engine needs to expand packaged components: the table and the expander's file."""
    return {"table": packaged_components(), "expander": component_expansion.__file__}
