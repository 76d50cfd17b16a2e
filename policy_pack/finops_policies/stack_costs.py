"""How the stack policies price a stack: each resource as ``finops preview`` prices it, with what
it names by id (launch templates, task definitions) and the price book of $FINOPS_PRICE_BOOK."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finops_core import Estimate, estimate_resource
from finops_core.price_book import price_book_from_environment
from finops_core.related import RelatedResource, related_lookup
from finops_core.values import plain
from pulumi_policy import StackValidationArgs

from .subject import provider_region


def provider_props(resource: Any) -> Any:
    """The plain inputs of a stack resource's provider (None for the default provider)."""
    return plain(getattr(getattr(resource, "provider", None), "props", None))


@dataclass(frozen=True)
class PricedResource:
    resource: Any                  # the SDK's PolicyResource
    props: dict[str, Any]          # its properties, plain
    provider: Any                  # its provider's inputs, plain
    estimate: Estimate | None      # None: no cost of its own


# The last stack priced: the pack's servicer hands every stack policy of one AnalyzeStack the same
# list of resources, so the four policies that price the stack price it once.
_LAST: tuple[list[Any], list[PricedResource]] | None = None


def price_stack(args: StackValidationArgs) -> list[PricedResource]:
    """Every resource of the stack with its estimate. Raises ConfigError for a bad price book."""
    global _LAST
    last = _LAST
    if last is not None and last[0] is args.resources:
        return last[1]
    priced = _price(args)
    _LAST = (args.resources, priced)
    return priced


def _price(args: StackValidationArgs) -> list[PricedResource]:
    props = {resource.urn: plain(resource.props) for resource in args.resources}
    related = related_lookup(RelatedResource(r.resource_type, r.name, props[r.urn], id=str(props[r.urn].get("id", "")),
                                             urn=r.urn) for r in args.resources)
    price_book = price_book_from_environment()
    priced = []
    for resource in args.resources:
        provider = provider_props(resource)
        estimate = estimate_resource(resource.resource_type, props[resource.urn], provider_region(provider),
                                     related=related, price_book=price_book)
        priced.append(PricedResource(resource, props[resource.urn], provider, estimate))
    return priced
