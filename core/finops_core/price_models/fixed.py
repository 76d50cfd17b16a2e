"""Generic models: fixed prices per hour or per month, usage only, and no charge.

``hourly`` and ``monthly`` take their figure from the catalogue's ``hourly``/``monthly`` table::

    price: {model: hourly, key: natGateway, label: NAT gateway}
    price: {model: hourly, key: networkFirewallEndpoint, label: firewall endpoint, per: subnets}
    price: {model: monthly, key: secretsManagerSecret, label: secret, per: replicas, plus: 1}
    price: {model: monthly, key: acmPrivateCa, label: private CA,
            choose: {role: usageMode, keys: {SHORT_LIVED_CERTIFICATE: acmPrivateCaShortLived}}}

``per`` names a role (a list, counted; or a number) that multiplies the figure, ``plus`` adds to
that count, ``min`` is the least count billed. ``fixed`` adds several such ``lines``.

A ``usage`` line may ``choose`` its price by a role's value (a list role: any of its elements),
replacing the line's ``price``, and optionally its ``name`` and ``unit``, for that value::

    usage:
      - {name: duration (x86), key: monthlyGbSeconds, unit: GB-seconds, table: lambda, price: x86_gb_second,
         choose: {role: architectures, keys: {arm64: {name: duration (arm64), price: arm_gb_second}}}}

The ``usage`` model and the models that call :func:`choose_usage_lines` resolve it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..quote import Quote, Unpriced, model
from ..values import MISSING, UNKNOWN


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


def _chosen(q: Quote, line: Mapping[str, Any]) -> Mapping[str, Any]:
    choose = line.get("choose")
    if not isinstance(choose, Mapping):
        return line
    role = str(choose["role"])
    keys: Mapping[str, Any] = choose.get("keys", {})
    found = [value for _, value in q.values(role)]
    if any(value is UNKNOWN for value in found):
        # A usage line has no figure until the usage file gives an amount, so an unknown value
        # need not leave the resource unpriced: the line keeps its default price and says so.
        q.note(f"{q._where(role)} not known until the update: {line['name']} at the {line['price']} price")
        return line
    for value in found:
        if isinstance(value, str) and value in keys:
            return {**{k: v for k, v in line.items() if k != "choose"}, **keys[value]}
    return line


def choose_usage_lines(q: Quote) -> None:
    """Resolves the ``choose`` of the price block's usage lines for this resource.

    The estimator adds the block's usage lines (``q.params["usage"]``) after the model has run, so
    the model hands it the chosen lines: one price per line, the one that applies to this
    configuration (arm64 Lambda duration, an NLB's NLCU rather than an ALB's LCU)."""
    lines = q.params.get("usage", [])
    if any(isinstance(line.get("choose"), Mapping) for line in lines):
        q.params = {**q.params, "usage": [_chosen(q, line) for line in lines]}


@model("usage")
def usage(q: Quote) -> None:
    """No cost fixed by configuration: the ``usage`` lines of the price block say what is billed."""
    choose_usage_lines(q)


@model("free")
def free(q: Quote) -> None:
    """No charge of its own (IAM, routes, security groups ...)."""
