"""What the execution role of a budget action may do: exactly its job.

- STOP (``RUN_SSM_DOCUMENTS``): Budgets starts AWS's automation documents ``AWS-StopEC2Instance``
  and ``AWS-StopRdsInstance``; the documents then stop the named instances through SSM. The role
  may start those two documents only, and stop or describe the named instance and DB ARNs only
  when the call comes through SSM (``aws:CalledVia``), as AWS's managed policy for this job
  (AWSBudgetsActions_RolePolicyForResourceAdministrationWithSSM) requires.
- DENY (``APPLY_IAM_POLICY``, ``APPLY_SCP_POLICY``): attach and detach the brake's own policies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi

# The automation documents AWS Budgets runs for STOP_EC2_INSTANCES and STOP_RDS_INSTANCES.
STOP_DOCUMENTS = ("AWS-StopEC2Instance", "AWS-StopRdsInstance")
VIA_SSM = {"ForAnyValue:StringEquals": {"aws:CalledVia": ["ssm.amazonaws.com"]}}
IAM_ATTACH = ("iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:AttachUserPolicy", "iam:DetachUserPolicy",
              "iam:AttachGroupPolicy", "iam:DetachGroupPolicy")


def _document(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def stop_policy(partition: pulumi.Input[str], region: pulumi.Input[str], account_id: pulumi.Input[str],
                instance_ids: Sequence[pulumi.Input[str]], db_identifiers: Sequence[pulumi.Input[str]]
                ) -> pulumi.Output[str]:
    """The STOP action's permissions, scoped to the named instances and DB instances."""
    def build(values: list[Any]) -> str:
        part, reg, account, instances, databases = values
        ec2 = [f"arn:{part}:ec2:{reg}:{account}:instance/{i}" for i in instances]
        rds = [f"arn:{part}:rds:{reg}:{account}:db:{d}" for d in databases]
        # StartAutomationExecution is authorized on the document (AWS-owned: no account in its ARN),
        # its automation definition, and the execution it starts.
        statements: list[dict[str, Any]] = [{
            "Sid": "StartTheStopDocuments", "Effect": "Allow", "Action": "ssm:StartAutomationExecution",
            "Resource": [*(f"arn:{part}:ssm:{reg}::document/{doc}" for doc in STOP_DOCUMENTS),
                         *(f"arn:{part}:ssm:{reg}:*:automation-definition/{doc}:*" for doc in STOP_DOCUMENTS),
                         f"arn:{part}:ssm:{reg}:{account}:automation-execution/*"]}]
        if ec2:
            statements += [
                {"Sid": "StopTheNamedInstances", "Effect": "Allow", "Action": "ec2:StopInstances",
                 "Resource": ec2, "Condition": VIA_SSM},
                # DescribeInstanceStatus has no resource-level permissions: "*" is the only resource it takes.
                {"Sid": "SeeInstanceStatus", "Effect": "Allow", "Action": "ec2:DescribeInstanceStatus",
                 "Resource": "*", "Condition": VIA_SSM}]
        if rds:
            statements.append({"Sid": "StopTheNamedDatabases", "Effect": "Allow",
                               "Action": ["rds:StopDBInstance", "rds:DescribeDBInstances"],
                               "Resource": rds, "Condition": VIA_SSM})
        return _document(statements)
    return pulumi.Output.all(partition, region, account_id, list(instance_ids), list(db_identifiers)).apply(build)


def apply_policy(deny_arn: pulumi.Input[str], scp_arn: pulumi.Input[str] | None, partition: pulumi.Input[str],
                 account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The DENY action's permissions: attach and detach the brake's IAM policy (and its SCP)."""
    def build(values: list[Any]) -> str:
        deny, scp, part, account = values
        statements: list[dict[str, Any]] = [{
            "Sid": "AttachTheBrake", "Effect": "Allow", "Action": list(IAM_ATTACH),
            "Resource": [f"arn:{part}:iam::{account}:role/*", f"arn:{part}:iam::{account}:user/*",
                         f"arn:{part}:iam::{account}:group/*"],
            "Condition": {"ArnEquals": {"iam:PolicyARN": deny}}}]
        if scp:
            # AttachPolicy is authorized on the policy and on the target (an account, OU or root).
            statements.append({
                "Sid": "AttachTheBrakeScp", "Effect": "Allow",
                "Action": ["organizations:AttachPolicy", "organizations:DetachPolicy"],
                "Resource": [scp, f"arn:{part}:organizations::{account}:account/o-*/*",
                             f"arn:{part}:organizations::{account}:ou/o-*/ou-*",
                             f"arn:{part}:organizations::{account}:root/o-*/r-*"]})
        return _document(statements)
    return pulumi.Output.all(deny_arn, scp_arn or "", partition, account_id).apply(build)


__all__ = ["STOP_DOCUMENTS", "apply_policy", "stop_policy"]
