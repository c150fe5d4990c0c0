"""The two scheduled jobs in every environment: the reminder job with its notification queue and sender, and the
nightly organisation sync with its files bucket. Each is allowed exactly the calls its code makes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from infra.notifications import SENDER_TIMEOUT
from infra.org_sync import ORG_SYNC_PREFIX
from kommunal_pro.notifications.delivery import CLAIM
from kommunal_pro.storage.schema import DUE, GSI1
from tests.infra.conftest import Synthesised
from tests.json_values import as_object

pytestmark = pytest.mark.xdist_group("infra")

REMINDER_METRICS = ("RemindersQueued", "RemindersFailed", "RemindersSent", "RemindersSkipped")


def _only(resources: Mapping[str, Mapping[str, Any]]) -> tuple[str, Mapping[str, Any]]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.items()))


def _arn(logical_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def _function(synthesised: Synthesised, service: str, handler: str = "handler.lambda_handler") -> tuple[str, Any]:
    props = {"Handler": handler, "Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": service}}}
    return _only(synthesised.find("AWS::Lambda::Function", props))


def _reminder_job(synthesised: Synthesised) -> tuple[str, Any]:
    return _function(synthesised, "notifications")


def _sender(synthesised: Synthesised) -> tuple[str, Any]:
    return _function(synthesised, "notifications", "sender.lambda_handler")


def _org_sync(synthesised: Synthesised) -> tuple[str, Any]:
    return _function(synthesised, "orgsync")


def _data_table_id(synthesised: Synthesised) -> str:
    tables = synthesised.find("AWS::DynamoDB::Table")
    (table_id,) = (logical_id for logical_id, table in tables.items() if "ResourcePolicy" not in table["Properties"])
    return table_id


def _data_key_arn(synthesised: Synthesised) -> Any:
    return synthesised.resources[_data_table_id(synthesised)]["Properties"]["SSESpecification"]["KMSMasterKeyId"]


def _queue(synthesised: Synthesised) -> tuple[str, Any]:
    """The notification queue: the only queue with a redrive policy."""
    return _only({i: q for i, q in synthesised.find("AWS::SQS::Queue").items() if "RedrivePolicy" in q["Properties"]})


def _files_bucket(synthesised: Synthesised) -> tuple[str, Any]:
    """The organisation sync's files bucket: the one that logs its requests."""
    buckets = synthesised.find("AWS::S3::Bucket")
    return _only({i: b for i, b in buckets.items() if "LoggingConfiguration" in b["Properties"]})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grants(synthesised: Synthesised, function: Any) -> list[tuple[tuple[str, ...], Any, Any]]:
    """(actions, resource, condition) of each statement of the function's one managed policy, but the
    logging and tracing every function has (test_stack.py)."""
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = synthesised.find("AWS::IAM::ManagedPolicy", {"Roles": [{"Ref": role}]}).values()
    assert not synthesised.find("AWS::IAM::Policy", {"Roles": [{"Ref": role}]}), "no inline policy"
    grants = []
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = tuple(_as_list(statement["Action"]))
        if actions[0].startswith(("logs:", "xray:")):
            continue
        resource = statement.get("Resource", {"NotResource": statement.get("NotResource")})
        grants.append((actions, resource, statement.get("Condition")))
    return grants


def _via(service: str, synthesised: Synthesised) -> dict[str, Any]:
    return {"StringEquals": {"kms:ViaService": f"{service}.{synthesised.config.region}.amazonaws.com"}}


def _table_key_grant(synthesised: Synthesised) -> tuple[tuple[str, ...], Any, Any]:
    actions = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
    return actions, _data_key_arn(synthesised), _via("dynamodb", synthesised)


def _index_arn(table_id: str, index: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [_arn(table_id), f"/index/{index}"]]}


def _rule_of(synthesised: Synthesised, function_id: str) -> dict[str, Any]:
    target_arn = _arn(function_id)
    (rule,) = (
        rule["Properties"]
        for rule in synthesised.find("AWS::Events::Rule").values()
        if [target["Arn"] for target in rule["Properties"]["Targets"]] == [target_arn]
    )
    return as_object(rule)


def _ssl_only(synthesised: Synthesised, policy_type: str, target: str, resource_id: str) -> bool:
    """Whether the queue or bucket policy of `resource_id` denies every request without TLS."""
    for policy in synthesised.find(policy_type).values():
        props = policy["Properties"]
        if {"Ref": resource_id} in _as_list(props.get(target)):
            for statement in props["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Deny" and statement.get("Condition") == {
                    "Bool": {"aws:SecureTransport": "false"}
                }:
                    return True
    return False


# --- schedules -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("job", "setting"), [(_reminder_job, "reminders"), (_org_sync, "organisation_sync")], ids=["reminders", "orgsync"]
)
def test_each_job_runs_on_its_configured_schedule_with_the_scheduled_time_as_now(
    synthesised: Synthesised, job: Any, setting: str
) -> None:
    function_id, function = job(synthesised)
    rule = _rule_of(synthesised, function_id)
    (target,) = rule["Targets"]

    assert rule["ScheduleExpression"] == getattr(synthesised.config.schedules, setting)
    assert target["InputTransformer"] == {"InputPathsMap": {"time": "$.time"}, "InputTemplate": '{"now":<time>}'}
    assert target["DeadLetterConfig"]["Arn"] == function["Properties"]["DeadLetterConfig"]["TargetArn"]
    assert function["Properties"]["ReservedConcurrentExecutions"] == 1
    assert function["Properties"]["Timeout"] == 300


def test_the_schedules_are_the_configured_ones_in_each_environment(synthesised: Synthesised) -> None:
    expressions = sorted(
        rule["Properties"]["ScheduleExpression"] for rule in synthesised.find("AWS::Events::Rule").values()
    )
    schedules = synthesised.config.schedules

    assert expressions == sorted([schedules.reminders, schedules.organisation_sync])
    assert schedules.reminders == "rate(15 minutes)"
    assert schedules.organisation_sync.startswith("cron(")


def test_each_job_can_be_rerun_by_the_function_named_in_the_outputs(synthesised: Synthesised) -> None:
    outputs = synthesised.template.to_json()["Outputs"]

    assert outputs["RemindersFunctionName"]["Value"] == {"Ref": _reminder_job(synthesised)[0]}
    assert outputs["OrgSyncFunctionName"]["Value"] == {"Ref": _org_sync(synthesised)[0]}
    assert outputs["OrgSyncBucketName"]["Value"] == {"Ref": _files_bucket(synthesised)[0]}


# --- the reminder job, the queue and the sender ------------------------------------------------------


def test_the_reminder_job_knows_the_table_and_the_queue(synthesised: Synthesised) -> None:
    _, job = _reminder_job(synthesised)
    queue_id, _ = _queue(synthesised)
    variables = job["Properties"]["Environment"]["Variables"]

    assert variables["TABLE_NAME"] == {"Ref": _data_table_id(synthesised)}
    assert variables["NOTIFICATION_QUEUE_URL"] == {"Ref": queue_id}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "notifications"
    assert "DUE_SHARDS" not in variables  # the code's default; it may only ever grow (docs/reminders.md)


def test_the_reminder_job_may_read_write_and_queue_exactly_what_its_code_does(synthesised: Synthesised) -> None:
    _, job = _reminder_job(synthesised)
    table_id = _data_table_id(synthesised)
    queue_id, queue = _queue(synthesised)
    job_dead_letters = job["Properties"]["DeadLetterConfig"]["TargetArn"]

    assert _grants(synthesised, job) == [
        (("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"), _arn(table_id), None),
        (("dynamodb:Query",), _index_arn(table_id, DUE.name), None),
        _table_key_grant(synthesised),
        (("sqs:SendMessage",), job_dead_letters, None),
        (("sqs:SendMessage",), _arn(queue_id), None),
        (("kms:GenerateDataKey", "kms:Decrypt"), queue["Properties"]["KmsMasterKeyId"], _via("sqs", synthesised)),
    ]


def test_the_notification_queue_is_encrypted_tls_only_and_dead_letters_after_five_receives(
    synthesised: Synthesised,
) -> None:
    queue_id, queue = _queue(synthesised)
    props = queue["Properties"]
    dead_letters_id = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    dead_letters = synthesised.resources[dead_letters_id]["Properties"]
    key_id = props["KmsMasterKeyId"]["Fn::GetAtt"][0]

    assert "FifoQueue" not in props
    assert props["RedrivePolicy"]["maxReceiveCount"] == 5
    assert props["VisibilityTimeout"] >= 6 * 60
    assert props["VisibilityTimeout"] >= 6 * SENDER_TIMEOUT.to_seconds()
    assert props["VisibilityTimeout"] > CLAIM.total_seconds()
    assert dead_letters["KmsMasterKeyId"] == props["KmsMasterKeyId"]
    assert synthesised.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    for logical_id in (queue_id, dead_letters_id):
        assert _ssl_only(synthesised, "AWS::SQS::QueuePolicy", "Queues", logical_id), logical_id


def test_a_message_in_the_notification_dead_letter_queue_is_alarmed(synthesised: Synthesised) -> None:
    _, queue = _queue(synthesised)
    dead_letters_id = queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    alarm = synthesised.alarms["notifications dead letters"]

    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_letters_id, "QueueName"]}}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")


def test_the_sender_reads_the_queue_in_batches_reporting_failed_records(synthesised: Synthesised) -> None:
    sender_id, sender = _sender(synthesised)
    queue_id, _ = _queue(synthesised)
    _, mapping = _only(synthesised.find("AWS::Lambda::EventSourceMapping"))
    props = mapping["Properties"]

    assert props["EventSourceArn"] == _arn(queue_id)
    assert props["FunctionName"] == {"Ref": sender_id}
    assert props["BatchSize"] == 10
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # The queue bounds the sender, which reserves nothing of the account's pool.
    assert props["ScalingConfig"]["MaximumConcurrency"] == synthesised.config.sender_concurrency
    assert "ReservedConcurrentExecutions" not in sender["Properties"]
    assert sender["Properties"]["Timeout"] == SENDER_TIMEOUT.to_seconds()


def test_the_sender_knows_the_table_the_citizen_app_and_how_to_send(synthesised: Synthesised) -> None:
    config = synthesised.config
    _, sender = _sender(synthesised)
    variables = sender["Properties"]["Environment"]["Variables"]

    assert variables["TABLE_NAME"] == {"Ref": _data_table_id(synthesised)}
    assert variables["CITIZEN_APP_URL"] == config.citizen_app_url
    assert variables["EMAIL_FROM_ADDRESS"] == config.email.from_address
    assert variables["SMS_SENDER_ID"] == config.sms.sender_id
    assert variables["SMS_TYPE"] == config.sms.sms_type
    assert variables["POWERTOOLS_SERVICE_NAME"] == "notifications"
    assert "NOTIFICATION_QUEUE_URL" not in variables


def test_the_sender_may_read_and_update_notifications_send_and_consume_nothing_more(
    synthesised: Synthesised,
) -> None:
    _, sender = _sender(synthesised)
    table_id = _data_table_id(synthesised)
    queue_id, queue = _queue(synthesised)
    grants = _grants(synthesised, sender)
    by_action = {actions: (resource, condition) for actions, resource, condition in grants}

    assert [actions for actions, _, _ in grants] == [
        ("dynamodb:GetItem", "dynamodb:UpdateItem"),
        ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"),
        ("ses:SendEmail", "ses:SendRawEmail"),
        ("sns:Publish",),
        ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
        ("kms:Decrypt",),
    ]
    assert by_action[("dynamodb:GetItem", "dynamodb:UpdateItem")] == (_arn(table_id), None)
    assert by_action[("ses:SendEmail", "ses:SendRawEmail")][1] == {
        "StringEquals": {"ses:FromAddress": synthesised.config.email.from_address}
    }
    assert by_action[("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")] == (_arn(queue_id), None)
    assert by_action[("kms:Decrypt",)] == (queue["Properties"]["KmsMasterKeyId"], _via("sqs", synthesised))
    assert _table_key_grant(synthesised) in grants


def test_the_sender_is_alarmed_under_its_own_name(synthesised: Synthesised) -> None:
    sender_id, _ = _sender(synthesised)
    alarms = synthesised.alarms

    for kind in ("errors", "throttles", "near timeout"):
        alarm = alarms[f"notification sender {kind}"]
        dimensions = [
            query["MetricStat"]["Metric"]["Dimensions"] for query in alarm.get("Metrics", []) if "MetricStat" in query
        ] or [alarm["Dimensions"]]
        assert {json.dumps(d) for d in dimensions} == {
            json.dumps([{"Name": "FunctionName", "Value": {"Ref": sender_id}}])
        }, kind
    assert "reminders errors" in alarms
    assert "reminders job dead letters" in alarms


# --- the organisation sync -----------------------------------------------------------------------------


def test_the_org_sync_reads_its_bucket_under_the_prefix(synthesised: Synthesised) -> None:
    _, sync = _org_sync(synthesised)
    bucket_id, _ = _files_bucket(synthesised)
    variables = sync["Properties"]["Environment"]["Variables"]

    assert variables["ORG_SYNC_BUCKET"] == {"Ref": bucket_id}
    assert variables["ORG_SYNC_PREFIX"] == ORG_SYNC_PREFIX
    assert variables["TABLE_NAME"] == {"Ref": _data_table_id(synthesised)}
    assert variables["POWERTOOLS_SERVICE_NAME"] == "orgsync"


def test_the_org_sync_may_query_gsi1_write_in_batches_and_read_the_files_only(synthesised: Synthesised) -> None:
    _, sync = _org_sync(synthesised)
    table_id = _data_table_id(synthesised)
    bucket_id, bucket = _files_bucket(synthesised)
    bucket_key = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ]["KMSMasterKeyID"]

    assert _grants(synthesised, sync) == [
        # Its run report (PutItem); units and memberships written, memberships deleted (BatchWriteItem).
        (("dynamodb:PutItem", "dynamodb:BatchWriteItem"), _arn(table_id), None),
        # A municipality's units and a unit's staff.
        (("dynamodb:Query",), _index_arn(table_id, GSI1.name), None),
        _table_key_grant(synthesised),
        (("sqs:SendMessage",), sync["Properties"]["DeadLetterConfig"]["TargetArn"], None),
        (("s3:GetObject",), {"Fn::Join": ["", [_arn(bucket_id), f"/{ORG_SYNC_PREFIX}/*"]]}, None),
        # So that a missing file is NoSuchKey (a reported, alarmed abort), not AccessDenied.
        (("s3:ListBucket",), _arn(bucket_id), None),
        (("kms:Decrypt",), bucket_key, _via("s3", synthesised)),
    ]


def test_the_files_bucket_is_private_encrypted_tls_only_versioned_and_logged(synthesised: Synthesised) -> None:
    bucket_id, bucket = _files_bucket(synthesised)
    props = bucket["Properties"]
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    key_id = encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]["Fn::GetAtt"][0]
    logs_id = props["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    (lifecycle,) = props["LifecycleConfiguration"]["Rules"]

    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert encryption["BucketKeyEnabled"] is True
    assert synthesised.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert "ExpirationInDays" not in lifecycle  # the current files stay until the exporter replaces them
    assert _ssl_only(synthesised, "AWS::S3::BucketPolicy", "Bucket", bucket_id)
    assert synthesised.resources[logs_id]["Type"] == "AWS::S3::Bucket"


def test_the_access_log_bucket_is_private_tls_only_takes_only_the_files_buckets_logs_and_expires_them(
    synthesised: Synthesised,
) -> None:
    bucket_id, bucket = _files_bucket(synthesised)
    logs_id = bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    logs = synthesised.resources[logs_id]["Properties"]
    (policy,) = (
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synthesised.find("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logs_id}
    )
    (delivery,) = (s for s in policy if s["Effect"] == "Allow")

    assert all(logs["PublicAccessBlockConfiguration"].values())
    assert logs["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}  # the only encryption S3 logs can go to
    ]
    assert logs["VersioningConfiguration"] == {"Status": "Enabled"}
    assert logs["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == synthesised.config.audit_retention_days
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "s3:PutObject"
    assert delivery["Condition"]["ArnLike"] == {"aws:SourceArn": _arn(bucket_id)}
    assert _ssl_only(synthesised, "AWS::S3::BucketPolicy", "Bucket", logs_id)


def test_both_buckets_are_kept_outside_test(synthesised: Synthesised) -> None:
    policy = "Delete" if synthesised.name == "test" else "Retain"
    buckets = synthesised.find("AWS::S3::Bucket")

    assert len(buckets) == 2
    for bucket in buckets.values():
        assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == (policy, policy)


def test_an_aborted_or_silent_org_sync_is_alarmed(synthesised: Synthesised) -> None:
    alarm = synthesised.alarms["org-sync aborted or silent"]

    assert (alarm["Namespace"], alarm["MetricName"]) == ("KommunalPro", "OrgSyncAborted")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "orgsync"}]
    assert (alarm["Statistic"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "Maximum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    # A nightly run, plus a couple of hours for retries: no report in that time is itself an alarm.
    assert 24 * 3600 < alarm["Period"] * alarm["EvaluationPeriods"] <= 28 * 3600
    assert alarm["TreatMissingData"] == "breaching"


# --- the dashboard -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "metric"),
    [*(("notifications", name) for name in REMINDER_METRICS), ("orgsync", "OrgSyncAborted")],
)
def test_the_jobs_outcome_metrics_are_on_the_dashboard(synthesised: Synthesised, service: str, metric: str) -> None:
    _, dashboard = _only(synthesised.find("AWS::CloudWatch::Dashboard"))
    body = json.dumps(dashboard["Properties"]["DashboardBody"])

    assert f'\\"KommunalPro\\",\\"{metric}\\",\\"service\\",\\"{service}\\"' in body
