"""An S3 bucket for audit logs: versioned, encrypted, private, TLS-only, locked in prod, and
cheaper as it ages."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .locations import code_location
from .tagging import current_environment

# (days after creation, storage class): S3 requires 30 days in STANDARD before STANDARD_IA.
TRANSITIONS = ((30, "STANDARD_IA"), (90, "GLACIER_IR"), (365, "DEEP_ARCHIVE"))


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
    # Encrypt with a customer-managed KMS key: one made here (customer_managed_key=True; $1 a month,
    # rotated yearly) or yours (kms_key_arn). Default: the AWS-managed key for S3 (aws/s3).
    customer_managed_key: bool = False
    kms_key_arn: pulumi.Input[str] | None = None


def lifecycle_rules(expire_days: int, keep_versions_days: int = 0) -> list[Any]:
    """Transitions that happen before expiry, expiry (unless 0), incomplete uploads cleaned, and
    overwritten or deleted versions kept ``keep_versions_days`` (0: kept as long as the bucket)."""
    transitions = [{"days": days, "storage_class": storage} for days, storage in TRANSITIONS
                   if expire_days == 0 or days < expire_days]
    rule: dict[str, object] = {
        "id": "finops-lifecycle",
        "status": "Enabled",
        "filter": {},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
    }
    if keep_versions_days:
        rule["noncurrent_version_expiration"] = {"noncurrent_days": keep_versions_days}
    if transitions:
        rule["transitions"] = transitions
    if expire_days:
        rule["expiration"] = {"days": expire_days}
    return [rule]


def tls_only_policy(bucket_arn: str) -> str:
    """A bucket policy refusing every request that is not made over TLS."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


class AuditLogBucket(pulumi.ComponentResource):
    """An S3 bucket for audit logs: versioned, KMS-encrypted, private, and cheaper as it ages.

    Creates an ``aws.s3.Bucket`` with versioning, default KMS encryption (bucket key; the
    AWS-managed key, or a customer-managed one), a public access block, a bucket policy refusing
    any request not made over TLS, and a lifecycle configuration: STANDARD_IA after 30 days,
    GLACIER_IR after 90, DEEP_ARCHIVE after 365 (each only before expiry), expiry outside prod,
    incomplete uploads after 7 days. An overwritten or deleted log stays recoverable as long as
    the environment keeps audit logs (its ``logBucketExpireDays``, at least its log retention;
    forever where logs are kept), and where the rules set ``auditObjectLockDays`` (prod) S3
    Object Lock in governance mode keeps every version that long. No cap applies; the lifecycle
    is what keeps its cost down (policy ``finops-advice-bucket-lifecycle``).

    Example::

        finops.enforce()
        logs = finops.AuditLogBucket("audit-logs")
        pulumi.export("audit_bucket", logs.bucket.bucket)
    """

    bucket: aws.s3.Bucket
    key: aws.kms.Key | None = None

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
        defaults = env.rules.defaults
        tags = env.tags_for(service=args.service, feature=args.feature)
        self.bucket = aws.s3.Bucket(name, force_destroy=env.name == "dev", tags=tags, opts=child)
        versioning = aws.s3.BucketVersioning(f"{name}-versioning", bucket=self.bucket.id,
                                             versioning_configuration={"status": "Enabled"}, opts=child)
        key_arn = args.kms_key_arn
        if key_arn is None and args.customer_managed_key:
            self.key = aws.kms.Key(f"{name}-key", description=f"audit logs of {env.name}", enable_key_rotation=True,
                                   deletion_window_in_days=30, tags=tags, opts=child)
            key_arn = self.key.arn
        encryption: dict[str, Any] = {"sse_algorithm": "aws:kms"}
        if key_arn is not None:
            encryption["kms_master_key_id"] = key_arn
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": encryption, "bucket_key_enabled": True}], opts=child)
        public = aws.s3.BucketPublicAccessBlock(f"{name}-public-access", bucket=self.bucket.id,
                                                block_public_acls=True, block_public_policy=True,
                                                ignore_public_acls=True, restrict_public_buckets=True, opts=child)
        aws.s3.BucketPolicy(f"{name}-tls-only", bucket=self.bucket.id, policy=self.bucket.arn.apply(tls_only_policy),
                            opts=pulumi.ResourceOptions(parent=self, depends_on=[public]))
        if defaults.audit_object_lock_days:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock", bucket=self.bucket.id, object_lock_enabled="Enabled",
                rule={"default_retention": {"mode": "GOVERNANCE", "days": defaults.audit_object_lock_days}},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]))
        keep_versions = max(expire, env.rules.log_retention.max_days) if expire else 0
        aws.s3.BucketLifecycleConfiguration(f"{name}-lifecycle", bucket=self.bucket.id,
                                            rules=lifecycle_rules(expire, keep_versions), opts=child)
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})
