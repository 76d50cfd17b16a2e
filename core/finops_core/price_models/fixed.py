"""Generic models: fixed prices per hour or per month, usage only, and no charge.

``hourly`` and ``monthly`` take their figure from the catalogue's ``hourly``/``monthly`` table::

    price: {model: hourly, key: natGateway, label: NAT gateway}
    price: {model: hourly, key: networkFirewallEndpoint, label: firewall endpoint, per: subnets}
    price: {model: monthly, key: secretsManagerSecret, label: secret, per: replicas, plus: 1}
    price: {model: monthly, key: acmPrivateCa, label: private CA,
            choose: {role: usageMode, keys: {SHORT_LIVED_CERTIFICATE: acmPrivateCaShortLived}}}

``per`` names a role (a list, counted; or a number) that multiplies the figure, ``plus`` adds to
that count, ``min`` is the least count billed. ``fixed`` adds several such ``lines``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..quote import Quote, Unpriced, model
from ..values import MISSING


def count_of(q: Quote, role: str) -> float:
    """A role's count: the length of a list role (``.*``), else its number."""
    if q.kind.path(role)[-1] == "*":
        return float(q.count(role))
    return q.number(role, 0)


def _key(q: Quote, line: Mapping[str, Any]) -> str:
    choose = line.get("choose")
    if not isinstance(choose, Mapping):
        return str(line["key"])
    found = q.known(str(choose["role"]), MISSING)
    keys = choose.get("keys", {})
    if found in keys:
        return str(keys[found])
    if "key" not in line:
        shown = "unset" if found is MISSING else repr(found)
        raise Unpriced(f"no price for {line.get('label')} with {q._where(str(choose['role']))} {shown}; "
                       f"priced: {', '.join(map(str, keys))}")
    return str(line["key"])


def add_line(q: Quote, line: Mapping[str, Any], table: str) -> None:
    label = str(line.get("label", q.kind.type))
    count = 1.0
    if "per" in line:
        count = count_of(q, str(line["per"])) + float(line.get("plus", 0))
    count = max(count, float(line.get("min", 0)))
    if count == 0:
        q.note(f"no {label}")
        return
    key = _key(q, line)
    if table == "hourly":
        q.hourly(f"{label} ({count:g})" if count != 1 else label, count, table, key, label)
    else:
        q.fixed(label, count, "months", table, key, label)


@model("hourly")
def hourly(q: Quote) -> None:
    add_line(q, q.params, "hourly")


@model("monthly")
def monthly(q: Quote) -> None:
    add_line(q, q.params, "monthly")


@model("fixed")
def fixed(q: Quote) -> None:
    for line in q.params.get("lines", []):
        price = str(line["price"])
        table, _, key = price.partition(".")
        add_line(q, {**line, "key": key}, table)


@model("usage")
def usage(q: Quote) -> None:
    """No cost fixed by configuration: the ``usage`` lines of the price block say what is billed."""


@model("free")
def free(q: Quote) -> None:
    """No charge of its own (IAM, routes, security groups ...)."""
