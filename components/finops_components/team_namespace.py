"""A team's Kubernetes namespace, with quotas and container limits from the environment's caps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from finops_core.pod_specs import QUOTA_ACCELERATORS
from finops_core.quantity import cpu_quantity, memory_quantity

from .caps import CapError
from .locations import code_location
from .tagging import current_environment


@dataclass
class TeamNamespaceArgs:
    """Arguments of :class:`TeamNamespace`: the owning ``team`` and ``service`` (labels), the
    ``namespace`` name (default the team's), ``max_pods`` (the quota's pod count and the
    multiple of the container cap it allows) and ``default_request_fraction`` (the share of
    the cap a container that sets no requests asks for); ``feature`` the optional label.

    Example: ``finops.TeamNamespaceArgs(team="backend", service="policy-engine", max_pods=10)``
    """

    team: str
    service: str
    namespace: str | None = None  # default: the team name
    max_pods: int = 20
    # Containers that set no requests get this share of the cap as their request.
    default_request_fraction: float = 0.25
    feature: str | None = None


class TeamNamespace(pulumi.ComponentResource):
    """A team's Kubernetes namespace, with quotas and container limits from the environment's caps.

    Creates a labelled ``Namespace``, a ``LimitRange`` whose container maximum and default are
    the environment's container cap (dev: 1 CPU, 2 GiB) and whose default request is
    ``default_request_fraction`` of it, and a ``ResourceQuota`` of ``max_pods`` pods and
    ``max_pods`` times the cap in limits, and of accelerators (``requests.nvidia.com/gpu`` ...:
    ``max_pods`` times the container cap's ``maxGpus``, so none in dev), with no LoadBalancer
    Services in dev. Caps: rules.yaml ``container`` (policy ``finops-container-limits``).

    Example::

        finops.enforce()
        finops.TeamNamespace("ns-backend", finops.TeamNamespaceArgs(team="backend", service="policy-engine"),
                             opts=pulumi.ResourceOptions(provider=cluster.provider))
    """

    namespace: k8s.core.v1.Namespace

    def __init__(self, name: str, args: TeamNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        labels = env.labels_for(service=args.service, team=args.team, feature=args.feature)
        if args.max_pods < 1 or not 0 < args.default_request_fraction <= 1:
            raise CapError(f"{code_location()}: TeamNamespace '{name}': found max_pods={args.max_pods}, "
                           f"default_request_fraction={args.default_request_fraction}; "
                           "allowed: max_pods >= 1, 0 < fraction <= 1.")
        super().__init__("finops:index:TeamNamespace", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cap = env.rules.container
        namespace_name = args.namespace or args.team

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", metadata={"name": namespace_name, "labels": labels}, opts=child)
        meta: Any = {"namespace": self.namespace.metadata.name, "labels": labels}
        max_cpu, max_memory = cpu_quantity(cap.cpu_cores), memory_quantity(cap.memory_bytes)
        fraction = type(cap.cpu_cores)(str(args.default_request_fraction))
        limit_spec: Any = {
            "limits": [{
                "type": "Container",
                "max": {"cpu": max_cpu, "memory": max_memory},
                "default": {"cpu": max_cpu, "memory": max_memory},
                "default_request": {"cpu": cpu_quantity(cap.cpu_cores * fraction),
                                    "memory": memory_quantity(cap.memory_bytes * fraction)},
            }],
        }
        limits_meta: Any = {**meta, "name": "finops-container-limits"}
        quota_meta: Any = {**meta, "name": "finops-quota"}
        k8s.core.v1.LimitRange(f"{name}-limits", metadata=limits_meta,
                               spec=limit_spec, opts=child)
        quota_spec: Any = {
            "hard": {
                "pods": str(args.max_pods),
                "limits.cpu": cpu_quantity(cap.cpu_cores * args.max_pods),
                "limits.memory": memory_quantity(cap.memory_bytes * args.max_pods),
                # LoadBalancer Services are a per-hour cost of their own; ask for them explicitly.
                "services.loadbalancers": "0" if env.name == "dev" else "2",
                # GPUs and other accelerators: none where the environment allows none (dev).
                **{f"requests.{name}": str(cap.max_gpus * args.max_pods) for name in QUOTA_ACCELERATORS},
            },
        }
        k8s.core.v1.ResourceQuota(f"{name}-quota", metadata=quota_meta, spec=quota_spec,
                                  opts=child)
        self.register_outputs({"namespace": self.namespace.metadata.name})
