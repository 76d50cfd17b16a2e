"""Right-sizing from measured utilization: statistics of hourly averages and the recommendation.

A resource's hourly averages (CloudWatch, one per hour over N days) give its average and the
p95 of the hours. The recommendation, from the instance catalogue and the price list:

- ``downsize``: the smallest type of the same family and architecture whose vCPUs keep the p95
  at or under the target (rules.yaml ``utilization.target``), scaled by the vCPU ratio;
- ``stop`` (instances, databases) or ``delete`` (load balancers, NAT gateways, unattached volumes,
  unassociated EIPs) when idle: under ``utilization.idlePercent`` average CPU, no requests, or
  about no bytes; the saving is what stops being billed;
- ``none`` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import catalogue
from .estimate import Estimate, estimate_resource
from .prices import load_prices
from .rules.schema import UtilizationRules
from .utilization_math import average_and_p95, projected_percent, smaller_types

HOURS_UNIT = "hours"


@dataclass(frozen=True)
class Stats:
    average: float
    p95: float
    hours: int


def stats_of(hourly: Sequence[float]) -> Stats | None:
    """Average and p95 of hourly averages; None without data."""
    found = average_and_p95(hourly)
    return Stats(found[0], found[1], len(hourly)) if found else None


@dataclass(frozen=True)
class Recommendation:
    action: str                     # downsize | stop | delete | none
    reason: str
    to: str | None = None
    monthly_saving_usd: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"action": self.action, "to": self.to, "monthlySavingUsd": round(self.monthly_saving_usd, 2),
                "reason": self.reason}


NONE = "none"


@dataclass(frozen=True)
class Measured:
    """What was read of one resource: its priced configuration and its metrics' statistics."""

    resource_type: str                      # the Pulumi type token that prices it
    inputs: Mapping[str, Any]               # its priced inputs (instanceType, instanceClass ...)
    size_key: str | None                    # the input holding the instance type, if it has one
    cpu: Stats | None = None
    requests: float | None = None           # total over the period (load balancers)
    bytes_per_day: float | None = None      # average a day (NAT gateways)
    unused: str | None = None               # why it is unused (unattached volume, unassociated EIP)


Pricer = Callable[[str, Mapping[str, Any]], Estimate | None]


def pricer(region: str) -> Pricer:
    return lambda resource_type, inputs: estimate_resource(resource_type, inputs, region)


def running_usd(estimate: Estimate | None) -> float:
    """What stopping saves: the lines billed by the running hour (storage stays billed)."""
    if estimate is None:
        return 0.0
    hourly = [c.monthly_usd or 0.0 for c in estimate.components if c.unit == HOURS_UNIT]
    return round(sum(hourly), 2) if hourly else round(estimate.monthly_usd or 0.0, 2)


def _candidates(type_name: str) -> list[catalogue.InstanceType]:
    """Smaller types of the same family and architecture, spelt as the service spells them."""
    current = catalogue.lookup(type_name)
    if current is None:
        return []
    naming = catalogue.naming_of(type_name)
    found = []
    for candidate in catalogue.all_types():
        if (candidate.family == current.family and candidate.arch == current.arch
                and candidate.vcpus < current.vcpus and not candidate.accelerators
                and not candidate.name.endswith(".metal")):
            spelt = naming.spell(candidate.name)
            if catalogue.lookup(spelt) is not None:
                found.append(candidate)
    return sorted(found, key=lambda t: (t.vcpus, t.memory_mib))


def _downsize(m: Measured, rules: UtilizationRules, price: Pricer, monthly: float) -> Recommendation | None:
    if m.size_key is None or m.cpu is None:
        return None
    type_name = str(m.inputs.get(m.size_key, ""))
    current = catalogue.lookup(type_name)
    if current is None or m.cpu.p95 > rules.target_percent:
        return None
    naming = catalogue.naming_of(type_name)
    vcpus = {c.name: c.vcpus for c in _candidates(type_name)}
    for name in smaller_types(m.cpu.p95, current.vcpus, vcpus.items(), rules.target_percent):
        projected = projected_percent(m.cpu.p95, current.vcpus, vcpus[name])
        to = naming.spell(name)
        after = price(m.resource_type, {**m.inputs, m.size_key: to})
        if after is None or after.monthly_usd is None:
            continue
        saving = round(monthly - after.monthly_usd, 2)
        if saving <= 0:
            continue
        return Recommendation("downsize", f"p95 CPU {m.cpu.p95:g} % of {current.vcpus} vCPU would be about "
                              f"{projected:.0f} % of {vcpus[name]} vCPU on {to}, at or under the "
                              f"{rules.target_percent:g} % target", to, saving)
    return None


def recommend(m: Measured, rules: UtilizationRules, price: Pricer) -> tuple[Recommendation, float | None]:
    """The recommendation and the resource's monthly estimate (None where unpriced)."""
    estimate = price(m.resource_type, m.inputs)
    monthly = estimate.monthly_usd if estimate is not None else None
    if m.unused:
        return Recommendation("delete", m.unused, None, monthly or 0.0), monthly
    if m.cpu is not None and m.cpu.average < rules.idle_percent:
        return Recommendation("stop", f"idle: average CPU {m.cpu.average:g} % under {rules.idle_percent:g} % "
                              f"over {m.cpu.hours} hours", None, running_usd(estimate)), monthly
    if m.requests is not None and m.requests == 0:
        return Recommendation("delete", "idle: no requests in the period", None, monthly or 0.0), monthly
    if m.bytes_per_day is not None and m.bytes_per_day < rules.idle_bytes_per_day:
        return Recommendation("delete", f"idle: {m.bytes_per_day:,.0f} bytes a day through it, under "
                              f"{rules.idle_bytes_per_day:,.0f}", None, monthly or 0.0), monthly
    if monthly is not None:
        smaller = _downsize(m, rules, price, monthly)
        if smaller is not None:
            return smaller, monthly
    if m.cpu is None and m.requests is None and m.bytes_per_day is None:
        return Recommendation(NONE, "no metric data in the period"), monthly
    if m.cpu is not None and m.cpu.p95 > rules.target_percent:
        return Recommendation(NONE, f"busy: p95 CPU {m.cpu.p95:g} % above the {rules.target_percent:g} % target"), \
            monthly
    return Recommendation(NONE, "no smaller type of its family keeps p95 at or under the target"
                          if m.cpu is not None else "in use"), monthly


def packed_sizes(region: str) -> dict[str, Any]:
    """What the daily report's Lambda prices findings with, written into its package at deployment:
    ``types`` (EC2 name -> family, vCPUs, architecture, for types without accelerators) and the
    region's on-demand hourly prices of EC2 (``ec2``: type) and RDS (``rds``: engine/class, single-AZ)."""
    prices = load_prices()
    ec2 = prices.table("ec2", region)
    rds = prices.table("rds", region)
    types = {t.name: [t.family, t.vcpus, t.arch] for t in catalogue.all_types()
             if not t.accelerators and not t.name.endswith(".metal") and "." in t.name}
    return {"region": region,
            "types": dict(sorted(types.items())),
            "ec2": {k: v for k, v in sorted((ec2.prices if ec2 else {}).items()) if k in types},
            # Single-AZ instances ("postgres/db.m5.large/single") and Aurora members (no deployment).
            "rds": {k.removesuffix("/single"): v for k, v in sorted((rds.prices if rds else {}).items())
                    if k.count("/") == 1 or k.endswith("/single")}}
