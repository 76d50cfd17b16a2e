"""An S3 bucket for audit logs: versioned, encrypted, private, and cheaper as it ages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .locations import code_location
from .tagging import current_environment

# (days after creation, storage class): S3 requires 30 days in STANDARD before STANDARD_IA.
TRANSITIONS = ((30, "STANDARD_IA"), (90, "GLACIER_IR"), (365, "DEEP_ARCHIVE"))
NONCURRENT_VERSION_DAYS = 30


@dataclass
class AuditLogBucketArgs:
    """Arguments of :class:`AuditLogBucket`: the ``service`` it belongs to (default: the program's,
    from ``finops.enforce(service=...)``),
    ``expire_days`` (default the environment's ``logBucketExpireDays``; 0 keeps objects) and
    the optional ``feature`` allocation tag.

    Example: ``finops.AuditLogBucketArgs(service="audit", expire_days=90)``
    """

    service: str | None = None      # default: the program's Service (and Team), from enforce()
    expire_days: int | None = None  # default: the environment's logBucketExpireDays (0 = keep)
    feature: str | None = None      # the optional Feature allocation tag


def lifecycle_rules(expire_days: int) -> list[Any]:
    """Transitions that happen before expiry, expiry (unless 0), old versions and uploads cleaned."""
    transitions = [{"days": days, "storage_class": storage} for days, storage in TRANSITIONS
                   if expire_days == 0 or days < expire_days]
    rule: dict[str, object] = {
        "id": "finops-lifecycle",
        "status": "Enabled",
        "filter": {},
        "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
    }
    if transitions:
        rule["transitions"] = transitions
    if expire_days:
        rule["expiration"] = {"days": expire_days}
    return [rule]


class AuditLogBucket(pulumi.ComponentResource):
    """An S3 bucket for audit logs: versioned, KMS-encrypted, private, and cheaper as it ages.

    Creates an ``aws.s3.Bucket`` with versioning, default KMS encryption (bucket key), a
    public access block and a lifecycle configuration: STANDARD_IA after 30 days, GLACIER_IR
    after 90, DEEP_ARCHIVE after 365 (each only before expiry), expiry outside prod, old
    versions after 30 days, incomplete uploads after 7. No cap applies; the lifecycle is what
    keeps its cost down (policy ``finops-advice-bucket-lifecycle``).

    Example::

        finops.enforce()
        logs = finops.AuditLogBucket("audit-logs")
        pulumi.export("audit_bucket", logs.bucket.bucket)
    """

    bucket: aws.s3.Bucket

    def __init__(self, name: str, args: AuditLogBucketArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        args = args or AuditLogBucketArgs()
        env = current_environment()
        expire = env.rules.defaults.log_bucket_expire_days if args.expire_days is None else args.expire_days
        if expire < 0:
            raise ValueError(f"{code_location()}: AuditLogBucket '{name}': found expire_days={expire}; "
                             "allowed: 0 (keep) or more.")
        super().__init__("finops:index:AuditLogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(name, force_destroy=env.name == "dev",
                                    tags=env.tags_for(service=args.service, feature=args.feature), opts=child)
        aws.s3.BucketVersioning(f"{name}-versioning", bucket=self.bucket.id,
                                versioning_configuration={"status": "Enabled"}, opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"},
                    "bucket_key_enabled": True}], opts=child)
        aws.s3.BucketPublicAccessBlock(f"{name}-public-access", bucket=self.bucket.id, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True,
                                       restrict_public_buckets=True, opts=child)
        aws.s3.BucketLifecycleConfiguration(f"{name}-lifecycle", bucket=self.bucket.id,
                                            rules=lifecycle_rules(expire), opts=child)
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})
