"""A team's Kubernetes namespace, with quotas and container limits from the environment's caps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from finops_core.quantity import cpu_quantity, memory_quantity

from .caps import CapError
from .tagging import current_environment


@dataclass
class TeamNamespaceArgs:
    team: str
    service: str
    namespace: str | None = None  # default: the team name
    max_pods: int = 20
    # Containers that set no requests get this share of the cap as their request.
    default_request_fraction: float = 0.25


class TeamNamespace(pulumi.ComponentResource):
    namespace: k8s.core.v1.Namespace

    def __init__(self, name: str, args: TeamNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        labels = env.labels_for(service=args.service, team=args.team)
        if args.max_pods < 1 or not 0 < args.default_request_fraction <= 1:
            raise CapError(f"TeamNamespace '{name}': found max_pods={args.max_pods}, default_request_fraction="
                           f"{args.default_request_fraction}; allowed: max_pods >= 1, 0 < fraction <= 1.")
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
            },
        }
        k8s.core.v1.ResourceQuota(f"{name}-quota", metadata=quota_meta, spec=quota_spec,
                                  opts=child)
        self.register_outputs({"namespace": self.namespace.metadata.name})
