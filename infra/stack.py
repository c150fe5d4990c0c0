"""One environment of Kommunal PRO: data table, shared layer, REST API, functions and the seed."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnOutput, Duration, Stack, triggers
from constructs import Construct

from functions import http_routes
from infra.api import Api
from infra.config import EnvironmentConfig
from infra.cpr import CprProtection
from infra.functions import READ_WRITE, TRANSACTIONAL, AppFunction, Platform
from infra.layer import SharedLayer
from infra.logs import LogGroups
from infra.nag import acknowledge
from infra.storage import DataTable
from kommunal_pro.storage.schema import GSI1, LOGIN, Index


class KommunalProStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Kommunal PRO ({config.name}): API, functions and data",
            termination_protection=config.deletion_protection,
            **kwargs,
        )
        self.platform = Platform(
            config=config,
            layer=SharedLayer(self, "SharedLayer"),
            data=DataTable(self, "Data", config=config),
            logs=LogGroups(self, "Logs", config=config),
            cpr=CprProtection(self, "Cpr", config=config),
        )
        self.api = Api(self, "Api", config=config, logs=self.platform.logs)

        self.add_http_function("organisations", table_actions=READ_WRITE, indexes=(GSI1,))
        self.add_http_function("questionnaires", table_actions=READ_WRITE, indexes=(GSI1,))
        self.add_http_function(
            "assignments", table_actions=TRANSACTIONAL, indexes=(GSI1,), cpr_key_actions=("kms:Encrypt", "kms:Decrypt")
        )
        # Citizens find their own records in every municipality: the only user of the cross-tenant Login index.
        self.add_http_function(
            "responses", table_actions=TRANSACTIONAL, indexes=(GSI1, LOGIN), cpr_key_actions=("kms:Decrypt",)
        )
        self._add_seed()

        CfnOutput(self, "StaffUserPoolId", value=self.api.staff_pool.user_pool_id)
        CfnOutput(self, "CitizenUserPoolId", value=self.api.citizen_pool.user_pool_id)

    def add_http_function(
        self,
        name: str,
        *,
        table_actions: Sequence[str],
        indexes: Sequence[Index] = (),
        cpr_key_actions: Sequence[str] = (),
    ) -> AppFunction:
        """The function `functions/<name>/handler.py`, serving every route its resolver defines."""
        function = AppFunction(
            self,
            f"{name.title()}Function",
            platform=self.platform,
            name=name,
            handler="handler.lambda_handler",
            table_actions=table_actions,
            indexes=indexes,
            cpr_key_actions=cpr_key_actions,
        )
        self.api.add_routes(function.function, http_routes(name))
        acknowledge(
            function.function,
            "Invoked synchronously by API Gateway: a failure is returned to the caller as a problem+json "
            "response; a dead-letter queue only receives failed asynchronous invocations.",
            "HIPAA.Security-LambdaDLQ",
        )
        return function

    def _add_seed(self) -> None:
        """Add missing reference data once the table exists, and again whenever the seed code changes."""
        seed = AppFunction(
            self,
            "SeedReferenceData",
            platform=self.platform,
            name="seed",
            handler="handler.lambda_handler",
            table_actions=("dynamodb:GetItem", "dynamodb:PutItem"),
            timeout_seconds=120,
        )
        triggers.Trigger(
            self,
            "SeedReferenceDataTrigger",
            handler=seed.function,
            execute_after=[self.platform.data],
            timeout=Duration.minutes(3),
        )
        acknowledge(
            seed.function,
            "Invoked synchronously by the deployment trigger, which fails the deployment if the seed fails; "
            "a dead-letter queue only receives failed asynchronous invocations.",
            "HIPAA.Security-LambdaDLQ",
        )
