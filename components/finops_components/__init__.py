"""FinOps components for Pulumi.

Heavy modules (those importing pulumi_aws or pulumi_kubernetes) are loaded on first use, so
``import finops_components.guardrails`` stays fast for the policy pack.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it.
_LAZY: dict[str, str] = {
    "enforce": "tagging",
    "current_environment": "tagging",
    "Environment": "environment",
    "environment_from_config": "environment",
    "CapError": "caps",
    "KubernetesCluster": "kubernetes_cluster",
    "KubernetesClusterArgs": "kubernetes_cluster",
    "NodeGroupSpec": "kubernetes_cluster",
    "TeamNamespace": "team_namespace",
    "TeamNamespaceArgs": "team_namespace",
    "Database": "database",
    "DatabaseArgs": "database",
    "Cache": "cache",
    "CacheArgs": "cache",
    "AuditLogBucket": "audit_log_bucket",
    "AuditLogBucketArgs": "audit_log_bucket",
    "LogGroup": "log_group",
    "LogGroupArgs": "log_group",
    "AutoShutdown": "auto_shutdown",
    "AutoShutdownArgs": "auto_shutdown",
    "NodeGroupSchedule": "auto_shutdown",
    "BudgetAlerts": "budget_alerts",
    "BudgetAlertsArgs": "budget_alerts",
    "BudgetPlan": "budget_plans",
    "load_budget_plan": "budget_plans",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'finops_components' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
