"""cdk-nag (AWS Solutions, HIPAA Security, Serverless) and cfn-lint accept every environment's template; every
acknowledgment is listed (tests/infra/acknowledged.txt); no policy grants a wildcard action."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Annotations, Match
from cfnlint.api import ManualArgs, lint

from infra.nag import add_checks
from tests.infra.conftest import Synthesised

pytestmark = pytest.mark.xdist_group("infra")

# W3005 (a DependsOn already implied by a reference) is how CDK writes dependencies; not a problem.
CFN_LINT_IGNORED = ["W3005"]


def test_cdk_nag_reports_no_unacknowledged_finding(synthesised: Synthesised) -> None:
    assert synthesised.validation_failure is None, synthesised.validation_failure


def test_synth_reports_no_errors(synthesised: Synthesised) -> None:
    assert Annotations.from_stack(synthesised.stack).find_error("*", Match.any_value()) == []


def test_an_unacknowledged_finding_of_any_pack_fails_synth(tmp_path: Path) -> None:
    """The check behind the test above: each pack added to the app stops synth on its findings."""
    app = App(outdir=str(tmp_path))
    stack = Stack(app, "Unchecked")
    sqs.Queue(stack, "Queue")
    sns.Topic(stack, "Topic")
    add_checks(app)

    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text(encoding="utf-8"))
    rules = {violation["ruleName"] for plugin in report["pluginReports"] for violation in plugin["violations"]}
    assert {"AwsSolutions-SQS4", "HIPAA.Security-SNSEncryptedKMS", "Serverless-SQSRedrivePolicy"} <= rules


def test_acknowledgments_are_made_on_resources_not_on_the_whole_stack(synthesised: Synthesised) -> None:
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    for scope in (synthesised.stack, synthesised.stack.node.root):
        assert not [entry for entry in scope.node.metadata if entry.type == key]


def test_every_acknowledgment_gives_a_reason(synthesised: Synthesised) -> None:
    acknowledged = [
        rule
        for resource in synthesised.template.to_json()["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]

    assert acknowledged
    for rule in acknowledged:
        assert len(rule["reason"].split()) >= 8, rule


def test_cfn_lint_finds_nothing(synthesised: Synthesised) -> None:
    template = json.dumps(synthesised.template.to_json())
    matches = lint(template, config=ManualArgs(regions=[synthesised.config.region], ignore_checks=CFN_LINT_IGNORED))

    assert not matches, "\n".join(str(match) for match in matches)


# --- every acknowledgment is listed --------------------------------------------------------------------------

ACKNOWLEDGED = Path(__file__).with_name("acknowledged.txt")


def _listed(env_name: str) -> set[tuple[str, str]]:
    """(resource path, rule) of every line of acknowledged.txt that names `env_name`."""
    listed = set()
    for line in ACKNOWLEDGED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            path, rule, *environments = line.split()
            if env_name in environments:
                listed.add((path.replace("{env}", env_name), rule))
    return listed


def _acknowledged(synthesised: Synthesised) -> set[tuple[str, str]]:
    paths = synthesised.construct_paths
    return {
        (paths[logical_id], rule["id"])
        for logical_id, resource in synthesised.resources.items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    }


def test_every_acknowledgment_is_listed_and_every_listed_one_is_made(synthesised: Synthesised) -> None:
    """The number of acknowledgments cannot grow (or shrink) unnoticed: each is a reviewed line of the list."""
    acknowledged, listed = _acknowledged(synthesised), _listed(synthesised.name)

    def lines(entries: set[tuple[str, str]]) -> str:
        env_name = re.compile(rf"\b{re.escape(synthesised.name)}\b")
        return "\n".join(
            f"  {env_name.sub('{env}', path)}  {rule}  {synthesised.name}" for path, rule in sorted(entries)
        )

    assert not acknowledged - listed, f"acknowledged but not in {ACKNOWLEDGED.name}:\n{lines(acknowledged - listed)}"
    assert not listed - acknowledged, f"in {ACKNOWLEDGED.name} but not acknowledged:\n{lines(listed - acknowledged)}"


# --- least privilege -----------------------------------------------------------------------------------------

# A key policy statement for the account itself delegates the key to the account's IAM policies.
_ACCOUNT_ROOT = re.compile(r"arn:.*:iam::.*:root")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(resources: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(logical id, kind, statement) of every policy statement in the template: identity and resource policies."""
    documents = {
        "AWS::IAM::ManagedPolicy": ("identity", "PolicyDocument"),
        "AWS::IAM::Policy": ("identity", "PolicyDocument"),
        "AWS::KMS::Key": ("key", "KeyPolicy"),
        "AWS::SNS::TopicPolicy": ("resource", "PolicyDocument"),
        "AWS::SQS::QueuePolicy": ("resource", "PolicyDocument"),
    }
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        if resource["Type"] in documents:
            kind, key = documents[resource["Type"]]
            for statement in props.get(key, {}).get("Statement", []):
                yield logical_id, kind, statement
        if resource["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield logical_id, "identity", statement


def _is_account_root(principal: Any) -> bool:
    return isinstance(principal, dict) and _ACCOUNT_ROOT.search(json.dumps(principal.get("AWS", ""))) is not None


def _wildcard_actions(resources: dict[str, Any]) -> list[tuple[str, str]]:
    """(logical id, action) of every allowed action with a wildcard. Denials may use wildcards (the TLS-only topic
    and queue policies), and so may a key policy's statements for the account itself (`kms:*`, and CDK's
    Secrets Manager delegation): they grant nothing by themselves but let the account's IAM policies govern the
    key, and those are checked here like every other identity policy."""
    found = []
    for logical_id, kind, statement in _statements(resources):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            found.append((logical_id, "NotAction"))
        elif not (kind == "key" and _is_account_root(statement.get("Principal"))):
            found += [(logical_id, action) for action in _as_list(statement["Action"]) if "*" in action]
    return found


def test_no_policy_allows_a_wildcard_action(synthesised: Synthesised) -> None:
    """Every allowed action is spelled out: no `*`, `dynamodb:*`, `kms:Decrypt*`, `s3:*`, `secretsmanager:*`..."""
    assert _wildcard_actions(synthesised.resources) == []


@pytest.mark.parametrize("action", ["dynamodb:*", "kms:GenerateDataKey*", "*", "secretsmanager:Get*"])
def test_the_wildcard_check_finds_a_wildcard_action(action: str) -> None:
    statement = {"Effect": "Allow", "Action": ["dynamodb:GetItem", action], "Resource": "arn:aws:dynamodb:::table/t"}
    resources = {
        "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": [statement]}}}
    }

    assert _wildcard_actions(resources) == [("Policy", action)]


def test_no_identity_policy_allows_an_action_on_every_resource_except_x_ray(synthesised: Synthesised) -> None:
    """`Resource: *` only for the X-Ray actions, which have no resource-level permissions."""
    x_ray = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    for logical_id, kind, statement in _statements(synthesised.resources):
        if kind == "identity" and statement.get("Effect") == "Allow" and "*" in _as_list(statement.get("Resource")):
            assert set(_as_list(statement["Action"])) <= x_ray, (logical_id, statement)
