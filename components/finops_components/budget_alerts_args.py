"""The arguments of :class:`~finops_components.budget_alerts_component.BudgetAlerts`: where its
plan comes from and what it creates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi


@dataclass
class BudgetAlertsArgs:
    """Where :class:`BudgetAlerts` finds its plan, and what it creates.

    The plan, first match wins:

    1. in code: ``monthly_limit_usd`` and ``subscribers`` (plus optional ``teams``,
       ``anomaly_threshold_usd``, ``anomaly_frequency``, ``emergency_action``, ...); an
       emergency action left out follows the environment (see :func:`default_emergency_action`);
    2. ``plan_file``: a budgets YAML file of your own (the shape of ``budgets/dev.yaml``);
    3. ``<budgets_dir>/<environment>.yaml`` (default ``budgets/``), the platform layout.

    Example, a team's stack with its plan in code::

        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(
            monthly_limit_usd=300, subscribers=["checkout-team@example.com"], service="ui"))
    """

    monthly_limit_usd: float | None = None
    subscribers: Sequence[str] = ()
    teams: Mapping[str, float] = field(default_factory=dict)  # team -> monthly USD, a budget each
    anomaly_threshold_usd: float | None = None  # default: 10 % of the monthly limit
    anomaly_frequency: str = "DAILY"            # DAILY or WEEKLY
    # STOP_TAGGED_INSTANCES or DENY_NEW_COMPUTE, AUTOMATIC or MANUAL; None: the environment's default
    # (dev, where the rules switch resources off at night: stop, automatically; elsewhere: deny, on approval).
    emergency_action: str | None = None
    emergency_approval: str | None = None
    emergency_threshold_percent: float = 100
    plan_file: str | None = None
    budgets_dir: str = "budgets"
    # Where the approval tiers that approve the plan's emergency increases are (approvalTiers);
    # default: the pack's, $FINOPS_WAIVERS_FILE, else the project's waivers.yaml.
    waivers_file: str | None = None
    service: str | None = None                  # default: the program's Service (and Team), from enforce()
    feature: str | None = None
    # Cost-allocation tags are account-wide: where stacks share an account, one activates them.
    activate_cost_allocation_tags: bool = True
    # Who DENY_NEW_COMPUTE attaches its deny policy to: IAM role, user and group names that deploy or
    # run workloads (e.g. CI's deploy role). None given: the principal that runs `pulumi up`.
    emergency_roles: Sequence[pulumi.Input[str]] = ()
    emergency_users: Sequence[pulumi.Input[str]] = ()
    emergency_groups: Sequence[pulumi.Input[str]] = ()
    # The roles that grow compute without a person: EKS node roles, the cluster autoscaler's or
    # Karpenter's controller role, an ASG's instance role. DENY_NEW_COMPUTE attaches its deny policy to
    # them too, besides emergency_roles (or the deployer).
    compute_roles: Sequence[pulumi.Input[str]] = ()
    # AWS Organizations (a budget in the management account): the OU, account or root IDs to which a
    # service control policy of the same content is attached by a second action, APPLY_SCP_POLICY.
    emergency_scp_target_ids: Sequence[pulumi.Input[str]] = ()
    # What STOP_TAGGED_INSTANCES stops (at most 100 of each), e.g. [server.id] and
    # [database.instance.identifier]: ids of the stack's own resources stay current on every update.
    emergency_instance_ids: Sequence[pulumi.Input[str]] = ()
    emergency_db_instance_ids: Sequence[pulumi.Input[str]] = ()
