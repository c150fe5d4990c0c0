"""Where the organisation sync reads its files: a private, versioned bucket (docs/org-sync.md, docs/operations.md).

An exporter outside the stack replaces the three CSV files under `ORG_SYNC_PREFIX/` before each night's run; the
sync only reads them. The files name staff (user ids, positions), so the bucket is encrypted with its own key,
refuses requests without TLS, blocks every form of public access, and logs every request to an access-log
bucket. Versioning keeps the files of earlier nights for `PREVIOUS_FILES_KEPT`, to see what a past run read.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.cfn import default_child
from infra.config import EnvironmentConfig
from infra.functions import ObservedFunction
from infra.nag import acknowledge

ORG_SYNC_PREFIX = "org-data"
ACCESS_LOG_PREFIX = "org-sync-files/"
PREVIOUS_FILES_KEPT = Duration.days(30)
UNFINISHED_UPLOADS_KEPT = Duration.days(1)

_FILES_NOT_REPLICATED = (
    "Not replicated to another region: the files are a nightly export of registers kept elsewhere (SOR, "
    "FK-Organisation) that the exporter writes again every night, and versioning keeps the earlier nights' files; "
    "a replica would only be one more copy of staff data to protect."
)
_LOGS_NOT_REPLICATED = (
    "Not replicated to another region: the access logs are versioned in the environment's region, like every "
    "other log of the platform (CloudWatch Logs), none of which is replicated."
)


class OrgSyncFiles(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"Kommunal PRO {config.name}: organisation sync files encryption",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
        )
        # Requests to the files bucket, kept as long as audit events.
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(config.audit_retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
            removal_policy=config.removal_policy,
        )
        access_logs = default_child(self.access_logs, s3.CfnBucket)
        acknowledge(
            access_logs,
            "This bucket receives the files bucket's server access logs: S3 delivers access logs only to a "
            "bucket encrypted with S3-managed keys (SSE-S3), not SSE-KMS.",
            "HIPAA.Security-S3DefaultEncryptionKMS",
        )
        acknowledge(
            access_logs,
            "This bucket is itself the access-log bucket: logging its requests to another bucket would only "
            "repeat the pattern one level further down.",
            "AwsSolutions-S1",
            "HIPAA.Security-S3BucketLoggingEnabled",
        )
        acknowledge(access_logs, _LOGS_NOT_REPLICATED, "HIPAA.Security-S3BucketReplicationEnabled")
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=ACCESS_LOG_PREFIX,
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=PREVIOUS_FILES_KEPT,
                    abort_incomplete_multipart_upload_after=UNFINISHED_UPLOADS_KEPT,
                )
            ],
            removal_policy=config.removal_policy,
        )
        acknowledge(
            default_child(self.bucket, s3.CfnBucket), _FILES_NOT_REPLICATED, "HIPAA.Security-S3BucketReplicationEnabled"
        )

    @property
    def prefix(self) -> str:
        return ORG_SYNC_PREFIX

    def grant_read(self, function: ObservedFunction) -> None:
        """Let `function` read the files under the prefix (and decrypt them), and list the bucket: without
        s3:ListBucket S3 answers a missing file with AccessDenied instead of NoSuchKey, and the sync would fail
        instead of reporting the run as aborted (OrgSyncAborted, alarmed)."""
        stack = Stack.of(self)
        region = stack.region
        bucket_id = stack.get_logical_id(default_child(self.bucket, s3.CfnBucket))
        objects = self.bucket.arn_for_objects(f"{ORG_SYNC_PREFIX}/*")
        function.policy.add_statements(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[objects]),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]),
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[self.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            ),
        )
        acknowledge(
            function.policy,
            "The sync reads whichever files the exporter wrote under its prefix: object keys below the prefix, "
            "in the one bucket made for these files.",
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{ORG_SYNC_PREFIX}/*]",
        )
