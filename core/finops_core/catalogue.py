"""What an instance type *is*: vCPUs, memory, accelerators, architecture, and where that is written.

Two data files: ``instance_types.tsv``, generated from moto's copy of EC2's DescribeInstanceTypes by
``scripts/generate_instance_catalogue.py``, and ``instance_types_supplement.tsv``, kept by hand for
what that data lacks, each row citing the AWS page its figures come from.

Services spell EC2 types their own way (``db.r6g.large``, ``cache.t4g.micro``, ``ml.g5.xlarge``,
``r6g.large.search``, ``kafka.m5.large``): :data:`NAMINGS` says how, and such a name counts as
its EC2 twin. Types with no twin (Redshift nodes, OpenSearch UltraWarm, MSK Express brokers) are
in the supplement under their own name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

from .data import DATA_DIR

CATALOGUE_FILES = (DATA_DIR / "instance_types.tsv", DATA_DIR / "instance_types_supplement.tsv")
GENERATED_SOURCE = "moto's copy of EC2 DescribeInstanceTypes (scripts/generate_instance_catalogue.py)"


@dataclass(frozen=True, slots=True)
class Naming:
    """How a service writes an EC2 instance type: ``prefix + ec2 name + suffix``."""

    prefix: str = ""
    suffix: str = ""

    def matches(self, name: str) -> bool:
        return (bool(self.prefix) or bool(self.suffix)) and name.startswith(self.prefix) and name.endswith(
            self.suffix) and len(name) > len(self.prefix) + len(self.suffix)

    def strip(self, name: str) -> str:
        return name[len(self.prefix): len(name) - len(self.suffix)]

    def spell(self, ec2_name: str) -> str:
        return f"{self.prefix}{ec2_name}{self.suffix}"


# RDS, Aurora, DocumentDB, Neptune and MemoryDB all write "db."; OpenSearch also accepts the
# legacy Elasticsearch suffix.
NAMINGS: dict[str, Naming] = {
    "ec2": Naming(),
    "db": Naming(prefix="db."),
    "cache": Naming(prefix="cache."),
    "ml": Naming(prefix="ml."),
    "search": Naming(suffix=".search"),
    "elasticsearch": Naming(suffix=".elasticsearch"),
    "kafka": Naming(prefix="kafka."),
}


@dataclass(frozen=True, slots=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int
    accelerators: int
    arch: str
    current_generation: bool
    source: str = GENERATED_SOURCE

    @property
    def memory_gib(self) -> float:
        return self.memory_mib / 1024

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    def describe(self) -> str:
        gpus = f", {self.accelerators} GPU/accelerator" if self.accelerators else ", no GPU"
        return f"{self.vcpus} vCPU, {self.memory_gib:g} GiB{gpus}"


@cache
def _catalogue() -> dict[str, InstanceType]:
    types: dict[str, InstanceType] = {}
    for path in CATALOGUE_FILES:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("#") or line.startswith("type\t") or not line.strip():
                    continue
                name, vcpus, memory, accelerators, arch, current, *source = line.rstrip("\n").split("\t")
                types[name] = InstanceType(name, int(vcpus), int(memory), int(accelerators), arch, current == "1",
                                           source[0] if source else GENERATED_SOURCE)
    return types


def naming_of(name: str) -> Naming:
    """The service naming ``name`` is written in (EC2's when none matches)."""
    for naming in NAMINGS.values():
        if naming.matches(name):
            return naming
    return NAMINGS["ec2"]


def ec2_name(name: str) -> str:
    """``db.r5.large``, ``cache.r5.large``, ``r5.large.search`` -> ``r5.large``."""
    return naming_of(name).strip(name)


@cache
def lookup(name: str) -> InstanceType | None:
    """The figures of an instance type in any service's spelling, or None if unknown."""
    types = _catalogue()
    known = types.get(name)
    if known is not None:
        return known
    return types.get(ec2_name(name))


def nearest(name: str, count: int = 3) -> list[str]:
    """Known types whose names are closest to ``name``, spelled the way ``name`` was."""
    naming = naming_of(name)
    matches = difflib.get_close_matches(naming.strip(name), _catalogue().keys(), n=count, cutoff=0.5)
    return [naming.spell(match) if not naming_of(match).matches(match) else match for match in matches]


def all_types() -> list[InstanceType]:
    return list(_catalogue().values())
