"""The quota check that `make deploy` runs before deploying: numbers as a new and as a grown account has them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra.quota import Account, Needs, main, read_account, shortfall
from tests.infra.conftest import Synthesised

pytestmark = pytest.mark.xdist_group("infra")

ROOT = Path(__file__).resolve().parents[2]


def test_each_environment_reserves_one_for_the_seed_and_each_job_and_the_queue_bounds_the_sender(
    synthesised: Synthesised,
) -> None:
    needs = Needs.of(synthesised.template.to_json())

    assert needs == Needs(reserved=3, queue_consumers=synthesised.config.sender_concurrency)


def test_a_new_account_with_ten_concurrent_executions_is_told_the_quota_to_request() -> None:
    problem = shortfall(Needs(reserved=3, queue_consumers=20), Account(limit=10, unreserved=10, reserved_by_stack=0))

    assert problem is not None
    assert "quota of at least 123 " in problem  # 3 reserved + 100 kept unreserved + 20 for the sender's batches
    assert "L-B99A9384" in problem


def test_the_default_quota_of_a_thousand_is_enough_for_production() -> None:
    assert shortfall(Needs(reserved=3, queue_consumers=100), Account(1000, 1000, 0)) is None


def test_what_the_stack_reserves_today_counts_as_available_for_its_own_redeploy() -> None:
    needs = Needs(reserved=3, queue_consumers=5)

    assert shortfall(needs, Account(limit=108, unreserved=105, reserved_by_stack=3)) is None
    assert shortfall(needs, Account(limit=108, unreserved=105, reserved_by_stack=0)) is not None


def test_the_account_is_read_from_lambda_and_the_deployed_stack() -> None:
    lambda_client = boto3.client("lambda", region_name="eu-central-1")
    cloudformation = boto3.client("cloudformation", region_name="eu-central-1")
    with Stubber(lambda_client) as lambdas, Stubber(cloudformation) as stacks:
        lambdas.add_response(
            "get_account_settings",
            {"AccountLimit": {"ConcurrentExecutions": 1000, "UnreservedConcurrentExecutions": 897}},
        )
        stacks.add_response(
            "list_stack_resources",
            {
                "StackResourceSummaries": [
                    _resource("AWS::Lambda::Function", "KommunalPro-pilot-RemindersFunction-1"),
                    _resource("AWS::Lambda::Function", "KommunalPro-pilot-ResponsesFunction-1"),
                    _resource("AWS::DynamoDB::Table", "KommunalPro-pilot-DataTable-1"),
                ]
            },
            {"StackName": "KommunalPro-pilot"},
        )
        lambdas.add_response(
            "get_function_concurrency",
            {"ReservedConcurrentExecutions": 1},
            {"FunctionName": "KommunalPro-pilot-RemindersFunction-1"},
        )
        lambdas.add_response("get_function_concurrency", {}, {"FunctionName": "KommunalPro-pilot-ResponsesFunction-1"})

        account = read_account("KommunalPro-pilot", lambda_client=lambda_client, cloudformation=cloudformation)

    assert account == Account(limit=1000, unreserved=897, reserved_by_stack=1)


def test_before_the_first_deploy_the_stack_reserves_nothing() -> None:
    lambda_client = boto3.client("lambda", region_name="eu-central-1")
    cloudformation = boto3.client("cloudformation", region_name="eu-central-1")
    with Stubber(lambda_client) as lambdas, Stubber(cloudformation) as stacks:
        lambdas.add_response(
            "get_account_settings", {"AccountLimit": {"ConcurrentExecutions": 10, "UnreservedConcurrentExecutions": 10}}
        )
        stacks.add_client_error(
            "list_stack_resources", "ValidationError", "Stack with id KommunalPro-test does not exist"
        )

        account = read_account("KommunalPro-test", lambda_client=lambda_client, cloudformation=cloudformation)

    assert account == Account(limit=10, unreserved=10, reserved_by_stack=0)


def test_the_command_stops_with_the_quota_to_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], synthesised: Synthesised
) -> None:
    template = tmp_path / f"KommunalPro-{synthesised.name}.template.json"
    template.write_text(json.dumps(synthesised.template.to_json()), encoding="utf-8")
    seen: list[str] = []

    def small_account(stack_name: str, **clients: Any) -> Account:
        seen.append(stack_name)
        return Account(limit=50, unreserved=50, reserved_by_stack=0)

    monkeypatch.setattr("infra.quota.read_account", small_account)

    assert main([str(template)]) == 1
    assert seen == [f"KommunalPro-{synthesised.name}"]
    assert "Request a 'Concurrent executions' quota of at least" in capsys.readouterr().err


def test_make_deploy_checks_the_quota_on_the_synthesised_template_and_deploys_that_assembly() -> None:
    commands = subprocess.run(
        ["make", "-n", "deploy", "ENV=pilot"],  # noqa: S607 - make from PATH, as a user runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    steps = [line for line in commands if " synth " in line or "infra.quota" in line or " deploy " in line]

    assert [step.split()[-1] for step in steps] == ["--quiet", "cdk.out/KommunalPro-pilot.template.json", "cdk.out"]
    assert "synth -c env=pilot" in steps[0]


def _resource(kind: str, name: str) -> dict[str, Any]:
    return {
        "LogicalResourceId": name.split("-")[2],
        "PhysicalResourceId": name,
        "ResourceType": kind,
        "LastUpdatedTimestamp": "2026-12-01T00:00:00Z",
        "ResourceStatus": "UPDATE_COMPLETE",
    }
