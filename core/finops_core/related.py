"""The resources of one program as a :data:`~finops_core.quote.Related` lookup, for kinds priced
from a resource they name: an EKS node group or Auto Scaling group from its launch template, an
ECS service from its task definition, a SageMaker endpoint from its configuration ...

A reference is matched against what a program can write in its place: the resource's id, name or
URN, its ARN, and the identifiers its inputs or outputs give (``name``, ``family``,
``clusterIdentifier`` ...). A task definition ARN (``...:task-definition/api:3``) or ``family:revision``
also finds the task definition of that family.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .quote import Related

IDENTIFIERS = ("id", "arn", "name", "family", "clusterIdentifier", "functionName", "streamName")


@dataclass(frozen=True)
class RelatedResource:
    type: str
    name: str
    inputs: Mapping[str, Any]
    id: str = ""
    urn: str = ""
    outputs: Mapping[str, Any] = field(default_factory=dict)


def _family(reference: str) -> str:
    """``arn:...:task-definition/api:3`` or ``api:3`` -> ``api``."""
    return reference.rsplit("/", 1)[-1].split(":", 1)[0]


def related_lookup(resources: Iterable[RelatedResource]) -> Related:
    index: dict[tuple[str, str], Mapping[str, Any]] = {}
    for resource in resources:
        keys = {resource.name, resource.id, resource.urn}
        for source in (resource.outputs, resource.inputs):
            keys.update(str(source[k]) for k in IDENTIFIERS if isinstance(source.get(k), str))
        for key in keys - {""}:
            index.setdefault((resource.type, key), resource.inputs)

    def find(resource_type: str, reference: str) -> Mapping[str, Any] | None:
        return index.get((resource_type, reference)) or index.get((resource_type, _family(reference)))

    return find
