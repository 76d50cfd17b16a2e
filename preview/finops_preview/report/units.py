"""Unit costs: a usage metric per environment (e.g. monthly active users) and the cost per unit.

``--units FILE`` (YAML or JSON)::

    metric: monthly active user
    environments: {prod: 12000, staging: 40}

or inline, ``--units prod=12000,staging=40``; ``--unit-metric NAME`` names (or renames) the metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from finops_core.reading import ConfigError, load_yaml, probe, require_mapping

DEFAULT_METRIC = "unit"


@dataclass(frozen=True)
class UnitMetric:
    name: str
    per_environment: dict[str, float]
    source: str


def _count(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return float(value)


def _inline(text: str, metric: str | None) -> UnitMetric:
    counts: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        environment, _, raw = part.partition("=")
        try:
            count = _count(float(raw))
        except ValueError:
            count = None
        if not environment.strip() or count is None:
            raise ConfigError("--units", environment.strip() or None, part,
                              "ENVIRONMENT=COUNT pairs with a count greater than 0, e.g. prod=12000,staging=40")
        counts[environment.strip()] = count
    return UnitMetric(metric or DEFAULT_METRIC, counts, "--units")


def read_units(value: str, metric: str | None = None) -> UnitMetric:
    """A units file, or ``ENV=N,...`` when no such file exists and the value has an ``=``."""
    path = Path(value)
    if "=" in value and probe(path, "--units", None, value, "a units file or ENV=N pairs") is None:
        return _inline(value, metric)
    doc = load_yaml(path)
    top = require_mapping(doc, doc.data, ())
    for key in top:
        if key not in ("metric", "environments"):
            raise doc.error((key,), key, "one of the keys metric, environments")
    name = top.get("metric", metric or DEFAULT_METRIC)
    if not isinstance(name, str) or not name.strip():
        raise doc.error(("metric",), name, "the name of the unit, e.g. monthly active user")
    counts: dict[str, float] = {}
    for environment, raw in require_mapping(doc, top.get("environments"), ("environments",)).items():
        count = _count(raw)
        if count is None:
            raise doc.error(("environments", environment), raw, "a count greater than 0")
        counts[str(environment)] = count
    return UnitMetric(metric or name.strip(), counts, str(path))
