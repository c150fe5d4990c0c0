"""The REST API: Cognito user pools for staff and citizens, an authorizer on every method, logs and limits."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.logs import LogGroups
from infra.nag import acknowledge
from kommunal_pro.auth import CLAIM_MUNICIPALITY, CLAIM_UNITS, Role

# Headers a browser may send to the API (CORS): the token, JSON bodies, optimistic concurrency, idempotency.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "If-Match", "Idempotency-Key")
STAFF_POOL_ROLES = tuple(role for role in Role if role is not Role.CITIZEN)


def _custom_attribute(claim: str) -> str:
    return claim.removeprefix("custom:")


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, logs: LogGroups) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.staff_pool = self._user_pool("StaffPool", STAFF_POOL_ROLES, units=True)
        self.citizen_pool = self._user_pool("CitizenPool", (Role.CITIZEN,), units=False)
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[self.staff_pool, self.citizen_pool]
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description=f"Kommunal PRO {config.name}",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            default_method_options=apigw.MethodOptions(
                authorizer=authorizer, authorization_type=apigw.AuthorizationType.COGNITO
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=config.cors_allowed_origins,
                allow_methods=apigw.Cors.ALL_METHODS,
                allow_headers=list(ALLOWED_HEADERS),
                expose_headers=["ETag"],
            )
            if config.cors_allowed_origins
            else None,
            # Execution logging needs the account-wide API Gateway logging role. It is kept when a stack is
            # deleted, so removing one environment never breaks logging for another in the same account.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=config.name,
                tracing_enabled=True,
                # Errors only, and never request or response bodies: those carry CPR numbers.
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                throttling_rate_limit=config.api_throttling.rate_limit,
                throttling_burst_limit=config.api_throttling.burst_limit,
                access_log_destination=apigw.LogGroupLogDestination(logs.create(self, "AccessLogs")),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        # API Gateway would create the execution log group on first use, without retention or encryption.
        stage = self.rest_api.deployment_stage
        execution_logs = logs.create(
            self, "ExecutionLogs", name=f"API-Gateway-Execution-Logs_{self.rest_api.rest_api_id}/{config.name}"
        )
        stage.node.add_dependency(execution_logs)
        self._acknowledge_findings(stage)

    def add_routes(self, function: lambda_.IFunction, routes: Iterable[tuple[str, str]]) -> None:
        """Route each (METHOD, /path/{param}) to `function` through a Lambda proxy integration."""
        integration = apigw.LambdaIntegration(function)
        for method, path in routes:
            self.rest_api.root.resource_for_path(path).add_method(method, integration)

    def _acknowledge_findings(self, stage: apigw.Stage) -> None:
        acknowledge(
            self.rest_api.node.default_child,
            "Requests are validated by each function against its pydantic models (Powertools resolver with "
            "enable_validation), which answer with problem+json listing what was wrong; an API Gateway "
            "validator without models would check nothing.",
            "AwsSolutions-APIG2",
        )
        acknowledge(
            self.rest_api.node.find_child("CloudWatchRole"),
            "The account-level role API Gateway uses to write execution logs; the AWS managed policy "
            "is the one AWS maintains for exactly this purpose.",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        )
        acknowledge(
            stage,
            "Responses are per-caller personal data: a stage cache could serve one user's answer to another, "
            "so caching is deliberately off.",
            "HIPAA.Security-APIGWCacheEnabledAndEncrypted",
        )
        acknowledge(
            stage,
            "Client certificates authenticate API Gateway to HTTP backends; the only backends here are Lambda "
            "proxy integrations, invoked through AWS's signed API over TLS.",
            "HIPAA.Security-APIGWSSLEnabled",
        )
        acknowledge(
            stage,
            "A WAF web ACL for the API is planned in its own issue; until then the stage is throttled and "
            "every method requires a Cognito token.",
            "AwsSolutions-APIG3",
        )

    def _user_pool(self, construct_id: str, roles: Iterable[Role], *, units: bool) -> cognito.UserPool:
        """A user pool whose groups are the roles, with the custom attributes `kommunal_pro.auth` reads."""
        attributes = {
            _custom_attribute(CLAIM_MUNICIPALITY): cognito.StringAttribute(min_len=4, max_len=8, mutable=True)
        }
        if units:
            attributes[_custom_attribute(CLAIM_UNITS)] = cognito.StringAttribute(max_len=2048, mutable=True)
        pool = cognito.UserPool(
            self,
            construct_id,
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            custom_attributes=attributes,
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=self._config.deletion_protection,
            removal_policy=self._config.removal_policy,
        )
        for role in roles:
            pool.add_group(role.value, group_name=role.value, description=f"Kommunal PRO role {role.value}")
        return pool
