"""AWS Budgets' and Cost Explorer's limits, checked before anything is created, so a plan that
breaks one fails at preview rather than halfway through ``pulumi up``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from finops_core.budget_plans import MAX_EMAIL_SUBSCRIBERS, BudgetPlan

from .budget_alerts_args import BudgetAlertsArgs
from .locations import code_location

# AWS Budgets: notifications per budget. The Budgets API's Notification type: "A budget can have up
# to ten notifications" (API reference, SDKs, CloudFormation); older CreateBudget text still says five.
MAX_NOTIFICATIONS_PER_BUDGET = 10
MAX_SNS_TOPICS_PER_NOTIFICATION = 1
# AWS Budgets actions, SsmActionDefinition.InstanceIds: 1 to 100 EC2 or RDS instances per action.
MAX_INSTANCES_PER_ACTION = 100
# Cost Explorer UpdateCostAllocationTagsStatus takes at most 20 tags per call.
COST_ALLOCATION_TAG_BATCH = 20
# AWS Budgets' BudgetName: 1 to 100 characters, no colon or backslash, never the substring '/action/'.
BUDGET_NAME = re.compile(r"^[^:\\]{1,100}$")
MAX_BUDGET_NAME = 100


class BudgetLimitError(ValueError):
    """The plan would break one of AWS Budgets' limits."""


def check_limits(plan: BudgetPlan, count: int, topics_per_notification: int = 1) -> None:
    """AWS Budgets' limits on a plan with ``count`` notifications per budget, checked before
    anything is created."""
    if count > MAX_NOTIFICATIONS_PER_BUDGET:
        raise BudgetLimitError(
            f"{plan.source}: {count} notifications per budget (alert thresholds plus the forecast alert); AWS "
            f"Budgets allows at most {MAX_NOTIFICATIONS_PER_BUDGET}. Fix: use fewer budgetAlerts.thresholds in "
            "rules.yaml.")
    if topics_per_notification > MAX_SNS_TOPICS_PER_NOTIFICATION:
        raise BudgetLimitError(f"{plan.source}: a notification may have at most {MAX_SNS_TOPICS_PER_NOTIFICATION} "
                               "SNS topic")
    if len(plan.subscribers) > MAX_EMAIL_SUBSCRIBERS:
        raise BudgetLimitError(f"{plan.source}: subscribers: at most {MAX_EMAIL_SUBSCRIBERS} e-mail addresses per "
                               "notification")


def batches(items: Sequence[str], size: int = COST_ALLOCATION_TAG_BATCH) -> list[list[str]]:
    if not 0 < size <= COST_ALLOCATION_TAG_BATCH:
        raise BudgetLimitError(f"cost-allocation tag batch size {size}: AWS allows 1 to {COST_ALLOCATION_TAG_BATCH}")
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def check_instance_ids(args: BudgetAlertsArgs) -> None:
    """AWS's limit on the instances one STOP action names."""
    for label, ids in (("emergency_instance_ids", args.emergency_instance_ids),
                       ("emergency_db_instance_ids", args.emergency_db_instance_ids)):
        if len(ids) > MAX_INSTANCES_PER_ACTION:
            raise BudgetLimitError(
                f"{code_location()}: {label}: {len(ids)} instances; AWS Budgets' STOP action takes 1 to "
                f"{MAX_INSTANCES_PER_ACTION} (SsmActionDefinition.InstanceIds). Fix: name at most "
                f"{MAX_INSTANCES_PER_ACTION} (the costliest), split the stack, or use emergency_action="
                "'DENY_NEW_COMPUTE'.")
