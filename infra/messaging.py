"""How the platform reaches citizens: the SES sender identity (e-mail) and the SNS SMS settings.

The stack creates the SES identity (a domain with Easy DKIM, or one address); its DKIM records are stack
outputs to publish in DNS. The SMS sender id and type go to a sending function as environment variables;
the monthly spend limit is an account setting (docs/operations.md) that the operations dashboard alarms on.
A function that sends is given the right to with one call: `messaging.grant_send(function)`.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.functions import ObservedFunction


class Messaging(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        sender = config.email
        self.email_identity = ses.EmailIdentity(
            self,
            "EmailIdentity",
            identity=ses.Identity.domain(sender.identity) if sender.is_domain else ses.Identity.email(sender.identity),
        )
        if sender.is_domain:
            stack = Stack.of(self)
            for number in (1, 2, 3):
                name = getattr(self.email_identity, f"dkim_dns_token_name{number}")
                value = getattr(self.email_identity, f"dkim_dns_token_value{number}")
                CfnOutput(
                    stack,
                    f"EmailDkimRecord{number}",
                    value=f"{name} CNAME {value}",
                    description=f"DNS record {number} of 3 that verifies {sender.identity} for SES (Easy DKIM)",
                )

    @property
    def environment(self) -> dict[str, str]:
        """What a sending function needs to know."""
        return {
            "EMAIL_FROM_ADDRESS": self._config.email.from_address,
            "SMS_SENDER_ID": self._config.sms.sender_id,
            "SMS_TYPE": self._config.sms.sms_type,
        }

    def grant_send(self, function: ObservedFunction) -> None:
        """Let `function` send e-mail from the configured address and text messages through SNS."""
        stack = Stack.of(self)
        identity_arn = stack.format_arn(service="ses", resource="identity", resource_name=self._config.email.identity)
        function.policy.add_statements(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[identity_arn],
                conditions={"StringEquals": {"ses:FromAddress": self._config.email.from_address}},
            ),
            # Text messages go to phone numbers, which are not ARNs: allowed on anything but a topic.
            iam.PolicyStatement(actions=["sns:Publish"], not_resources=[f"arn:{stack.partition}:sns:*:*:*"]),
        )
