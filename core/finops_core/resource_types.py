"""Which resource types carry cost-allocation tags or labels.

Generated from the provider SDKs by ``scripts/generate_resource_types.py`` rather than
written by hand, so a new AWS resource with ``tags`` is policed from the next regeneration.
"""

from __future__ import annotations

from functools import cache

from .data import DATA_DIR

_HERE = DATA_DIR


@cache
def _read(name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    with (_HERE / name).open(encoding="utf-8") as handle:
        for line in handle:
            if line and not line.startswith("#"):
                token, shape = line.rstrip("\n").split("\t")
                table[token] = shape
    return table


def aws_tag_shape(resource_type: str) -> str | None:
    """"map" for ``tags: {Key: Value}``, "list" for key/value blocks, None if untaggable."""
    return _read("aws_taggable_types.tsv").get(resource_type)


def is_labelled_kubernetes_type(resource_type: str) -> bool:
    return resource_type in _read("kubernetes_labelled_types.tsv")


def aws_taggable_types() -> frozenset[str]:
    return frozenset(_read("aws_taggable_types.tsv"))
