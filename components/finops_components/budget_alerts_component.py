"""Budgets as data: AWS Budgets, alerts, anomaly detection and an emergency action per stack.

The plan (monthly limit, per-team limits, subscribers, anomaly threshold, emergency action)
comes from the arguments, from a plan file, or from ``<budgets_dir>/<environment>.yaml``
(:mod:`finops_core.budget_plans`). :class:`BudgetAlerts` creates a monthly COST budget with
ACTUAL alerts at the rules' thresholds (50/75/90 %) and a FORECASTED alert, one budget per
team filtered by the Team and Environment cost-allocation tags, the SNS topic the alerts go
to, the activation of the cost-allocation tags, a Cost Anomaly Detection monitor and
subscription, and an emergency budget action. AWS's limits are checked before anything is
created.

Budget and anomaly-monitor names are unique per project, stack and team (AWS requires budget
names to be unique per account): ``<project>-<stack>-<team>``. A stack covered by a budget
that already exists in the account (its team's, say) declares it in stack config instead of
creating its own::

    config:
      finops:coveredByBudget: checkout-team-dev     # BudgetAlerts then creates nothing
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws
from finops_core.budget_increases import aws_budget_limits
from finops_core.budget_plans import COVERED_BY_BUDGET, BudgetPlan
from finops_core.emergency_brake import deny_json
from finops_core.waivers import load_waivers, today

from .aws_budget_limits import batches, check_instance_ids, check_limits
from .budget_action_policies import apply_policy, stop_policy
from .budget_alerts_args import BudgetAlertsArgs
from .budget_names import fitted_name, stack_budget_name
from .budget_plan_resolution import covering_budget, plan_of
from .environment import Environment
from .iam_principals import DenyTargets, deny_targets
from .locations import waivers_file
from .service_trust import account_and_partition, service_trust
from .tagging import current_environment
from .topic_encryption import topic_key

# How a budget adds up the filtered spend: with a filter expression AWS wants the metric named
# (``metrics`` conflicts with the older cost types); unblended is what cost types defaulted to.
BUDGET_METRIC = "UnblendedCost"

def alert_points(env: Environment) -> list[tuple[str, float]]:
    """(notification type, % threshold): ACTUAL at each of the rules' thresholds, one FORECASTED."""
    alerts = env.all_rules.budget_alerts
    return [("ACTUAL", t) for t in alerts.thresholds] + [("FORECASTED", alerts.forecast_threshold)]


def notifications(plan: BudgetPlan, env: Environment, topic_arn: pulumi.Input[str]) -> list[Any]:
    """One notification per alert point, each to the topic and the e-mail subscribers."""
    return [{
        "comparison_operator": "GREATER_THAN",
        "notification_type": kind,
        "threshold": threshold,
        "threshold_type": "PERCENTAGE",
        "subscriber_email_addresses": list(plan.subscribers),
        "subscriber_sns_topic_arns": [topic_arn],
    } for kind, threshold in alert_points(env)]


def tag_filter(tags: Mapping[str, str]) -> dict[str, Any]:
    """A budget filter expression matching spend that carries every one of ``tags``.

    AWS Budgets' older ``costFilters`` cannot say "Team is X *and* Environment is Y": TagKeyValue
    is one filter name, and the values of one name are ORed. A filter expression can (``and``
    of ``tags`` terms, each an exact match on one cost-allocation tag)."""
    terms = [{"tags": {"key": key, "values": [value], "match_options": ["EQUALS"]}} for key, value in tags.items()]
    return terms[0] if len(terms) == 1 else {"ands": terms}


class BudgetAlerts(pulumi.ComponentResource):
    """Budgets with alerts for the stack's environment, and what acts on them.

    Creates: a monthly COST budget filtered by the Environment tag, with ACTUAL alerts at the
    rules' thresholds (50/75/90 %) and a FORECASTED alert at 100 %; one budget per team of the
    plan, filtered by the Team tag *and* the Environment tag (a filter expression: the team's
    spend in this environment only); an SNS topic only AWS Budgets of this account may publish
    to, encrypted with a KMS key of its own ($1 a month), with the plan's e-mail subscribers;
    the activation of the cost-allocation tags (in batches of at most 20); a Cost Anomaly
    Detection monitor and subscription; and an emergency budget action at its threshold (default 100 % of actual spend).

    The emergency action (plan ``emergencyAction``; in code, defaults per environment from
    :func:`default_emergency_action`: dev stops, automatically; staging/prod deny, on approval):

    - ``STOP_TAGGED_INSTANCES`` stops the EC2 instances of ``emergency_instance_ids`` and the RDS
      DB instances of ``emergency_db_instance_ids`` (one action each, at most 100 per action:
      AWS's limit; more raise :class:`BudgetLimitError`). AWS wants the instance IDs in the
      action itself (1 to 100), so pass the stack's own resources (``[server.id]``,
      ``[db.instance.identifier]``): every ``pulumi up`` keeps them current. With none given
      the component creates **no** action and says so (``pulumi.log.warn``) rather than fail
      the deployment: the alerts still go out, and a stack without instances (EKS, Lambda)
      has nothing to stop.
    - ``DENY_NEW_COMPUTE`` attaches a policy denying every API action that creates, starts,
      restores or scales a kind of the kinds table (``growActions`` of each row:
      :mod:`finops_core.emergency_brake`), for this environment's tagged resources (and untagged
      ones), to ``emergency_roles``/``emergency_users``/``emergency_groups``, the principals that
      deploy or run the workloads (with none given, to the principal running ``pulumi up``), and
      to ``compute_roles``, the roles that grow compute without a person (node roles, the
      cluster autoscaler's). A root, federated or AWSReservedSSO_* deployer can take no
      policy: then the component refuses with a ConfigError naming ``emergency_roles``.
      With ``emergency_scp_target_ids`` (AWS Organizations), a second action attaches a
      service control policy of the same content to those accounts or OUs. The action's own
      execution role may attach and detach those policies only; the deny never names an IAM,
      STS, Budgets or Organizations action, so the brake can always be lifted.

    Names are ``<project>-<stack>-<team>`` (team budgets add ``-<team>``), unique per account
    as AWS requires. A stack whose config sets ``finops:coveredByBudget: <budget name>`` is
    covered by that existing budget: the component then creates nothing.

    Caps: none of the environment's sizing caps apply (policy ``finops-budget-alerts`` wants
    the alerts this creates). AWS allows 10 notifications per budget, 10 e-mail subscribers
    plus 1 SNS topic per notification and 100 instances per STOP action: all are checked
    before anything is created (:class:`BudgetLimitError`, ConfigError).

    Example::

        finops.enforce(service="ui", team="frontend")
        finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(
            monthly_limit_usd=300, subscribers=["checkout-team@example.com"]))
    """

    plan: BudgetPlan | None
    covered_by: str | None
    budget: aws.budgets.Budget
    team_budgets: dict[str, aws.budgets.Budget]
    topic: aws.sns.Topic
    topic_key: aws.kms.Key

    def __init__(self, name: str, args: BudgetAlertsArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args = args or BudgetAlertsArgs()
        env = current_environment()
        self.covered_by = covering_budget()
        self.team_budgets = {}
        if self.covered_by is not None:
            self.plan = None
            super().__init__("finops:index:BudgetAlerts", name, None, opts)
            pulumi.log.info(f"BudgetAlerts '{name}': the stack is covered by the budget '{self.covered_by}' "
                            f"({COVERED_BY_BUDGET}); no budget created", self)
            self.register_outputs({"covered_by": self.covered_by})
            return
        self.plan = plan = plan_of(args, env)
        check_limits(plan, len(alert_points(env)))
        check_instance_ids(args)
        # Resolved before anything is created, so a stack whose brake has no target creates nothing.
        targets = deny_targets(args, plan) if plan.emergency_action.kind == "DENY_NEW_COMPUTE" else None
        super().__init__("finops:index:BudgetAlerts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = env.tags_for(service=args.service, feature=args.feature)
        budget_name = monitor_name = stack_budget_name(env)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        # Encrypted at rest with a key AWS Budgets of this account may use to publish.
        self.topic_key = topic_key(f"{name}-alerts", self, tags, services=("budgets.amazonaws.com",))
        self.topic = aws.sns.Topic(f"{name}-alerts", kms_master_key_id=self.topic_key.arn, tags=tags, opts=child)
        aws.sns.TopicPolicy(f"{name}-alerts-policy", arn=self.topic.arn, policy=pulumi.Output.json_dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "AwsBudgetsOnly",
                "Effect": "Allow",
                "Principal": {"Service": "budgets.amazonaws.com"},
                "Action": "SNS:Publish",
                "Resource": self.topic.arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }],
        }), opts=child)
        for index, address in enumerate(plan.subscribers):
            aws.sns.TopicSubscription(f"{name}-email-{index}", topic=self.topic.arn, protocol="email",
                                      endpoint=address, opts=child)

        alerts = notifications(plan, env, self.topic.arn)
        # Approved emergency increases become the months' planned limits (finops_core.budget_increases).
        limits = aws_budget_limits(plan, load_waivers(args.waivers_file or waivers_file()).tiers, today())
        self.budget = aws.budgets.Budget(
            name, name=fitted_name(budget_name), budget_type="COST", time_unit="MONTHLY", **limits,
            notifications=alerts,
            filter_expression=tag_filter({"Environment": env.name}), metrics=BUDGET_METRIC,
            tags=tags, opts=child)
        for team, limit in plan.team_limits.items():
            # The team's spend in this environment: its budget in budgets/<env>.yaml is per environment.
            self.team_budgets[team] = aws.budgets.Budget(
                f"{name}-{team}", name=fitted_name(f"{budget_name}-{team}"), budget_type="COST",
                time_unit="MONTHLY", limit_amount=f"{limit:.2f}", limit_unit=plan.currency,
                notifications=alerts,
                filter_expression=tag_filter({"Team": team, "Environment": env.name}), metrics=BUDGET_METRIC,
                tags=env.tags_for(service=args.service, team=team, feature=args.feature), opts=child)

        if args.activate_cost_allocation_tags:
            previous: list[pulumi.Resource] = []
            # The optional allocation tags (Feature) too: finops report allocates by them.
            for batch in batches((*env.all_rules.tag_keys, *env.all_rules.allocation_keys)):
                # Each batch waits for the one before, so at most 20 activations are in flight.
                current = [aws.costexplorer.CostAllocationTag(
                    f"{name}-tag-{key.lower()}", tag_key=key, status="Active",
                    opts=pulumi.ResourceOptions(parent=self, depends_on=previous)) for key in batch]
                previous = list(current)

        monitor = aws.costexplorer.AnomalyMonitor(
            f"{name}-anomalies", name=fitted_name(monitor_name), monitor_type="CUSTOM",
            monitor_specification=json.dumps({"Tags": {"Key": "Environment", "Values": [env.name],
                                                       "MatchOptions": ["EQUALS"]}}),
            tags=tags, opts=child)
        aws.costexplorer.AnomalySubscription(
            f"{name}-anomaly-alerts", name=fitted_name(f"{monitor_name}-anomalies"),
            frequency=plan.anomaly_frequency, monitor_arn_lists=[monitor.arn],
            subscribers=[{"type": "EMAIL", "address": address} for address in plan.subscribers],
            threshold_expression={"dimension": {"key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                                                "values": [f"{plan.anomaly_threshold:g}"],
                                                "match_options": ["GREATER_THAN_OR_EQUAL"]}},
            tags=tags, opts=child)

        self._emergency_action(name, env, args, tags, targets)
        self.register_outputs({"budget": self.budget.name, "monthly_limit": plan.monthly_limit,
                               "topic": self.topic.arn, "team_budgets": list(self.team_budgets)})

    def _emergency_action(self, name: str, env: Environment, args: BudgetAlertsArgs, tags: dict[str, str],
                          targets: DenyTargets | None) -> None:
        plan, child = self.plan, pulumi.ResourceOptions(parent=self)
        assert plan is not None  # only called when the stack creates its own budgets
        action = plan.emergency_action
        stops = [(kind, list(ids)) for kind, ids in (("STOP_EC2_INSTANCES", args.emergency_instance_ids),
                                                     ("STOP_RDS_INSTANCES", args.emergency_db_instance_ids)) if ids]
        if action.kind == "STOP_TAGGED_INSTANCES" and not stops:
            # AWS refuses a STOP action without instance IDs (1 to 100): `pulumi up` would fail on it.
            pulumi.log.warn(
                f"BudgetAlerts '{name}': no emergency action created: {action.kind} ({plan.source}, "
                f"{env.name}) needs the instances to stop and none were given. Set BudgetAlertsArgs("
                "emergency_instance_ids=[...EC2 instance ids] and/or emergency_db_instance_ids=[...RDS DB "
                "identifiers]), or emergency_action='DENY_NEW_COMPUTE' (emergencyAction.kind in a budgets "
                "file). The budget alerts are created all the same.", self)
            return
        account_id, partition = account_and_partition(self)
        # Budgets assumes the role for this account's budget (and its actions) only.
        source = pulumi.Output.format("arn:{0}:budgets::{1}:budget/{2}*", partition, account_id, self.budget.name)
        role = aws.iam.Role(f"{name}-action-role", assume_role_policy=service_trust(
            "budgets.amazonaws.com", account_id, source), tags=tags, opts=child)
        definitions: list[tuple[str, str, Any]] = []
        if action.kind == "STOP_TAGGED_INSTANCES":
            region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
            aws.iam.RolePolicy(f"{name}-action-policy", role=role.id, policy=stop_policy(
                partition, region, account_id, args.emergency_instance_ids, args.emergency_db_instance_ids),
                opts=child)
            for kind, ids in stops:
                # EC2 keeps the historical resource name, so a stack that had the action keeps it.
                suffix = "" if kind == "STOP_EC2_INSTANCES" else "-rds"
                definitions.append((suffix, "RUN_SSM_DOCUMENTS", {"ssm_action_definition": {
                    "action_sub_type": kind, "instance_ids": ids, "region": region}}))
        else:
            assert targets is not None  # resolved in __init__ for DENY_NEW_COMPUTE
            deny = aws.iam.Policy(f"{name}-deny-new-compute", description=(
                f"FinOps emergency brake for {env.name}: no new compute once the budget is spent"),
                policy=deny_json(env.name), tags=tags, opts=child)
            scp = None
            if args.emergency_scp_target_ids:
                # The same deny as a service control policy: it reaches every principal of the
                # target accounts, whoever they are (the budget must live in the management account).
                scp = aws.organizations.Policy(
                    f"{name}-deny-new-compute-scp", type="SERVICE_CONTROL_POLICY", content=deny_json(env.name),
                    description=f"FinOps emergency brake for {env.name}", tags=tags, opts=child)
            # The execution role may attach and detach the brake, and nothing else.
            aws.iam.RolePolicy(f"{name}-action-policy", role=role.id, policy=apply_policy(
                deny.arn, scp.arn if scp is not None else None, partition, account_id), opts=child)
            definition: dict[str, Any] = {"policy_arn": deny.arn}
            for key, names in (("roles", targets.roles), ("users", targets.users), ("groups", targets.groups)):
                if names:
                    definition[key] = list(names)
            if targets.source != "BudgetAlertsArgs":
                pulumi.log.info(f"BudgetAlerts '{name}': DENY_NEW_COMPUTE applies to {targets.source} (set "
                                "emergency_roles, emergency_users or emergency_groups to choose)", self)
            definitions.append(("", "APPLY_IAM_POLICY", {"iam_action_definition": definition}))
            if scp is not None:
                definitions.append(("-scp", "APPLY_SCP_POLICY", {"scp_action_definition": {
                    "policy_id": scp.id, "target_ids": list(args.emergency_scp_target_ids)}}))
        for suffix, action_type, body in definitions:
            aws.budgets.BudgetAction(
                f"{name}-emergency{suffix}", budget_name=self.budget.name, action_type=action_type,
                approval_model=action.approval, notification_type="ACTUAL", execution_role_arn=role.arn,
                action_threshold={"action_threshold_type": "PERCENTAGE",
                                  "action_threshold_value": action.threshold_percent},
                definition=body,
                subscribers=[{"address": a, "subscription_type": "EMAIL"} for a in plan.subscribers],
                tags=tags, opts=child)
