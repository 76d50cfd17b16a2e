"""Where Kubernetes workloads keep their pod template, by kind (any API version).

Shared by ``enforce()`` (which labels pod templates) and the policy pack (which checks them),
so both agree on which objects have templates.
"""

from __future__ import annotations

import re

# kind -> path from the object to its PodTemplateSpec ({metadata, spec}), in API (camelCase) names.
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


def python_name(api_name: str) -> str:
    """``jobTemplate`` -> ``job_template``: how Python programs spell the same input."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", api_name).lower()


# Extended resources that are accelerators: what device plugins advertise for GPUs (NVIDIA, AMD,
# Intel), AWS Inferentia/Trainium and Habana Gaudi. Judged against the container cap's maxGpus.
ACCELERATOR_RESOURCES = ("nvidia.com/", "amd.com/gpu", "gpu.intel.com/", "aws.amazon.com/neuron",
                         "habana.ai/gaudi")


# The accelerators a namespace quota caps by name (ResourceQuota takes extended resources only as
# ``requests.<name>``, and only whole names, not prefixes).
QUOTA_ACCELERATORS = ("nvidia.com/gpu", "amd.com/gpu", "aws.amazon.com/neuron", "aws.amazon.com/neuroncore",
                      "habana.ai/gaudi")


def is_accelerator_resource(name: str) -> bool:
    return name.startswith(ACCELERATOR_RESOURCES)
