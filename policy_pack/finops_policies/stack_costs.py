"""How the stack policies price a stack: each resource as ``finops preview`` prices it, with what
it names by id (launch templates, task definitions), the amounts of a usage file and the
discounts of a price book, so the total they judge is the total the preview's summary shows.

Both files come from the policy's config (``usageFile``, ``priceBook``: absolute, or relative to
the pack directory, where the engine runs the pack); the price book else ``$FINOPS_PRICE_BOOK``.
``finops preview`` fills the config from ``--usage-file`` and ``--price-book``; ``pulumi preview
--policy-pack-config`` users set the keys themselves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from finops_core import Estimate, estimate_resource
from finops_core.price_book import PRICE_BOOK_ENV, PriceBook, load_price_book
from finops_core.reading import ConfigError
from finops_core.related import RelatedResource, related_lookup
from finops_core.usage import ResourceUsage, UsageFile, load_usage_file
from finops_core.values import plain
from pulumi_policy import StackValidationArgs

from .subject import provider_region

# The config keys of every policy that prices the stack (finops-cost-vs-budget, finops-spending-limits
# and their warnings): their schema properties.
PRICING_SCHEMA: dict[str, Any] = {
    "usageFile": {"type": "string", "description": "A usage file (monthly amounts of usage-priced resources, as "
                                                   "finops preview --usage-file), absolute or relative to the pack "
                                                   "directory."},
    "priceBook": {"type": "string", "description": "A price book (discounts, as finops preview --price-book), "
                                                   "absolute or relative to the pack directory (default "
                                                   f"${PRICE_BOOK_ENV})."},
}


def provider_props(resource: Any) -> Any:
    """The plain inputs of a stack resource's provider (None for the default provider)."""
    return plain(getattr(getattr(resource, "provider", None), "props", None))


@dataclass(frozen=True)
class PricedResource:
    resource: Any                  # the SDK's PolicyResource
    props: dict[str, Any]          # its properties, plain
    provider: Any                  # its provider's inputs, plain
    estimate: Estimate | None      # None: no cost of its own


def _file(config: Mapping[str, Any], key: str, variable: str | None = None) -> str | None:
    given = config.get(key) or (os.environ.get(variable) if variable else None)
    if not given:
        return None
    if not Path(str(given)).is_file():
        where = f"policy pack config {key}" if config.get(key) else f"${variable}"
        raise ConfigError(where, None, str(given), "an existing file")
    return str(given)


def pricing_files(config: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The usage file and price book a stack policy prices with. Raises ConfigError for one that
    does not exist."""
    return _file(config, "usageFile"), _file(config, "priceBook", PRICE_BOOK_ENV)


# The last stack priced: the pack's servicer hands every stack policy of one AnalyzeStack the same
# list of resources, so the policies that price the stack with the same files price it once.
_LAST: tuple[list[Any], tuple[str | None, str | None], list[PricedResource]] | None = None


def price_stack(args: StackValidationArgs) -> list[PricedResource]:
    """Every resource of the stack with its estimate. Raises ConfigError for a usage file or price
    book that is missing or cannot be read."""
    global _LAST
    files = pricing_files(args.get_config() or {})
    last = _LAST
    if last is not None and last[0] is args.resources and last[1] == files:
        return last[2]
    usage_file, price_book_file = files
    usage = load_usage_file(usage_file) if usage_file else None
    price_book = load_price_book(price_book_file) if price_book_file else None
    priced = _price(args, usage, price_book)
    _LAST = (args.resources, files, priced)
    return priced


def _price(args: StackValidationArgs, usage: UsageFile | None, price_book: PriceBook | None) -> list[PricedResource]:
    props = {resource.urn: plain(resource.props) for resource in args.resources}
    related = related_lookup(RelatedResource(r.resource_type, r.name, props[r.urn], id=str(props[r.urn].get("id", "")),
                                             urn=r.urn) for r in args.resources)
    priced = []
    for resource in args.resources:
        provider = provider_props(resource)
        entry = usage.for_resource(resource.urn, resource.name) if usage is not None else ResourceUsage()
        estimate = estimate_resource(resource.resource_type, props[resource.urn], provider_region(provider),
                                     entry.monthly_usd, usage=entry.amounts, related=related, price_book=price_book)
        priced.append(PricedResource(resource, props[resource.urn], provider, estimate))
    return priced
