"""cdk-nag rule packs (AWS Solutions, HIPAA Security, Serverless) and the one way to acknowledge a finding: on a
named construct, with a reason. Every acknowledgment is also listed in tests/infra/acknowledged.txt.

cdk-nag 3 runs as a CDK policy-validation plugin: `app.synth()` fails with "Validation failed" while any
finding is unacknowledged. An acknowledgment covers the construct it is made on and everything below it,
so make it on the narrowest construct, and name IAM5 findings exactly (`AwsSolutions-IAM5[Resource::*]`).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, ServerlessChecks
from constructs import IConstruct


def add_checks(app: App) -> None:
    # Acknowledgments are also written to each resource's Metadata, as an audit trail in the template.
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True),
        HIPAASecurityChecks(app, write_suppressions_to_cloud_formation=True),
        ServerlessChecks(app, write_suppressions_to_cloud_formation=True),
    )


def acknowledge(construct: IConstruct, reason: str, *rule_ids: str) -> None:
    Validations.of(construct).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id in rule_ids))
