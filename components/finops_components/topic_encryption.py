"""KMS keys for the SNS topics the components create: alerts and reports encrypted at rest.

A topic encrypted with a customer-managed key accepts a message only from a publisher that may
use the key (``kms:GenerateDataKey*`` and ``kms:Decrypt``): AWS Budgets (a service principal, for
this account only) and the daily report's Lambda role are named in the key policy. The account
administers the key through IAM, as with any key. One key costs $1 a month (priced by the
kinds table's ``aws:kms/key:Key`` row).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from .service_trust import account_and_partition

PUBLISH_KEY_ACTIONS = ("kms:GenerateDataKey*", "kms:Decrypt")


def topic_key_policy(account_id: str, partition: str, services: Sequence[str], role_arns: Sequence[str]) -> str:
    statements: list[dict[str, Any]] = [{
        "Sid": "AccountAdministersThroughIam", "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"}]
    if services:
        statements.append({"Sid": "ServicesPublish", "Effect": "Allow", "Principal": {"Service": list(services)},
                           "Action": list(PUBLISH_KEY_ACTIONS), "Resource": "*",
                           "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}})
    if role_arns:
        statements.append({"Sid": "FunctionsPublish", "Effect": "Allow", "Principal": {"AWS": list(role_arns)},
                           "Action": list(PUBLISH_KEY_ACTIONS), "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def topic_key(name: str, parent: pulumi.Resource, tags: dict[str, str], services: Sequence[str] = (),
              role_arns: Sequence[pulumi.Input[str]] = ()) -> aws.kms.Key:
    """A key for ``name``'s topics, usable by ``services`` (of this account) and ``role_arns``."""
    account_id, partition = account_and_partition(parent)
    policy = pulumi.Output.all(account_id, partition, list(role_arns)).apply(
        lambda values: topic_key_policy(values[0], values[1], services, values[2]))
    return aws.kms.Key(f"{name}-key", description=f"SNS topics of {name}", enable_key_rotation=True,
                       deletion_window_in_days=30, policy=policy, tags=tags,
                       opts=pulumi.ResourceOptions(parent=parent))


__all__ = ["PUBLISH_KEY_ACTIONS", "topic_key", "topic_key_policy"]
