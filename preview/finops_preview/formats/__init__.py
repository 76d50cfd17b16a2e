"""Report formats for ``finops preview``: one module per format, one ``render`` each."""

from __future__ import annotations

from collections.abc import Callable

from ..model import PreviewResult
from . import json_report, junit, markdown, sarif, table

RENDERERS: dict[str, Callable[[PreviewResult], str]] = {
    "table": table.render,
    "json": json_report.render,
    "markdown": markdown.render,
    "sarif": sarif.render,
    "junit": junit.render,
}


def render(result: PreviewResult, fmt: str) -> str:
    return RENDERERS[fmt](result)
