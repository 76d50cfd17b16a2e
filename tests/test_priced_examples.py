"""The estimate against every priced example of the table of resource kinds (``examples.priced``).

Each example states its figure's origin (``finops_core.kinds.ORIGINS``):
- ``price-list``: prices.json's unit prices times the configuration, to the cent. Single-sourced: it
  pins the arithmetic and the configuration's reading, not the prices.
- ``same-file``: a published figure (Infracost's golden test files) from a file that the prices it
  uses also cite, within the example's tolerance. It checks the arithmetic, not the prices.
- ``independent``: a figure from a source the prices it uses do not cite (AWS's pages and posts,
  other public write-ups), within the example's tolerance: the prices themselves are checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest
from conftest import ROOT
from finops_core import estimate_resource
from finops_core.estimate import Estimate
from finops_core.kinds import PricedExample, kinds_table
from kind_cases import case_id, fixed_priced_types, priced_cases

PRICED = priced_cases()
TABLES = json.loads((ROOT / "core/finops_core/data/prices.json").read_text())["regions"]["us-east-1"]["tables"]


def _estimate(resource_type: str, example: PricedExample) -> Estimate:
    found: Mapping[str, Mapping[str, Mapping[str, Any]]] = example.related
    estimate = estimate_resource(resource_type, example.inputs, example.region,
                                 related=lambda t, reference: found.get(t, {}).get(reference))
    assert estimate is not None and estimate.monthly_usd is not None, estimate
    return estimate


@pytest.mark.parametrize(("resource_type", "example"), PRICED,
                         ids=[case_id(t, f"{e.origin}-{e.name or e.monthly_usd}") for t, e in PRICED])
def test_each_priced_example_meets_its_figure(resource_type: str, example: PricedExample) -> None:
    estimate = _estimate(resource_type, example)
    ours = estimate.monthly_usd or 0.0
    why = f"ours ${ours:,.2f}, expected ${example.monthly_usd:,.2f} ({example.origin}: {example.source}); " \
          f"{estimate.basis}"
    if example.within == 0:
        assert round(ours, 2) == example.monthly_usd, why
    else:
        assert abs(ours - example.monthly_usd) <= example.within * example.monthly_usd, why


def _cited_by(source: str, table_source: str) -> bool:
    """Whether a price table's stated source names the file or page an example's figure comes from."""
    where = source.split()[0] if source.startswith("http") else source.split(" (")[0].split()[-1]
    stem = where.rstrip("/").rsplit("/", 1)[-1].removesuffix(".golden").removesuffix("_test")
    return where in table_source or re.search(rf"\b{re.escape(stem)}\b", table_source) is not None


@pytest.mark.parametrize(("resource_type", "example"), [(t, e) for t, e in PRICED if e.origin == "independent"],
                         ids=[case_id(t, e.name) for t, e in PRICED if e.origin == "independent"])
def test_an_independent_figure_is_not_from_a_file_its_prices_cite(resource_type: str, example: PricedExample) -> None:
    estimate = _estimate(resource_type, example)
    used = {c.source.split("[", 1)[0] for c in estimate.components if not c.usage}
    cited = sorted(t for t in used if _cited_by(example.source, TABLES[t]["source"]))
    assert cited == [], f"{example.source} is cited by the price tables {cited}: label it same-file"


def test_a_price_list_figure_states_its_arithmetic() -> None:
    for resource_type, example in PRICED:
        if example.origin == "price-list":
            assert example.within == 0 and example.source.startswith("prices.json: "), resource_type
            named = set(re.findall(r"\((\w+)\[", example.source))
            assert named and named <= set(TABLES), (resource_type, named - set(TABLES))


def test_every_kind_priced_from_configuration_has_an_exact_figure_or_says_why_not() -> None:
    for resource_type in sorted(fixed_priced_types()):
        kind = kinds_table()[resource_type]
        exact = [e for e in kind.examples.priced if e.origin == "price-list"]
        if kind.examples.unpriced:
            # The reason holds: its dev example finds no price, and a price added would need an example.
            inputs = kind.examples.oversized_in_dev[0].inputs if kind.examples.oversized_in_dev else {}
            estimate = estimate_resource(resource_type, inputs, "us-east-1")
            assert exact == [] and estimate is not None and estimate.unpriced == "missing-price", (resource_type,
                                                                                                   estimate)
        else:
            assert exact, f"{resource_type}: add examples.priced with origin price-list to its row"
