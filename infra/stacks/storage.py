"""Private S3 buckets, one per name in chalicelib/platform/resources.BUCKETS, and the bucket that
receives their access logs. Names: BUCKET_PREFIX + base, BUCKET_PREFIX carrying the account
and region so the names are globally unique."""
from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_s3 as s3
from constructs import Construct

from chalicelib.platform.resources import BUCKETS
from stacks.checks import lint_ignore, skip

# Lifecycle per bucket. Records that are evidence (issued certificates, invoices, payment
# vouchers) move to cheaper storage as they age and are never expired by a rule; older
# versions of an object (a re-upload, an overwrite) go after 90 days.
ARCHIVE_AFTER_DAYS = {"certificates": 90, "invoices": 90, "vouchers": 90}
NONCURRENT_DAYS = 90


def _lifecycle(base: str) -> list[s3.LifecycleRule]:
    rules = [s3.LifecycleRule(
        id="tidy", abort_incomplete_multipart_upload_after=Duration.days(1),
        noncurrent_version_expiration=Duration.days(NONCURRENT_DAYS))]
    days = ARCHIVE_AFTER_DAYS.get(base)
    if days:
        rules.append(s3.LifecycleRule(id="archive", transitions=[
            s3.Transition(storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                          transition_after=Duration.days(days)),
            s3.Transition(storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                          transition_after=Duration.days(365))]))
    return rules


def private_bucket(scope: Construct, construct_id: str, name: str | None,
                   logs: s3.IBucket | None, lifecycle: list[s3.LifecycleRule]) -> s3.Bucket:
    bucket = s3.Bucket(
        scope, construct_id, bucket_name=name,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True, versioned=True, lifecycle_rules=lifecycle,
        server_access_logs_bucket=logs, server_access_logs_prefix=f"{construct_id}/" if logs else None,
        removal_policy=RemovalPolicy.RETAIN)
    skip(bucket,
         ("CKV_AWS_145", "SSE-S3 (AES256) on purpose: the storage adapter writes AES256 and "
                         "browsers fetch through presigned links; KMS would add a key grant "
                         "to every reader for no gain in who can read"),
         ("CKV_AWS_144", "cross-region replication is not needed: versioning + a single "
                         "region is the recovery plan (docs/deploy.md)"))
    return bucket


def build_buckets(scope: Construct, bucket_prefix: str) -> tuple[dict[str, s3.Bucket], s3.Bucket]:
    logs = s3.Bucket(
        scope, "AccessLogs", bucket_name=f"{bucket_prefix}access-logs",
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,  # CloudFront logs need ACLs
        encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
        lifecycle_rules=[s3.LifecycleRule(id="expire", expiration=Duration.days(365),
                                          noncurrent_version_expiration=Duration.days(30))],
        removal_policy=RemovalPolicy.RETAIN)
    skip(logs,
         ("CKV_AWS_18", "this is the access-log bucket itself; logging it into itself loops"),
         ("CKV_AWS_145", "S3 server access logs and CloudFront logs support SSE-S3 only"),
         ("CKV_AWS_144", "logs are not replicated; they expire after a year"))
    # CloudFront standard logging writes with ACLs, hence LogDeliveryWrite on this bucket.
    lint_ignore(logs.node.default_child, "W3045")
    buckets = {base: private_bucket(scope, "Bucket" + base.capitalize(), f"{bucket_prefix}{base}",
                                    logs, _lifecycle(base))
               for base in BUCKETS}
    return buckets, logs
