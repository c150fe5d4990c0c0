"""The REST API: Cognito user pools for staff and citizens, an authorizer on every method, request validation,
logs, limits, problem+json gateway errors, and (where configured) the WAF."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config import EnvironmentConfig
from infra.firewall import ApiFirewall
from infra.identity import CLAIM_ROLES, Federation, custom_attribute
from infra.logs import LogGroups
from infra.nag import acknowledge
from infra.operations import Operations
from kommunal_pro.auth import CLAIM_CPR, CLAIM_MUNICIPALITY, CLAIM_UNITS, Role
from kommunal_pro.errors import GATEWAY_PROBLEMS

# Headers a browser may send to the API (CORS): the token, JSON bodies, optimistic concurrency, idempotency.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "If-Match", "Idempotency-Key")
STAFF_POOL_ROLES = tuple(role for role in Role if role is not Role.CITIZEN)
# One JSON line per request. `requestId` is the functions' `correlation_id`, so one request is followed from the
# access log through the functions' logs (docs/logs-insights.md); `sub` is the caller (Cognito's user id, never a
# CPR number); `errorType` names the gateway response when API Gateway answered itself.
ACCESS_LOG_FIELDS = {
    "requestId": apigw.AccessLogField.context_request_id(),
    "requestTime": apigw.AccessLogField.context_request_time(),
    "ip": apigw.AccessLogField.context_identity_source_ip(),
    "sub": apigw.AccessLogField.context_authorizer_claims("sub"),
    "httpMethod": apigw.AccessLogField.context_http_method(),
    "resourcePath": apigw.AccessLogField.context_resource_path(),
    "status": apigw.AccessLogField.context_status(),
    "responseLength": apigw.AccessLogField.context_response_length(),
    "responseLatency": apigw.AccessLogField.context_response_latency(),
    "integrationLatency": apigw.AccessLogField.context_integration_latency(),
    "errorType": apigw.AccessLogField.context_error_response_type(),
    "wafStatus": apigw.AccessLogField.context_waf_status(),
}

# Errors API Gateway answers itself (no token, no such route, throttled, invalid body, WAF) are the API's
# problem+json (kommunal_pro.errors.GATEWAY_PROBLEMS), with API Gateway's own message in "message".
# ($context.error.messageString is a quoted JSON string; a gateway response template only substitutes variables.)
_GATEWAY_MESSAGE = "$context.error.messageString"


def problem_template(response_type: str) -> str:
    """The body template of gateway response `response_type`: its problem, and API Gateway's message."""
    marker = "\x00message\x00"
    body = json.dumps(GATEWAY_PROBLEMS[response_type].body() | {"message": marker}, ensure_ascii=False)
    return body.replace(json.dumps(marker), _GATEWAY_MESSAGE)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        logs: LogGroups,
        operations: Operations,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.staff_pool = self._user_pool(
            "StaffPool",
            STAFF_POOL_ROLES,
            {
                CLAIM_MUNICIPALITY: cognito.StringAttribute(min_len=4, max_len=8, mutable=True),
                CLAIM_UNITS: cognito.StringAttribute(max_len=2048, mutable=True),
                CLAIM_ROLES: cognito.StringAttribute(max_len=2048, mutable=True),
            },
        )
        self.citizen_pool = self._user_pool(
            "CitizenPool",
            (Role.CITIZEN,),
            {
                CLAIM_MUNICIPALITY: cognito.StringAttribute(min_len=4, max_len=8, mutable=True),
                # Mapped from the MitID broker at every sign-in, so it must be mutable (DDMMYY-SSSS or DDMMYYSSSS).
                CLAIM_CPR: cognito.StringAttribute(min_len=10, max_len=11, mutable=True),
            },
        )
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
            ),
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
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
            ),
        )
        # Every method is validated: its parameters, and a JSON object body where the handler requires a body.
        # The handler still validates the body against its model and lists what is wrong.
        self.validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        self.json_object = self.rest_api.add_model(
            "JsonObject",
            content_type="application/json",
            description="any JSON object: the body's fields are validated by the function",
            schema=apigw.JsonSchema(schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT),
        )
        self._gateway_responses()
        # API Gateway would create the execution log group on first use, without retention or encryption.
        stage = self.rest_api.deployment_stage
        execution_logs = logs.create(
            self, "ExecutionLogs", name=f"API-Gateway-Execution-Logs_{self.rest_api.rest_api_id}/{config.name}"
        )
        stage.node.add_dependency(execution_logs)
        operations.watch_api(stage)
        self.federation = Federation(
            self,
            "Identity",
            config=config,
            logs=logs,
            operations=operations,
            staff_pool=self.staff_pool,
            citizen_pool=self.citizen_pool,
        )
        self.firewall = ApiFirewall(self, "Firewall", config=config, logs=logs, stage=stage) if config.waf else None
        self._acknowledge_findings(stage)

    def add_routes(
        self,
        function: lambda_.IFunction,
        routes: Iterable[tuple[str, str]],
        *,
        with_body: Collection[tuple[str, str]] = (),
    ) -> None:
        """Route each (METHOD, /path/{param}) to `function` through a Lambda proxy integration; the routes in
        `with_body` must carry a JSON object body."""
        integration = apigw.LambdaIntegration(function)
        for method, path in routes:
            self.rest_api.root.resource_for_path(path).add_method(
                method,
                integration,
                request_validator=self.validator,
                request_models={"application/json": self.json_object} if (method, path) in with_body else None,
            )

    def _gateway_responses(self) -> None:
        headers = {"Content-Type": "'application/problem+json'"}
        if len(self._config.cors_allowed_origins) == 1:
            # A browser may read the error only with CORS headers; one origin can be named statically.
            headers["Access-Control-Allow-Origin"] = f"'{self._config.cors_allowed_origins[0]}'"
            headers["Vary"] = "'Origin'"
        # Every type has its own status code: DEFAULT_4XX's and DEFAULT_5XX's apply only to types without one.
        for response_type, problem in GATEWAY_PROBLEMS.items():
            self.rest_api.add_gateway_response(
                "".join(word.capitalize() for word in response_type.split("_")),
                type=apigw.ResponseType.of(response_type),
                status_code=str(problem.status),
                response_headers=headers,
                templates={"application/json": problem_template(response_type)},
            )

    def _acknowledge_findings(self, stage: apigw.Stage) -> None:
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
        if self.firewall is None:
            acknowledge(
                stage,
                "No WAF in this environment (config 'waf' absent): its data is disposable test data and its "
                "users are testers; the stage is throttled and every method requires a Cognito token.",
                "AwsSolutions-APIG3",
            )

    def _user_pool(
        self, construct_id: str, roles: Iterable[Role], attributes: dict[str, cognito.ICustomAttribute]
    ) -> cognito.UserPool:
        """A user pool whose groups are the roles, with the custom attributes the tokens carry."""
        pool = cognito.UserPool(
            self,
            construct_id,
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            custom_attributes={custom_attribute(claim): attribute for claim, attribute in attributes.items()},
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
