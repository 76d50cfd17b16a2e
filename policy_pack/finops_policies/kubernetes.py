"""Kubernetes object helpers for the policies; the template paths live in guardrails."""

from __future__ import annotations

from finops_core.pod_specs import POD_SPECS, POD_TEMPLATES, kind_of
from finops_core.resource_types import is_labelled_kubernetes_type

__all__ = ["POD_SPECS", "POD_TEMPLATES", "is_kubernetes_object", "kind_of", "pod_spec_path"]


def is_kubernetes_object(resource_type: str) -> bool:
    return resource_type.startswith("kubernetes:") and is_labelled_kubernetes_type(resource_type)


def pod_spec_path(resource_type: str) -> tuple[str, ...] | None:
    kind = kind_of(resource_type)
    if kind in POD_SPECS:
        return POD_SPECS[kind]
    template = POD_TEMPLATES.get(kind)
    return (*template, "spec") if template else None
