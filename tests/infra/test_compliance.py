"""cdk-nag (AWS Solutions, HIPAA Security) and cfn-lint accept every environment's template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack, Validations
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


def test_an_unacknowledged_finding_fails_synth(tmp_path: Path) -> None:
    """The check behind the test above: cdk-nag as added to the app stops synth on a finding."""
    app = App(outdir=str(tmp_path))
    sqs.Queue(Stack(app, "Unchecked"), "Queue")
    add_checks(app)

    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()


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
