"""Containers: EKS control planes (standard or extended support by Kubernetes version) and ECS
services on Fargate (the task definition's vCPUs and memory, per running task).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..quote import Quote, Unpriced, model
from ..values import MISSING
from ..waivers import today

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"


def _minor(version: str) -> tuple[int, int] | None:
    match = re.match(r"^v?(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def eks_extended(q: Quote, version: str, day: dt.date) -> bool:
    """Whether ``version`` is past its standard support on ``day`` (the day of the estimate)."""
    listed = q.catalogue.eks_extended_support(version, day)
    if listed is not None:
        return listed
    calendar = q.catalogue.calendars.get("eksStandardSupportEnds", {}).get("standardSupportEnds", {})
    minors = [m for m in (_minor(v) for v in calendar) if m is not None]
    found = _minor(version)
    if found is None:
        raise Unpriced(f"version={version!r} is not a Kubernetes version such as 1.35", "bad-value")
    return bool(minors) and found < min(minors)   # older than the calendar: long past standard support


@model("eks-cluster")
def eks_cluster(q: Quote) -> None:
    version = q.known("version")
    if version is None:
        q.hourly("EKS cluster (standard support)", 1, "hourly", "eksCluster", "EKS cluster")
        q.note("no version: the newest, in standard support")
        return
    if q.text("supportType", "EXTENDED") == "STANDARD":
        q.hourly("EKS cluster (standard support)", 1, "hourly", "eksCluster", "EKS cluster")
        q.note("upgradePolicy STANDARD: upgraded when standard support ends")
        return
    # The support phase is judged as of the day of the estimate (FINOPS_TODAY, else today in UTC),
    # the same in every region: a region's catalogue date says how old its prices are, not which
    # phase of the EKS calendar a version is in.
    day = today()
    if eks_extended(q, str(version), day):
        q.hourly(f"EKS cluster {version} (extended support)", 1, "hourly", "eksClusterExtendedSupport",
                 "EKS extended support")
        ends = q.catalogue.eks_support_ends(str(version))
        if ends is None:
            q.note(f"Kubernetes {version} is older than the EKS calendar: past standard support on {day}")
            return
        q.note(f"Kubernetes {version} is past standard support (ended {ends[0]}) on {day}")
        if ends[1] is not None and ends[1] <= day:
            # AWS then upgrades the control plane to the oldest version still in extended support,
            # so the cluster stays at the extended-support price.
            q.note(f"past its end of extended support ({ends[1]}): AWS upgrades the control plane to the "
                   "oldest version in extended support, at the same price")
    else:
        q.hourly(f"EKS cluster {version} (standard support)", 1, "hourly", "eksCluster", "EKS cluster")


def task_size(cpu: Any, memory: Any) -> tuple[float, float]:
    """(vCPUs, GB) of a task definition's ``cpu`` ("1024", "1 vCPU") and ``memory`` ("2048", "2 GB")."""

    def amount(value: Any, unit: str, what: str) -> float:
        text = str(value).strip().lower()
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(vcpu|gb)?", text)
        if value is MISSING or match is None:
            raise Unpriced(f"task definition {what}={value!r} is not a Fargate size", "bad-value")
        number = float(match.group(1))
        return number if match.group(2) == unit else number / 1024

    return amount(cpu, "vcpu", "cpu"), amount(memory, "gb", "memory")


@model("ecs-service")
def ecs_service(q: Quote) -> None:
    providers = [value for _, value in q.values("capacityProvider") if isinstance(value, str)]
    launch = q.text("launchType", "")
    fargate = launch == "FARGATE" or any(p.startswith("FARGATE") for p in providers)
    if not fargate:
        q.note(f"launch type {launch or 'EC2 (the default)'}: the instances it runs on are priced")
        return
    if "FARGATE_SPOT" in providers:
        q.note("Fargate Spot at the Fargate price, an upper bound")
    tasks = q.number("desiredCount", 0)
    kind, inputs = q.required_related(TASK_DEFINITION, "taskDefinition", "the task size is set by a task definition")
    vcpus, gb = task_size(kind.value(inputs, "cpuUnits"), kind.value(inputs, "memoryMib"))
    arm = kind.value(inputs, "cpuArchitecture") == "ARM64"
    prefix = "linux_arm" if arm else "linux_x86"
    q.fixed(f"Fargate vCPU ({tasks:g} tasks x {vcpus:g} vCPU)", tasks * vcpus * q.hours, "vCPU-hours", "fargate",
            f"{prefix}_vcpu_hour", "Fargate vCPU")
    q.fixed(f"Fargate memory ({tasks:g} tasks x {gb:g} GB)", tasks * gb * q.hours, "GB-hours", "fargate",
            f"{prefix}_gb_hour", "Fargate memory")
