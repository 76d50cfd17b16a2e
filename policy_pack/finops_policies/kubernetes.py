"""Where Kubernetes workloads keep their pod template, by kind (any API version)."""

from __future__ import annotations

from finops_components.guardrails.resource_types import is_labelled_kubernetes_type

# kind -> path from the object to its PodTemplateSpec ({metadata, spec}).
POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
}
# Kinds whose pod spec sits directly on the object.
POD_SPECS: dict[str, tuple[str, ...]] = {"Pod": ("spec",)}


def kind_of(resource_type: str) -> str:
    """``kubernetes:apps/v1:Deployment`` -> ``Deployment``."""
    return resource_type.rsplit(":", 1)[-1]


def is_kubernetes_object(resource_type: str) -> bool:
    return resource_type.startswith("kubernetes:") and is_labelled_kubernetes_type(resource_type)


def pod_spec_path(resource_type: str) -> tuple[str, ...] | None:
    kind = kind_of(resource_type)
    if kind in POD_SPECS:
        return POD_SPECS[kind]
    template = POD_TEMPLATES.get(kind)
    return (*template, "spec") if template else None
