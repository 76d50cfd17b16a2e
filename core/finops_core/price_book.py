"""Price books: the discounts an organisation has agreed (an enterprise discount, Savings Plans or
reserved coverage), applied to the estimate and shown beside the list price.

A price book is a YAML file (``--price-book FILE``, or ``$FINOPS_PRICE_BOOK``)::

    name: EDP 2027                      # optional, shown with each discount
    discounts:
      - {percent: 6, label: Enterprise Discount Program}                 # everything
      - {service: ec2, percent: 28, label: Compute Savings Plan}         # a Pulumi AWS module
      - {type: "aws:rds/*", percent: 30, label: RDS reserved instances}  # type tokens (glob)

The most specific discount applies, one per resource: a ``type`` match, else a ``service``
match, else the global one; discounts do not stack.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .reading import ConfigError, YamlDoc, load_yaml, probe, require_mapping

PRICE_BOOK_ENV = "FINOPS_PRICE_BOOK"


@dataclass(frozen=True)
class Discount:
    percent: float
    label: str
    type: str | None = None       # a glob over type tokens
    service: str | None = None    # a Pulumi AWS module: ec2, rds, eks ...


def _service(resource_type: str) -> str:
    """``aws:rds/instance:Instance`` -> ``rds``."""
    return resource_type.partition(":")[2].partition("/")[0]


@dataclass(frozen=True)
class PriceBook:
    name: str
    discounts: Sequence[Discount]

    def discount_for(self, resource_type: str, billed_as: Iterable[str] = ()) -> Discount | None:
        """The most specific discount for ``resource_type``: by type glob, by service (its Pulumi
        module, or a price table its cost comes from, ``billed_as``: a node group is billed as
        ``ec2``), else one for everything."""
        services = {_service(resource_type), *billed_as}
        by_type = [d for d in self.discounts if d.type and fnmatch.fnmatchcase(resource_type, d.type)]
        by_service = [d for d in self.discounts if d.service and d.service in services]
        everything = [d for d in self.discounts if not d.type and not d.service]
        for found in (by_type, by_service, everything):
            if found:
                return found[0]
        return None


def _discount(doc: YamlDoc, raw: object, index: int, book: str) -> Discount:
    where = ("discounts", index)
    spec: Mapping[str, object] = require_mapping(doc, raw, where)
    unknown = set(spec) - {"percent", "label", "type", "service"}
    if unknown:
        bad = sorted(unknown)[0]
        raise doc.error((*where, bad), bad, "percent, label, and optionally type or service")
    percent = doc.number((*where, "percent"), spec.get("percent"), "a discount in percent, from 0 to 100")
    if not 0 <= percent <= 100:
        raise doc.error((*where, "percent"), spec.get("percent"), "a discount in percent, from 0 to 100")
    scope = {key: spec.get(key) for key in ("type", "service") if key in spec}
    if len(scope) > 1:
        raise doc.error(where, "type and service", "at most one of type (a glob) or service (a module such as ec2)")
    for key, value in scope.items():
        if not isinstance(value, str) or not value:
            raise doc.error((*where, key), value, "a type glob such as aws:rds/*" if key == "type"
                            else "a Pulumi AWS module such as ec2, rds or eks")
    label = spec.get("label", book or "price book")
    if not isinstance(label, str):
        raise doc.error((*where, "label"), label, "a short text")
    shown = f"{book}: {label}" if book and book != label else label
    return Discount(percent, shown, scope.get("type"), scope.get("service"))  # type: ignore[arg-type]


def parse_price_book(doc: YamlDoc) -> PriceBook:
    data = require_mapping(doc, doc.data, ())
    unknown = set(data) - {"name", "discounts"}
    if unknown:
        bad = sorted(unknown)[0]
        raise doc.error((bad,), bad, "name or discounts")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise doc.error(("name",), name, "a short text")
    raw = data.get("discounts")
    if not isinstance(raw, list) or not raw:
        raise doc.error(("discounts",), raw, "a list of {percent, label, type or service} entries")
    return PriceBook(name, tuple(_discount(doc, item, i, name) for i, item in enumerate(raw)))


def load_price_book(path: str | Path) -> PriceBook:
    """Raises ConfigError (file, key, found, expected) for a malformed price book."""
    return parse_price_book(load_yaml(path))


def price_book_from_environment() -> PriceBook | None:
    """The price book ``$FINOPS_PRICE_BOOK`` names, if any (for the policy pack)."""
    path = os.environ.get(PRICE_BOOK_ENV)
    if not path:
        return None
    if probe(Path(path), PRICE_BOOK_ENV, None, path, "the path of a price book YAML file") is None:
        raise ConfigError(PRICE_BOOK_ENV, None, path, "the path of a price book YAML file")
    return load_price_book(path)
