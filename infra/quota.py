"""Before a deploy: can the account give the environment the Lambda concurrency its template asks for?

A new account may have a *Concurrent executions* quota of 10 to 100, and Lambda keeps 100 of it unreserved: a
reservation beyond that fails the deploy halfway and rolls it back. `make deploy` runs this check on the
synthesised template first and stops with the quota to request.

    python -m infra.quota cdk.out/KommunalPro-pilot.template.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

UNRESERVED_MINIMUM = 100  # Lambda refuses a reservation that leaves fewer unreserved executions
QUOTA_CODE = "L-B99A9384"  # Service Quotas: AWS Lambda, Concurrent executions


@dataclass(frozen=True)
class Needs:
    """What the template asks of the account's concurrency."""

    reserved: int  # the sum of the functions' reserved concurrency
    queue_consumers: int  # the event sources' maximum concurrency, taken from the unreserved pool

    @classmethod
    def of(cls, template: Mapping[str, Any]) -> Needs:
        resources = list(template.get("Resources", {}).values())
        return cls(
            reserved=sum(
                int(r["Properties"].get("ReservedConcurrentExecutions", 0))
                for r in resources
                if r["Type"] == "AWS::Lambda::Function"
            ),
            queue_consumers=sum(
                int(r["Properties"].get("ScalingConfig", {}).get("MaximumConcurrency", 0))
                for r in resources
                if r["Type"] == "AWS::Lambda::EventSourceMapping"
            ),
        )


@dataclass(frozen=True)
class Account:
    """The account's concurrency as Lambda reports it, and what the deployed stack reserves of it now."""

    limit: int
    unreserved: int
    reserved_by_stack: int  # handed back to the pool when the deploy changes those functions


def shortfall(needs: Needs, account: Account) -> str | None:
    """Why the deploy would fail or starve the API, with the quota to request; None when the account suffices.

    After the deploy the unreserved pool must keep Lambda's minimum and, on top, room for the queue consumers'
    batches, so that a full notification queue cannot take the API's share."""
    unreserved_after = account.unreserved + account.reserved_by_stack - needs.reserved
    required_unreserved = UNRESERVED_MINIMUM + needs.queue_consumers
    missing = required_unreserved - unreserved_after
    if missing <= 0:
        return None
    return (
        f"The account's Lambda concurrency is too small for this environment: it reserves {needs.reserved} "
        f"concurrent executions and its queue consumers take up to {needs.queue_consumers}, and "
        f"{UNRESERVED_MINIMUM} must stay unreserved, but the account has {account.limit} in all "
        f"({account.unreserved} unreserved now). Request a 'Concurrent executions' quota of at least "
        f"{account.limit + missing} (Service Quotas, AWS Lambda, {QUOTA_CODE}) and deploy when it is granted."
    )


def read_account(stack_name: str, *, lambda_client: Any, cloudformation: Any) -> Account:
    settings = lambda_client.get_account_settings()["AccountLimit"]
    return Account(
        limit=settings["ConcurrentExecutions"],
        unreserved=settings["UnreservedConcurrentExecutions"],
        reserved_by_stack=sum(
            lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions", 0)
            for name in _stack_functions(stack_name, cloudformation)
        ),
    )


def _stack_functions(stack_name: str, cloudformation: Any) -> list[str]:
    """The physical names of the stack's functions; none before the first deploy."""
    try:
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name)
        return [
            resource["PhysicalResourceId"]
            for page in pages
            for resource in page["StackResourceSummaries"]
            if resource["ResourceType"] == "AWS::Lambda::Function" and resource.get("PhysicalResourceId")
        ]
    except ClientError as error:
        if "does not exist" in error.response["Error"]["Message"]:
            return []
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path, help="the synthesised template, cdk.out/<stack>.template.json")
    args = parser.parse_args(argv)
    template = json.loads(args.template.read_text(encoding="utf-8"))
    stack_name = args.template.name.removesuffix(".template.json")
    needs = Needs.of(template)
    clients = {"lambda_client": boto3.client("lambda"), "cloudformation": boto3.client("cloudformation")}
    account = read_account(stack_name, **clients)
    problem = shortfall(needs, account)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    print(
        f"Lambda concurrency: {stack_name} reserves {needs.reserved} of the account's {account.limit}; "
        f"{account.unreserved + account.reserved_by_stack - needs.reserved} stay unreserved."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
