"""Judgements shared by the components (before creating anything) and the policy pack."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from . import catalogue
from .catalogue import InstanceType

EXCEPTION_HINT = "For an exception, ask the platform team to approve a waiver."


def waived_message(policy: str, message: str, waiver: str) -> str:
    """A finding an approved waiver sets aside: the finding, without its hint to ask for a waiver
    (it has one), then the waiver."""
    finding = message.removesuffix(EXCEPTION_HINT).rstrip()
    return f"waived {policy}: {finding} -- {waiver}"


class SizeCap(Hashable, Protocol):
    """Any cap block with maxVcpus and maxMemoryGib (instance, database, cache, search, ...); frozen,
    so judgements are cached per cap. A block without maxGpus allows no GPU or other accelerator:
    GPUs are judged everywhere."""

    @property
    def max_vcpus(self) -> float: ...

    @property
    def max_memory_gib(self) -> float: ...
# Classes that name no instance (Aurora Serverless v2 scales in ACUs, not instance sizes).
NOT_INSTANCE_CLASSES = frozenset({"db.serverless"})


# A message stays readable whatever the input (a resource with 50,000 tags): each part is cut here.
MAX_PART = 400


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_PART else f"{text[:MAX_PART]}... ({len(text) - MAX_PART} more characters)"


def violation(subject: str, rule: str, found: str, allowed: str, fix: str) -> str:
    """The one shape of every message: resource, rule, found value, allowed values, fix."""
    return (f"{_bounded(subject)}: {_bounded(rule)}: found {_bounded(found)}; allowed: {_bounded(allowed)}. "
            f"Fix: {_bounded(fix)} {EXCEPTION_HINT}")


def _max_gpus(cap: SizeCap) -> int:
    return int(getattr(cap, "max_gpus", 0))


def describe_cap(cap: SizeCap, instance: InstanceType | None = None) -> str:
    """The cap in words; GPUs are named where the cap has a GPU limit or the type has GPUs."""
    parts = [f"at most {cap.max_vcpus:g} vCPU", f"{cap.max_memory_gib:g} GiB memory"]
    gpus = _max_gpus(cap)
    if hasattr(cap, "max_gpus") or (instance is not None and instance.accelerators):
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
    gpus = _max_gpus(cap)
    best = None
    for candidate in catalogue.all_types():
        if candidate.family != family:
            continue
        if candidate.vcpus > cap.max_vcpus or candidate.memory_gib > cap.max_memory_gib:
            continue
        if candidate.accelerators > gpus:
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
    fits = (known.vcpus <= cap.max_vcpus and known.memory_gib <= cap.max_memory_gib
            and known.accelerators <= _max_gpus(cap))
    suggestion = None
    if not fits:
        fitting = _largest_fitting(known.family, cap)
        naming = catalogue.naming_of(name)
        suggestion = (fitting if known.name == name or naming.matches(fitting) else naming.spell(fitting)) \
            if fitting else None
    return InstanceVerdict(name, known, fits, f"{name} ({known.describe()})", suggestion)
