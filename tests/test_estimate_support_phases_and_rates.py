"""Rates that depend on the day and on the configuration: the EKS (and RDS) support phase judged as
of the day of the estimate in every region, the EKS release calendar as AWS publishes it, the
default EKS version, Lambda duration by architecture, and each load balancer type's own capacity
unit."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from finops_core import estimate_resource, load_prices

US, EU = "us-east-1", "eu-west-1"   # eu-west-1's tables are dated 2025-06-01, us-east-1's 2026-11-29
EKS = "aws:eks/cluster:Cluster"
LAMBDA = "aws:lambda/function:Function"
HOURS = 730

# Amazon EKS User Guide, "Amazon EKS Kubernetes release calendar" (UTC): version -> (end of standard
# support, end of extended support).
AWS_EKS_CALENDAR = {
    "1.23": ("2023-10-11", "2024-10-11"), "1.24": ("2024-01-31", "2025-01-31"),
    "1.25": ("2024-05-01", "2025-05-01"), "1.26": ("2024-06-11", "2025-06-11"),
    "1.27": ("2024-07-24", "2025-07-24"), "1.28": ("2024-11-26", "2025-11-26"),
    "1.29": ("2025-03-23", "2026-03-23"), "1.30": ("2025-07-23", "2026-07-23"),
    "1.31": ("2025-11-26", "2026-11-26"), "1.32": ("2026-03-23", "2027-03-23"),
    "1.33": ("2026-07-29", "2027-07-29"), "1.34": ("2026-12-02", "2027-12-02"),
    "1.35": ("2027-03-27", "2028-03-27"),
}


def monthly(resource_type: str, inputs: dict[str, Any], region: str = US, **options: Any) -> float | None:
    estimate = estimate_resource(resource_type, inputs, region, **options)
    assert estimate is not None, resource_type
    return estimate.monthly_usd


# --- EKS: the support phase as of the day of the estimate ---------------------------------------

@pytest.mark.parametrize("region", [US, EU])
def test_eks_support_phase_is_judged_as_of_today_in_every_region(region: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_TODAY", "2026-11-29")
    # 1.31 left standard support on 2025-11-26: extended ($0.60 an hour) even where the region's
    # prices are dated before that day.
    estimate = estimate_resource(EKS, {"version": "1.31"}, region)
    assert estimate is not None and estimate.monthly_usd == round(0.60 * HOURS, 2), estimate
    assert "on 2026-11-29" in estimate.basis
    assert monthly(EKS, {"version": "1.35"}, region) == round(0.10 * HOURS, 2)


def test_eks_support_phase_follows_the_day_not_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_TODAY", "2025-06-01")   # before 1.31's end of standard support
    assert monthly(EKS, {"version": "1.31"}, US) == monthly(EKS, {"version": "1.31"}, EU) == 73.0
    # Extended-support billing starts at the beginning of the end-of-standard-support day (UTC).
    monkeypatch.setenv("FINOPS_TODAY", "2026-12-01")
    assert monthly(EKS, {"version": "1.34"}, EU) == 73.0
    monkeypatch.setenv("FINOPS_TODAY", "2026-12-02")
    assert monthly(EKS, {"version": "1.34"}, EU) == 438.0


def test_eks_past_end_of_extended_support_stays_at_the_extended_price(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_TODAY", "2026-11-29")
    estimate = estimate_resource(EKS, {"version": "1.29"}, US)
    assert estimate is not None and estimate.monthly_usd == 438.0
    assert "end of extended support (2026-03-23)" in estimate.basis


def test_eks_calendar_matches_the_aws_release_calendar() -> None:
    calendar = load_prices().calendars["eksStandardSupportEnds"]
    assert calendar["standardSupportEnds"] == {v: ends[0] for v, ends in AWS_EKS_CALENDAR.items()}
    assert calendar["extendedSupportEnds"] == {v: ends[1] for v, ends in AWS_EKS_CALENDAR.items()}
    assert load_prices().eks_support_ends("1.31.4") == (dt.date(2025, 11, 26), dt.date(2026, 11, 26))


def test_default_cluster_version_is_the_newest_in_standard_support() -> None:
    from finops_components.kubernetes_cluster import KubernetesClusterArgs

    default = next(f.default for f in dataclasses.fields(KubernetesClusterArgs) if f.name == "version")
    day = dt.date(2026, 11, 29)
    in_standard = [v for v, ends in AWS_EKS_CALENDAR.items() if dt.date.fromisoformat(ends[0]) > day]
    newest = max(in_standard, key=lambda v: tuple(int(p) for p in v.split(".")))
    assert default == newest == "1.35"
    assert load_prices().eks_extended_support(str(default), day) is False


# --- RDS Extended Support: the same day in every region -----------------------------------------

def test_rds_extended_support_is_judged_as_of_today_in_every_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINOPS_TODAY", "2026-11-29")
    base = {"engine": "postgres", "instanceClass": "db.t3.large", "allocatedStorage": 20}
    for region in (US, EU):
        current = monthly("aws:rds/instance:Instance", {**base, "engineVersion": "16.3"}, region)
        # PostgreSQL 13 entered Extended Support on 2026-03-01, after eu-west-1's catalogue date.
        old = monthly("aws:rds/instance:Instance", {**base, "engineVersion": "13.15"}, region)
        assert old == round((current or 0) + 2 * HOURS * 0.10, 2), region


# --- Lambda: arm64 duration ----------------------------------------------------------------------

@pytest.mark.parametrize(("architectures", "rate", "name"), [
    (None, 0.0000166667, "duration (x86)"),          # the provider's default, x86_64
    (["x86_64"], 0.0000166667, "duration (x86)"),
    (["arm64"], 0.0000133334, "duration (arm64)"),
])
def test_lambda_duration_is_priced_by_architecture(architectures: list[str] | None, rate: float,
                                                   name: str) -> None:
    inputs: dict[str, Any] = {"memorySize": 1024}
    if architectures is not None:
        inputs["architectures"] = architectures
    usage = {"monthlyRequests": 2_000_000, "monthlyGbSeconds": 1_000_000}
    estimate = estimate_resource(LAMBDA, inputs, US, usage=usage)
    assert estimate is not None and estimate.usage_priced
    assert estimate.monthly_usd == round(2 * 0.20 + 1_000_000 * rate, 2)
    duration = [c for c in estimate.components if c.usage_key == "monthlyGbSeconds"]
    assert [(c.name, c.unit_usd) for c in duration] == [(name, rate)]
    # Without amounts the usage-priced line states the architecture's rate.
    pending = estimate_resource(LAMBDA, inputs, US)
    assert pending is not None and pending.usage_priced and f"{name} ${rate:.10f}".rstrip("0") in pending.basis


# --- load balancers: each type's capacity unit ---------------------------------------------------

@pytest.mark.parametrize("resource_type", ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"])
@pytest.mark.parametrize(("kind", "hourly", "unit_rate", "unit"), [
    ("application", 0.0225, 0.008, "LCU-hours"),
    ("network", 0.0225, 0.006, "NLCU-hours"),
    ("gateway", 0.0125, 0.004, "GLCU-hours"),
])
def test_load_balancer_capacity_units_at_their_type_rate(resource_type: str, kind: str, hourly: float,
                                                         unit_rate: float, unit: str) -> None:
    estimate = estimate_resource(resource_type, {"loadBalancerType": kind}, US,
                                 usage={"monthlyCapacityUnitHours": 1000})
    assert estimate is not None
    assert estimate.monthly_usd == round(hourly * HOURS + 1000 * unit_rate, 2)
    units = [c for c in estimate.components if c.usage_key == "monthlyCapacityUnitHours"]
    assert [(c.unit, c.unit_usd) for c in units] == [(unit, unit_rate)]


def test_load_balancer_without_a_type_is_an_application_load_balancer() -> None:
    estimate = estimate_resource("aws:lb/loadBalancer:LoadBalancer", {}, US, usage={"monthlyCapacityUnitHours": 10})
    assert estimate is not None and estimate.monthly_usd == round(0.0225 * HOURS + 10 * 0.008, 2)
