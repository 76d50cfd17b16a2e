"""Monthly estimate of one resource from its inputs, through its kind's pricing model.

The kinds table (``data/kinds/*.yaml``) names each type's model (``price: {model: ...}``); the
models (``price_models``) read inputs through the kind's roles and add cost components, fixed by
configuration or priced by usage. Compute is priced for a full month of on-demand hours (730).

Usage-priced lines state their unit price and take typed amounts from the usage file
(``storageGb``, ``monthlyRequests`` ...); ``monthlyUsd`` instead gives the usage part as one
figure. A price book may discount the estimate; the list price stays beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from . import price_models
from .kinds import ResourceKind, kind_of
from .price_book import Discount, PriceBook
from .prices import PriceCatalogue, load_prices
from .quote import MODELS, Component, Quote, Related, Unpriced

FROM_USAGE_FILE = "from the usage file"
Why = Literal["unknown-type", "missing-price", "unknown-value", "bad-value"]

__all__ = ["Component", "Estimate", "Related", "estimate_kind", "estimate_resource", "price_models"]


@dataclass
class Estimate:
    """``monthly_usd`` is what the budget sees: fixed plus usage amounts, after the price book.

    - ``unpriced``: why ``monthly_usd`` is None (``unknown-type``: no pricing model for the type;
      ``missing-price``: no figure for the region or us-east-1; ``unknown-value``: an input known
      only after the update; ``bad-value``).
    - ``usage_priced``: the type has no cost fixed by configuration; all of it is usage.
    - ``fixed_usd`` / ``usage_usd``: the parts fixed by configuration and from usage amounts.
    - ``usage_pending``: usage lines the usage file gives no amount for (the total leaves them out).
    - ``list_usd``: before the price book's ``discount`` (equal to monthly_usd without one).
    - ``components``: every line with its unit price and that price's table, region, date and source.
    """

    monthly_usd: float | None
    basis: str
    fallback_regions: set[str] = field(default_factory=set)
    usage_priced: bool = False
    components: tuple[Component, ...] = ()
    unpriced: Why | None = None
    fixed_usd: float = 0.0
    usage_usd: float = 0.0
    list_usd: float | None = None
    discount: Discount | None = None

    @property
    def priced(self) -> bool:
        return self.monthly_usd is not None

    @property
    def usage_pending(self) -> tuple[Component, ...]:
        return tuple(c for c in self.components if c.usage and c.quantity is None)

    @property
    def usage_dependent(self) -> bool:
        """Part of the cost depends on usage (given or not)."""
        return any(c.usage for c in self.components) or self.usage_priced


def _usage_lines(q: Quote) -> None:
    for line in q.params.get("usage", []):
        q.usage(str(line["name"]), str(line["key"]), str(line.get("unit", "")), str(line["table"]),
                str(line["price"]), float(line.get("per", 1)))


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _usd(value: float) -> str:
    return "$" + (f"{value:,.4f}".rstrip("0").rstrip(".") if value >= 0.0001 else f"{value:.10f}".rstrip("0"))


def _line(c: Component) -> str:
    if c.unit == "months":
        return f"{c.name} ({_amount(c.quantity or 0)} x {_usd(c.unit_usd)}/month)"
    return f"{c.name} ({_amount(c.quantity or 0)} {c.unit} x {_usd(c.unit_usd)})"


def _basis(q: Quote, usage_only: bool) -> str:
    fixed = [c for c in q.components if not c.usage]
    parts = [_line(c) for c in fixed if c.quantity]
    pending = [c for c in q.components if c.usage and c.quantity is None]
    given = [c for c in q.components if c.usage and c.quantity is not None]
    parts += [f"{c.name} ({_amount(c.quantity or 0)} x {_usd(c.unit_usd)}/{c.unit}, usage)" for c in given]
    if usage_only and not given:
        prices = ", ".join(f"{c.name} {_usd(c.unit_usd)}/{c.unit}" for c in pending)
        text = "usage-priced" + (f" ({prices})" if prices else f" ({q.params.get('note', 'by usage')})")
    else:
        text = " + ".join(parts) or "no charge"
        if pending:
            text += "; usage not in the usage file: " + ", ".join(
                f"{c.name} {_usd(c.unit_usd)}/{c.unit} ({c.usage_key})" for c in pending)
    if q.notes:
        text += "; " + "; ".join(q.notes)
    return text


def estimate_kind(kind: ResourceKind, inputs: Mapping[str, Any], region: str, *,
                  usage: Mapping[str, float] | None = None, usage_usd: float | None = None,
                  catalogue: PriceCatalogue | None = None, price_book: PriceBook | None = None,
                  related: Related | None = None) -> Estimate | None:
    """The estimate of one resource of ``kind``; None when the kind has no price or no charge.

    Advice uses it to price a resource with modified inputs (the saving is the difference)."""
    catalogue = catalogue or load_prices()
    name = str(kind.price.get("model", ""))
    price = MODELS.get(name)
    if price is None or name == "free":
        return None
    q = Quote(kind, inputs, region, catalogue, usage, related)
    try:
        price(q)
        _usage_lines(q)
    except Unpriced as exc:
        return Estimate(None, exc.reason, set(q.fallbacks), name == "usage", unpriced=exc.why)  # type: ignore[arg-type]
    usage_only = name == "usage"
    fixed = sum(c.monthly_usd or 0.0 for c in q.components if not c.usage)
    variable = sum(c.monthly_usd or 0.0 for c in q.components if c.usage)
    basis = _basis(q, usage_only)
    if usage_usd is not None:
        variable = usage_usd
        basis = FROM_USAGE_FILE if usage_only else f"{basis}; usage {FROM_USAGE_FILE} ${usage_usd:,.2f}"
    if q.fallbacks:
        basis += f" (price of {', '.join(sorted(q.fallbacks))}: none recorded for {region})"
    list_usd = round(fixed + variable, 2)
    # A discount for a service reaches what is billed as that service: `service: ec2` (a Compute
    # Savings Plan) the EC2 instances of EKS node groups and Auto Scaling groups too.
    billed_as = {c.source.partition("[")[0] for c in q.components if c.source}
    discount = price_book.discount_for(kind.type, billed_as) if price_book else None
    factor = 1 - discount.percent / 100 if discount else 1.0
    if discount:
        basis += f"; {discount.label} -{discount.percent:g} % (list ${list_usd:,.2f})"
    return Estimate(round((fixed + variable) * factor, 2), basis, set(q.fallbacks), usage_only, tuple(q.components),
                    None, round(fixed * factor, 2), round(variable * factor, 2), list_usd, discount)


def estimate_resource(resource_type: str, inputs: Mapping[str, Any], region: str,
                      usage_usd: float | None = None, catalogue: PriceCatalogue | None = None, *,
                      usage: Mapping[str, float] | None = None, price_book: PriceBook | None = None,
                      related: Related | None = None) -> Estimate | None:
    """The monthly estimate; None for resources that cost nothing by themselves (IAM, routes ...)
    and for types outside AWS. An AWS type with no pricing model is unpriced (``unknown-type``)."""
    kind = kind_of(resource_type)
    if kind is None or not kind.price:
        if resource_type.startswith("aws:") and ":providers:" not in resource_type:
            return Estimate(None, f"unknown type: no pricing model for {resource_type}", unpriced="unknown-type")
        return None
    return estimate_kind(kind, inputs, region, usage=usage, usage_usd=usage_usd, catalogue=catalogue,
                         price_book=price_book, related=related)
