"""Trust policies for roles that an AWS service assumes, with the confused-deputy guard.

A service principal (``budgets.amazonaws.com``, ``scheduler.amazonaws.com``, ``lambda.amazonaws.com``)
acts for every AWS account; ``aws:SourceAccount`` and ``aws:SourceArn`` make it assume the role only
when it acts for this account and for the named resource (AWS IAM user guide, "The confused deputy
problem"; each service's page lists the ARN it sets).
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws


def account_and_partition(parent: pulumi.Resource) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
    """The account the program deploys into, and its partition (``aws``, ``aws-us-gov`` ...)."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    return (aws.get_caller_identity_output(opts=invoke).account_id,
            aws.get_partition_output(opts=invoke).partition)


def service_trust(service: str, account_id: pulumi.Input[str], source_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """A trust policy letting ``service`` assume the role for ``source_arn`` (``*`` allowed at the
    end) of ``account_id`` only."""
    return pulumi.Output.all(account_id, source_arn).apply(lambda values: json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": values[0]},
                          "ArnLike": {"aws:SourceArn": values[1]}},
        }],
    }))


__all__ = ["account_and_partition", "service_trust"]
