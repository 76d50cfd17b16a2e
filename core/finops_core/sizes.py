"""Judgements shared by the components (before creating anything) and the policy pack."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from . import catalogue
from .catalogue import InstanceType
from .rules.schema import CacheCap, DatabaseCap, InstanceCap

EXCEPTION_HINT = "For an exception, ask the platform team to approve a waiver."
SizeCap = InstanceCap | DatabaseCap | CacheCap
# Classes that name no instance (Aurora Serverless v2 scales in ACUs, not instance sizes).
NOT_INSTANCE_CLASSES = frozenset({"db.serverless"})


def violation(subject: str, rule: str, found: str, allowed: str, fix: str) -> str:
    """The one shape of every message: resource, rule, found value, allowed values, fix."""
    return f"{subject}: {rule}: found {found}; allowed: {allowed}. Fix: {fix} {EXCEPTION_HINT}"


def describe_cap(cap: SizeCap) -> str:
    parts = [f"at most {cap.max_vcpus:g} vCPU", f"{cap.max_memory_gib:g} GiB memory"]
    gpus = getattr(cap, "max_gpus", None)
    if gpus is not None:
        parts.append("no GPU" if gpus == 0 else f"{gpus} GPU/accelerator")
    return ", ".join(parts)


@dataclass(frozen=True)
class InstanceVerdict:
    name: str
    instance: InstanceType | None
    fits: bool
    found: str
    suggestion: str | None = None


@cache
def _largest_fitting(family: str, cap: SizeCap) -> str | None:
    gpus = getattr(cap, "max_gpus", None)
    best = None
    for candidate in catalogue.all_types():
        if candidate.family != family:
            continue
        if candidate.vcpus > cap.max_vcpus or candidate.memory_gib > cap.max_memory_gib:
            continue
        if gpus is not None and candidate.accelerators > gpus:
            continue
        if best is None or (candidate.vcpus, candidate.memory_mib) > (best.vcpus, best.memory_mib):
            best = candidate
    return best.name if best else None


@cache
def judge_instance(name: str, cap: SizeCap) -> InstanceVerdict:
    """Does the instance type / RDS class / cache node type ``name`` fit ``cap``?

    Unknown names do not fit (fail closed): their size cannot be judged.
    """
    if name in NOT_INSTANCE_CLASSES:
        return InstanceVerdict(name, None, True, name)
    known = catalogue.lookup(name)
    if known is None:
        near = ", ".join(catalogue.nearest(name)) or "none"
        return InstanceVerdict(name, None, False,
                               f"{name}, which is not in the instance catalogue (nearest known: {near})")
    gpus = getattr(cap, "max_gpus", None)
    fits = (known.vcpus <= cap.max_vcpus and known.memory_gib <= cap.max_memory_gib
            and (gpus is None or known.accelerators <= gpus))
    suggestion = None
    if not fits:
        fitting = _largest_fitting(known.family, cap)
        naming = catalogue.naming_of(name)
        suggestion = (fitting if known.name == name or naming.matches(fitting) else naming.spell(fitting)) \
            if fitting else None
    return InstanceVerdict(name, known, fits, f"{name} ({known.describe()})", suggestion)
