"""FinOps components for Pulumi: everything a team builds with them is tagged, labelled and
sized within its environment's caps.

    import finops_components as finops
    env = finops.enforce(service="ui", team="frontend")   # tags + labels on every resource below
    finops.LogGroup("api-logs", finops.LogGroupArgs(service="ui"))

Every component takes a name, an ``...Args`` dataclass and Pulumi resource options;
``help(finops.Database)`` says what it creates, which caps apply and shows an example. A
component over a cap raises :class:`CapError` before anything is created, unless
``waivers.yaml`` approves it, exactly as the policy pack would.

The rules, catalogue, prices and budget plans live in the Pulumi-free core, ``finops_core``.
"""

from __future__ import annotations

import inspect

import pulumi
from finops_core.budget_plans import BudgetPlan, load_budget_plan

from .audit_log_bucket import AuditLogBucket, AuditLogBucketArgs
from .auto_shutdown import AutoShutdown, AutoShutdownArgs, NodeGroupSchedule
from .aws_budget_limits import BudgetLimitError
from .budget_alerts_args import BudgetAlertsArgs
from .budget_alerts_component import BudgetAlerts
from .budget_plan_resolution import covering_budget
from .cache import Cache, CacheArgs
from .caps import CapError
from .cluster_network import ClusterNetwork, ClusterNetworkArgs
from .daily_cost_report import DailyCostReport, DailyCostReportArgs
from .database import Database, DatabaseArgs
from .environment import Environment, environment_from_config
from .kubernetes_cluster import KubernetesCluster, KubernetesClusterArgs, NodeGroupSpec
from .log_group import LogGroup, LogGroupArgs
from .network_traffic_alarms import NetworkTrafficAlarms, NetworkTrafficAlarmsArgs
from .tagging import current_environment, enforce
from .team_namespace import TeamNamespace, TeamNamespaceArgs


def _document_constructors() -> None:
    """``help(finops.Database)`` shows the component's own parameters: an ``__init__`` without a
    docstring would show ComponentResource's (``t``, ``props``, ``remote``), which no caller passes."""
    for component in (AuditLogBucket, AutoShutdown, BudgetAlerts, Cache, DailyCostReport, Database,
                      KubernetesCluster, LogGroup, TeamNamespace):
        init = component.__dict__["__init__"]
        if init.__doc__ is None or init.__doc__ is pulumi.ComponentResource.__init__.__doc__:
            optional = inspect.signature(init).parameters["args"].default is not inspect.Parameter.empty
            init.__doc__ = (f"Create the {component.__name__} ``name`` (the prefix of its children's names).\n\n"
                            f":param name: the component's name, unique in the stack.\n"
                            f":param args: a ``{component.__name__}Args``: what to build (see its fields)"
                            f"{'; optional: the defaults of the environment' if optional else ''}.\n"
                            ":param opts: Pulumi resource options (parent, provider, protect ...).")


_document_constructors()

__all__ = [
    "AuditLogBucket",
    "AuditLogBucketArgs",
    "AutoShutdown",
    "AutoShutdownArgs",
    "BudgetAlerts",
    "BudgetAlertsArgs",
    "BudgetLimitError",
    "BudgetPlan",
    "Cache",
    "CacheArgs",
    "CapError",
    "ClusterNetwork",
    "ClusterNetworkArgs",
    "DailyCostReport",
    "DailyCostReportArgs",
    "Database",
    "DatabaseArgs",
    "Environment",
    "KubernetesCluster",
    "KubernetesClusterArgs",
    "LogGroup",
    "LogGroupArgs",
    "NetworkTrafficAlarms",
    "NetworkTrafficAlarmsArgs",
    "NodeGroupSchedule",
    "NodeGroupSpec",
    "TeamNamespace",
    "TeamNamespaceArgs",
    "covering_budget",
    "current_environment",
    "enforce",
    "environment_from_config",
    "load_budget_plan",
]
