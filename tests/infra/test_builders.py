"""Adding to an environment is one call: a scheduled job with its schedule, dead-letter queue and alarms; the
right to send e-mail and SMS; a job's outcome metrics on the dashboard. Built here on the test environment
(without cdk-nag, which the full stacks get in test_compliance.py) with a stand-in job beside the real ones
(test_jobs.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk.assertions import Template

from functions import EntryPoint
from infra.app import BUNDLING_STACKS_CONTEXT_KEY, cdk_json_context, stack_name
from infra.config import load_config
from infra.stack import KommunalProStack
from infra.storage import DataTable
from tests.json_values import as_object

pytestmark = pytest.mark.xdist_group("infra")

JOB = "housekeeping"


@pytest.fixture(scope="module")
def with_job(tmp_path_factory: pytest.TempPathFactory) -> tuple[KommunalProStack, dict[str, Any]]:
    functions = tmp_path_factory.mktemp("functions")
    (functions / JOB).mkdir()
    (functions / JOB / "handler.py").write_text("def lambda_handler(event, context):\n    return None\n")
    app = App(context={**cdk_json_context(), "env": "test", BUNDLING_STACKS_CONTEXT_KEY: []})
    config = load_config(app)
    stack = KommunalProStack(app, stack_name("test"), config=config, env=Environment(region=config.region))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("infra.functions.FUNCTIONS_DIR", Path(functions))
        job = stack.add_scheduled_function(
            EntryPoint(JOB, "schedule"),
            schedule=config.schedules.reminders,
            table_actions=("dynamodb:Query",),
            environment=stack.messaging.environment,
        )
    stack.messaging.grant_send(job)
    stack.operations.watch_metrics("Housekeeping", ["HousekeepingDone", "HousekeepingFailed"], service=JOB)
    return stack, Template.from_stack(stack).to_json()["Resources"]


def _of_type(resources: dict[str, Any], type_: str) -> dict[str, Any]:
    return {logical_id: resource for logical_id, resource in resources.items() if resource["Type"] == type_}


def _job(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((function_id, function),) = (
        (logical_id, resource)
        for logical_id, resource in _of_type(resources, "AWS::Lambda::Function").items()
        if resource["Properties"].get("Environment", {}).get("Variables", {}).get("POWERTOOLS_SERVICE_NAME") == JOB
    )
    return function_id, function["Properties"]


def _rule(resources: dict[str, Any], function_id: str) -> dict[str, Any]:
    """The schedule rule whose one target is the function."""
    ((rule),) = (
        rule["Properties"]
        for rule in _of_type(resources, "AWS::Events::Rule").values()
        if [target["Arn"] for target in rule["Properties"]["Targets"]] == [{"Fn::GetAtt": [function_id, "Arn"]}]
    )
    return as_object(rule)


def test_the_job_can_be_rerun_for_a_past_time_by_its_output_function_name(with_job: Any) -> None:
    stack, resources = with_job
    function_id, _ = _job(resources)
    outputs = Template.from_stack(stack).to_json()["Outputs"]

    assert outputs["HousekeepingFunctionName"]["Value"] == {"Ref": function_id}


def test_a_restored_table_is_used_instead_of_the_stacks_own() -> None:
    context = cdk_json_context()
    context["environments"]["pilot"]["table_name"] = "kommunal-pro-pilot-restored"
    app = App(context={**context, "env": "pilot"})
    stack = Stack(app, "Restored")
    data = DataTable(stack, "Data", config=load_config(app))

    assert not Template.from_stack(stack).find_resources("AWS::DynamoDB::Table")
    assert stack.resolve(data.table.table_name) == "kommunal-pro-pilot-restored"
    assert "kommunal-pro-pilot-restored" in json.dumps(stack.resolve(data.table.table_arn))


def test_the_job_runs_on_the_configured_schedule_with_the_scheduled_time_as_now(with_job: Any) -> None:
    stack, resources = with_job
    function_id, function = _job(resources)
    rule = _rule(resources, function_id)
    (target,) = rule["Targets"]
    queue_id = function["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]

    assert rule["ScheduleExpression"] == stack.config.schedules.reminders
    assert target["InputTransformer"] == {"InputPathsMap": {"time": "$.time"}, "InputTemplate": '{"now":<time>}'}
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_a_failed_run_lands_in_the_jobs_alarmed_dead_letter_queue(with_job: Any) -> None:
    _, resources = with_job
    _, function = _job(resources)
    queue_id = function["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
    queue = resources[queue_id]
    alarms = [alarm["Properties"] for alarm in _of_type(resources, "AWS::CloudWatch::Alarm").values()]
    (dashboard,) = _of_type(resources, "AWS::CloudWatch::Dashboard").values()

    assert queue["Type"] == "AWS::SQS::Queue"
    assert function["ReservedConcurrentExecutions"] == 1
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert any(
        alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
        for alarm in alarms
    )
    assert "ApproximateNumberOfMessagesVisible" in json.dumps(dashboard["Properties"]["DashboardBody"])


def test_the_job_may_send_e_mail_from_the_configured_address_and_sms_but_not_publish_to_topics(with_job: Any) -> None:
    stack, resources = with_job
    _, function = _job(resources)
    role_id = function["Role"]["Fn::GetAtt"][0]
    (policy,) = (
        resource["Properties"]["PolicyDocument"]["Statement"]
        for resource in _of_type(resources, "AWS::IAM::ManagedPolicy").values()
        if resource["Properties"]["Roles"] == [{"Ref": role_id}]
    )
    by_action = {json.dumps(statement["Action"]): statement for statement in policy}

    assert not [
        p for p in _of_type(resources, "AWS::IAM::Policy").values() if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    assert by_action['"sqs:SendMessage"']["Resource"] == function["DeadLetterConfig"]["TargetArn"]
    ses = by_action['["ses:SendEmail", "ses:SendRawEmail"]']
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": stack.config.email.from_address}}
    assert "Resource" not in by_action['"sns:Publish"']
    assert by_action['"sns:Publish"']["NotResource"]["Fn::Join"][1][-1] == ":sns:*:*:*"
    assert function["Environment"]["Variables"]["EMAIL_FROM_ADDRESS"] == stack.config.email.from_address
    assert function["Environment"]["Variables"]["SMS_SENDER_ID"] == stack.config.sms.sender_id


def test_a_jobs_outcome_metrics_are_on_the_dashboard(with_job: Any) -> None:
    _, resources = with_job
    (dashboard,) = _of_type(resources, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])

    assert '\\"HousekeepingDone\\"' in body
    assert '\\"HousekeepingFailed\\"' in body
    assert f'\\"service\\",\\"{JOB}\\"' in body
