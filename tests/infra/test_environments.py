"""What differs by environment, from one code path: data safety, the WAF, identity providers, and what every
environment has in the same way: request validation, problem+json gateway errors, alarms and the dashboard."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from aws_cdk import aws_apigateway as apigw

from functions import HTTP_FUNCTIONS
from infra.identity import CLAIM_ROLES
from kommunal_pro.auth import CLAIM_CPR, CLAIM_MUNICIPALITY, CLAIM_UNITS
from local.server import GATEWAY_MESSAGES, gateway_error
from tests.infra.conftest import Synthesised
from tests.json_values import as_object, as_str

pytestmark = pytest.mark.xdist_group("infra")

SELF_ADMIN_SCOPE = "aws.cognito.signin.user.admin"


def _only(resources: Mapping[str, Mapping[str, Any]]) -> tuple[str, Mapping[str, Any]]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.items()))


def _our_functions(synthesised: Synthesised) -> Mapping[str, Mapping[str, Any]]:
    """Our functions (not CDK's own providers): Python, with their own log group."""
    return synthesised.find("AWS::Lambda::Function", {"Runtime": "python3.12"})


def _pool_id(synthesised: Synthesised, attribute: str) -> str:
    """The user pool whose schema has the custom attribute `attribute` (custom:cpr: citizens; custom:units: staff)."""
    name = attribute.removeprefix("custom:")
    pools = {
        logical_id
        for logical_id, pool in synthesised.find("AWS::Cognito::UserPool").items()
        if any(item["Name"] == name for item in pool["Properties"]["Schema"])
    }
    (pool_id,) = pools
    return pool_id


# --- data safety ---------------------------------------------------------------------------------------


def test_the_stack_is_termination_protected_outside_test(synthesised: Synthesised) -> None:
    assert synthesised.stack.termination_protection is (synthesised.name != "test")


def test_the_cpr_hash_key_is_kept_outside_test(synthesised: Synthesised) -> None:
    policy = "Delete" if synthesised.name == "test" else "Retain"
    _, secret = _only(synthesised.find("AWS::SecretsManager::Secret"))

    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == (policy, policy)


def test_only_production_backs_the_table_up_daily_and_monthly(synthesised: Synthesised) -> None:
    plans = synthesised.find("AWS::Backup::BackupPlan")
    if synthesised.config.backup is None:
        assert not plans
        assert not synthesised.find("AWS::Backup::BackupSelection")
        assert not synthesised.find("AWS::Backup::BackupVault")
        return
    assert synthesised.name == "production"
    retention = synthesised.config.backup
    _, plan = _only(plans)
    rules = {rule["RuleName"]: rule for rule in plan["Properties"]["BackupPlan"]["BackupPlanRule"]}
    assert rules["Daily"]["ScheduleExpression"] == "cron(0 2 * * ? *)"
    assert rules["Daily"]["Lifecycle"] == {"DeleteAfterDays": retention.daily_retention_days}
    assert rules["Monthly"]["ScheduleExpression"] == "cron(0 3 1 * ? *)"
    assert rules["Monthly"]["Lifecycle"] == {"DeleteAfterDays": retention.monthly_retention_days}
    tables = synthesised.find("AWS::DynamoDB::Table")
    _, selection = _only(synthesised.find("AWS::Backup::BackupSelection"))
    assert len(tables) == 2
    assert selection["Properties"]["BackupSelection"]["Resources"] == [
        {"Fn::GetAtt": [table_id, "Arn"]} for table_id in tables
    ]


def test_the_audit_log_is_append_only_and_kept_like_the_data(synthesised: Synthesised) -> None:
    tables = synthesised.find("AWS::DynamoDB::Table")
    (audit_id,) = (logical_id for logical_id, table in tables.items() if "ResourcePolicy" in table["Properties"])
    (data_id,) = set(tables) - {audit_id}
    audit, data = tables[audit_id], tables[data_id]
    (statement,) = audit["Properties"]["ResourcePolicy"]["PolicyDocument"]["Statement"]

    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    # Nothing may change or remove an event, whoever asks; adding (PutItem) and reading stay with IAM.
    assert sorted(statement["Action"]) == [
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PartiQLDelete",
        "dynamodb:PartiQLUpdate",
        "dynamodb:UpdateItem",
    ]
    for setting in ("PointInTimeRecoverySpecification", "TimeToLiveSpecification", "DeletionProtectionEnabled"):
        assert audit["Properties"][setting] == data["Properties"][setting], setting
    assert audit["Properties"]["SSESpecification"] == data["Properties"]["SSESpecification"]
    assert (audit["DeletionPolicy"], audit["UpdateReplacePolicy"]) == (
        data["DeletionPolicy"],
        data["UpdateReplacePolicy"],
    )
    assert [index["IndexName"] for index in audit["Properties"]["GlobalSecondaryIndexes"]] == ["GSI1"]


def test_the_backup_vault_is_kept_encrypted_and_refuses_deleting_recovery_points(synthesised: Synthesised) -> None:
    if synthesised.config.backup is None:
        assert not synthesised.find("AWS::Backup::BackupVault") and not synthesised.find("AWS::Backup::BackupPlan")
        return
    _, vault = _only(synthesised.find("AWS::Backup::BackupVault"))
    key_id = vault["Properties"]["EncryptionKeyArn"]["Fn::GetAtt"][0]
    statement = vault["Properties"]["AccessPolicy"]["Statement"][0]

    assert vault["DeletionPolicy"] == "Retain"
    assert vault["Properties"]["BackupVaultName"] == _per_deployment(f"kommunal-pro-{synthesised.name}")
    assert synthesised.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    assert statement["Effect"] == "Deny"
    assert "backup:DeleteRecoveryPoint" in statement["Action"]


def _per_deployment(prefix: str) -> dict[str, Any]:
    """A name made unique by the stack id's UUID (its first 8 hex digits), as infra.cfn.per_deployment_name makes."""
    uuid = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
    return {"Fn::Join": ["-", [prefix, {"Fn::Select": [0, {"Fn::Split": ["-", uuid]}]}]]}


def test_no_resource_kept_after_a_rollback_has_a_fixed_name_so_a_failed_first_deploy_can_be_retried(
    synthesised: Synthesised,
) -> None:
    """A first deploy that fails rolls back but keeps what is retained; the retry creates it again, and a fixed
    physical name (a plain string) would make that fail with "already exists"."""
    fixed = {
        (logical_id, key): value
        for logical_id, resource in synthesised.resources.items()
        if "Retain" in (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        for key, value in (resource.get("Properties") or {}).items()
        if key.endswith("Name") and isinstance(value, str)
    }
    assert fixed == {}


# --- the WAF -------------------------------------------------------------------------------------------


def test_the_waf_is_in_front_of_the_api_outside_test_only(synthesised: Synthesised) -> None:
    acls = synthesised.find("AWS::WAFv2::WebACL")
    if synthesised.name == "test":
        assert not acls
        assert not synthesised.find("AWS::WAFv2::WebACLAssociation")
        return
    acl_id, acl = _only(acls)
    stage_id, _ = _only(synthesised.find("AWS::ApiGateway::Stage"))
    _, association = _only(synthesised.find("AWS::WAFv2::WebACLAssociation"))
    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert {"Ref": stage_id} in association["Properties"]["ResourceArn"]["Fn::Join"][1]


def test_the_waf_runs_the_managed_rule_groups_and_the_configured_rate_limit(synthesised: Synthesised) -> None:
    if synthesised.config.waf is None:
        assert not synthesised.find("AWS::WAFv2::WebACL")
        return
    _, acl = _only(synthesised.find("AWS::WAFv2::WebACL"))
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}

    # The body rules that would refuse questionnaire definitions and FHIR imports only count.
    count_only = {
        "AWSManagedRulesCommonRuleSet": ["SizeRestrictions_BODY", "CrossSiteScripting_BODY"],
        "AWSManagedRulesKnownBadInputsRuleSet": [],
    }
    assert [rule["Name"] for rule in acl["Properties"]["Rules"]] == [*count_only, "RateLimitPerIp"]
    for group, counted in count_only.items():
        statement = rules[group]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", group)
        overrides = statement.get("RuleActionOverrides", [])
        assert overrides == [{"Name": rule, "ActionToUse": {"Count": {}}} for rule in counted]
    rate = rules["RateLimitPerIp"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": synthesised.config.waf.rate_limit,
        "EvaluationWindowSec": 300,
    }


def test_the_waf_logs_to_its_own_log_group_without_the_bearer_token(synthesised: Synthesised) -> None:
    if synthesised.config.waf is None:
        assert not synthesised.find("AWS::WAFv2::LoggingConfiguration")
        return
    name = _per_deployment(f"aws-waf-logs-kommunal-pro-{synthesised.name}")
    _, logging = _only(synthesised.find("AWS::WAFv2::LoggingConfiguration"))

    assert synthesised.find("AWS::Logs::LogGroup", {"LogGroupName": name})
    ((_, parts),) = (destination["Fn::Join"] for destination in logging["Properties"]["LogDestinationConfigs"])
    assert parts[-2:] == [":log-group:", name]
    assert logging["Properties"]["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]


# --- the API: validation and errors --------------------------------------------------------------------


def test_every_method_is_validated_and_bodies_must_be_json_objects_where_required(synthesised: Synthesised) -> None:
    validator_id, validator = _only(synthesised.find("AWS::ApiGateway::RequestValidator"))
    model_id, model = _only(synthesised.find("AWS::ApiGateway::Model"))
    expected_bodies = {
        ("PATCH", "/v1/municipalities/{code}"),
        ("POST", "/v1/citizens"),
        ("POST", "/v1/citizens/search"),
        ("POST", "/v1/citizens/{citizen_id}/assignments"),
        ("POST", "/v1/citizens/{citizen_id}/assignments/{assignment_id}/appointment"),
        ("POST", "/v1/me/tasks/{task_id}/response"),
        ("POST", "/v1/questionnaires"),
        ("POST", "/v1/questionnaires/import"),
        ("POST", "/v1/questionnaires/{questionnaire_id}/versions/{version}/preview-score"),
        ("POST", "/v1/responses/{response_id}/review"),
        ("PUT", "/v1/me/preferences"),
        ("PUT", "/v1/me/tasks/{task_id}/draft"),
        ("PUT", "/v1/questionnaires/{questionnaire_id}/draft"),
    }
    resources = synthesised.find("AWS::ApiGateway::Resource")

    def path(resource_id: Any) -> str:
        if "Ref" not in resource_id:
            return ""
        props = resources[resource_id["Ref"]]["Properties"]
        return f"{path(props['ParentId'])}/{props['PathPart']}"

    with_body = set()
    for method in synthesised.find("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            continue
        assert props["RequestValidatorId"] == {"Ref": validator_id}
        if "RequestModels" in props:
            assert props["RequestModels"] == {"application/json": {"Ref": model_id}}
            with_body.add((props["HttpMethod"], path(props["ResourceId"])))
    assert validator["Properties"]["ValidateRequestBody"] is True
    assert validator["Properties"]["ValidateRequestParameters"] is True
    assert model["Properties"]["Schema"]["type"] == "object"
    assert with_body == expected_bodies


# What API Gateway answers itself, by gateway response type: the status and title of the problem+json.
GATEWAY_ERRORS = {
    "UNAUTHORIZED": (401, "Unauthenticated"),
    "ACCESS_DENIED": (403, "Forbidden"),
    "EXPIRED_TOKEN": (403, "Forbidden"),
    "INVALID_SIGNATURE": (403, "Forbidden"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "WAF_FILTERED": (403, "Forbidden"),
    "MISSING_AUTHENTICATION_TOKEN": (404, "Not found"),  # API Gateway's answer to an unknown route (else a 403)
    "RESOURCE_NOT_FOUND": (404, "Not found"),
    "REQUEST_TOO_LARGE": (413, "Payload too large"),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported media type"),
    "THROTTLED": (429, "Too many requests"),
    "QUOTA_EXCEEDED": (429, "Too many requests"),
    "BAD_REQUEST_BODY": (400, "Bad request"),
    "BAD_REQUEST_PARAMETERS": (400, "Bad request"),
    "DEFAULT_4XX": (400, "Bad request"),
    "INTEGRATION_FAILURE": (504, "Gateway timeout"),
    "INTEGRATION_TIMEOUT": (504, "Gateway timeout"),
    "API_CONFIGURATION_ERROR": (500, "Internal error"),
    "AUTHORIZER_CONFIGURATION_ERROR": (500, "Internal error"),
    "AUTHORIZER_FAILURE": (500, "Internal error"),
    "DEFAULT_5XX": (500, "Internal error"),
}
GATEWAY_DETAILS = {
    "UNAUTHORIZED": "Du skal være logget ind (a valid bearer token is required)",
    "MISSING_AUTHENTICATION_TOKEN": "Ukendt adresse (no such route)",
}


def test_every_gateway_response_type_of_api_gateway_is_configured() -> None:
    known = {getattr(apigw.ResponseType, name).response_type for name in dir(apigw.ResponseType) if name.isupper()}
    assert known == GATEWAY_ERRORS.keys()


def _gateway_responses(synthesised: Synthesised) -> dict[str, Mapping[str, Any]]:
    responses: dict[str, Mapping[str, Any]] = {}
    for resource in synthesised.find("AWS::ApiGateway::GatewayResponse").values():
        props = resource["Properties"]
        assert props["ResponseType"] not in responses, props["ResponseType"]
        responses[props["ResponseType"]] = props
    return responses


def test_errors_api_gateway_answers_itself_are_problem_json_a_browser_may_read(synthesised: Synthesised) -> None:
    origin = synthesised.config.cors_allowed_origins[0]
    responses = _gateway_responses(synthesised)
    assert responses.keys() == GATEWAY_ERRORS.keys()
    for response_type, (status, title) in GATEWAY_ERRORS.items():
        props = responses[response_type]
        assert props["StatusCode"] == str(status), response_type
        assert props["ResponseParameters"] == {
            "gatewayresponse.header.Content-Type": "'application/problem+json'",
            "gatewayresponse.header.Access-Control-Allow-Origin": f"'{origin}'",
            "gatewayresponse.header.Vary": "'Origin'",
        }
        assert props["ResponseTemplates"].keys() == {"application/json"}
        template = props["ResponseTemplates"]["application/json"]
        # The one variable, API Gateway's message, is a quoted JSON string: with it in place the body is JSON.
        assert template.count("$") == 1 and '"message": $context.error.messageString' in template
        body = as_object(json.loads(template.replace("$context.error.messageString", '"Unauthorized"')))
        assert body.keys() == {"type", "title", "status", "detail", "message"}, response_type
        assert (body["status"], body["title"], body["message"]) == (status, title, "Unauthorized")
        assert body["type"] == f"https://kommunal-pro.dk/problems/{title.lower().replace(' ', '-')}"
        detail = as_str(body["detail"])
        assert detail == GATEWAY_DETAILS.get(response_type, detail)
        assert detail.endswith(")") and " (" in detail, detail  # Danish first, English in parentheses


@pytest.mark.parametrize("response_type", sorted(GATEWAY_MESSAGES))
def test_the_local_runner_answers_what_api_gateway_answers(
    synthesise: Callable[[str], Synthesised], response_type: str
) -> None:
    props = _gateway_responses(synthesise("test"))[response_type]
    status, headers, body = gateway_error(response_type)
    message = json.dumps(GATEWAY_MESSAGES[response_type])
    expected = json.loads(
        props["ResponseTemplates"]["application/json"].replace("$context.error.messageString", message)
    )
    assert (str(status), json.loads(body)) == (props["StatusCode"], expected)
    assert headers["Content-Type"] == props["ResponseParameters"]["gatewayresponse.header.Content-Type"].strip("'")


@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_http_functions_know_the_allowed_origins_and_the_audit_retention(synthesised: Synthesised, name: str) -> None:
    config = synthesised.config
    synthesised.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": {
                    "POWERTOOLS_SERVICE_NAME": name,
                    "CORS_ALLOWED_ORIGINS": ",".join(config.cors_allowed_origins),
                    "AUDIT_RETENTION_DAYS": str(config.audit_retention_days),
                }
            }
        },
    )


# --- identity ------------------------------------------------------------------------------------------


def test_the_pools_hold_the_attributes_the_platform_reads_from_tokens(synthesised: Synthesised) -> None:
    staff, citizens = _pool_id(synthesised, CLAIM_UNITS), _pool_id(synthesised, CLAIM_CPR)
    clients = {
        client["Properties"]["UserPoolId"]["Ref"]: client["Properties"]
        for client in synthesised.find("AWS::Cognito::UserPoolClient").values()
    }

    assert set(clients) == {staff, citizens}
    assert {CLAIM_MUNICIPALITY, CLAIM_UNITS, CLAIM_ROLES} <= set(clients[staff]["ReadAttributes"])
    assert {CLAIM_CPR} <= set(clients[citizens]["ReadAttributes"])
    for client in clients.values():
        assert client["GenerateSecret"] is False
        assert client["AllowedOAuthFlows"] == ["code"]
        assert client["CallbackURLs"] == synthesised.config.identity.callback_urls
        assert SELF_ADMIN_SCOPE not in client["AllowedOAuthScopes"]


def test_the_sign_in_domains_are_the_configured_ones(synthesised: Synthesised) -> None:
    identity = synthesised.config.identity
    domains = {domain["Properties"]["Domain"] for domain in synthesised.find("AWS::Cognito::UserPoolDomain").values()}

    assert domains == {identity.staff.domain_prefix, identity.citizens.domain_prefix}


def test_testers_are_native_users_in_test_only(synthesised: Synthesised) -> None:
    providers = synthesised.find("AWS::Cognito::UserPoolIdentityProvider")
    clients = [client["Properties"] for client in synthesised.find("AWS::Cognito::UserPoolClient").values()]
    pools = synthesised.find("AWS::Cognito::UserPool").values()
    if synthesised.name == "test":
        assert not providers
        assert all("LambdaConfig" not in pool["Properties"] for pool in pools)
        for client in clients:
            assert client["SupportedIdentityProviders"] == ["COGNITO"]
            assert client["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
            assert client["WriteAttributes"] == ["name"]
        return
    assert len(providers) == 2
    for client in clients:
        (provider,) = client["SupportedIdentityProviders"]
        assert provider["Ref"] in providers
        # No password or SRP sign-in: no token carries the scope that would let a user rewrite mapped attributes.
        assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]


def test_staff_sign_in_through_fk_adgangsstyring_mapping_municipality_units_and_roles(
    synthesised: Synthesised,
) -> None:
    saml = synthesised.config.identity.staff.saml
    if saml is None:
        assert not synthesised.find("AWS::Cognito::UserPoolIdentityProvider", {"ProviderType": "SAML"})
        return
    staff = _pool_id(synthesised, CLAIM_UNITS)
    _, provider = _only(synthesised.find("AWS::Cognito::UserPoolIdentityProvider", {"ProviderType": "SAML"}))
    props = provider["Properties"]

    assert props["UserPoolId"] == {"Ref": staff}
    assert props["ProviderName"] == saml.name
    assert props["ProviderDetails"] == {
        "MetadataURL": saml.metadata_url,
        "EncryptedResponses": True,
        "RequestSigningAlgorithm": "rsa-sha256",
        "IDPSignout": True,
    }
    assert props["AttributeMapping"] == {
        "email": saml.attributes.email,
        "name": saml.attributes.name,
        CLAIM_MUNICIPALITY: saml.attributes.municipality,
        CLAIM_UNITS: saml.attributes.units,
        CLAIM_ROLES: saml.attributes.roles,
    }


def test_citizens_sign_in_through_the_mitid_broker_with_their_cpr_claim(synthesised: Synthesised) -> None:
    oidc = synthesised.config.identity.citizens.oidc
    if oidc is None:
        assert not synthesised.find("AWS::Cognito::UserPoolIdentityProvider", {"ProviderType": "OIDC"})
        return
    citizens = _pool_id(synthesised, CLAIM_CPR)
    _, provider = _only(synthesised.find("AWS::Cognito::UserPoolIdentityProvider", {"ProviderType": "OIDC"}))
    props = provider["Properties"]

    assert props["UserPoolId"] == {"Ref": citizens}
    assert props["ProviderDetails"]["oidc_issuer"] == oidc.issuer_url
    assert props["ProviderDetails"]["client_id"] == oidc.client_id
    assert props["ProviderDetails"]["authorize_scopes"] == " ".join(oidc.scopes)
    # Resolved by CloudFormation from Secrets Manager at deploy time: the secret is never in the template.
    assert props["ProviderDetails"]["client_secret"] == (
        f"{{{{resolve:secretsmanager:{oidc.client_secret_name}:SecretString:::}}}}"
    )
    assert props["AttributeMapping"][CLAIM_CPR] == oidc.cpr_claim


def test_federated_roles_come_from_the_identity_provider_at_every_sign_in(synthesised: Synthesised) -> None:
    if not synthesised.config.identity.federated:
        assert not any(
            "LambdaConfig" in pool["Properties"] for pool in synthesised.find("AWS::Cognito::UserPool").values()
        )
        return
    saml = synthesised.config.identity.staff.saml
    assert saml is not None
    expected = {
        _pool_id(synthesised, CLAIM_UNITS): {"ROLE_MAP": json.dumps({k: v.value for k, v in saml.roles.items()})},
        _pool_id(synthesised, CLAIM_CPR): {"FIXED_GROUPS": "citizen"},
    }
    for pool_id, environment in expected.items():
        trigger = synthesised.resources[pool_id]["Properties"]["LambdaConfig"]["PreTokenGeneration"]["Fn::GetAtt"][0]
        assert synthesised.resources[trigger]["Properties"]["Environment"]["Variables"] == environment


def test_what_to_register_at_the_identity_providers_is_a_stack_output(synthesised: Synthesised) -> None:
    outputs = set(synthesised.template.to_json()["Outputs"])
    registration = {"StaffSamlEntityId", "StaffSamlAcsUrl", "CitizenOidcRedirectUri"}

    assert {"StaffClientId", "CitizenClientId", "StaffSignInDomain", "CitizenSignInDomain"} <= outputs
    assert (registration <= outputs) is synthesised.config.identity.federated
    assert (registration & outputs == set()) is (not synthesised.config.identity.federated)


# --- operations ----------------------------------------------------------------------------------------


def _topic_id(synthesised: Synthesised) -> str:
    topic_id, _ = _only(synthesised.find("AWS::SNS::Topic"))
    return topic_id


def test_alarms_go_to_an_encrypted_topic_e_mailed_to_the_configured_addresses(synthesised: Synthesised) -> None:
    topic_id = _topic_id(synthesised)
    key_id = synthesised.resources[topic_id]["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key_statements = synthesised.resources[key_id]["Properties"]["KeyPolicy"]["Statement"]
    subscriptions = synthesised.find("AWS::SNS::Subscription", {"TopicArn": {"Ref": topic_id}})
    _, topic_policy = _only(synthesised.find("AWS::SNS::TopicPolicy"))

    assert synthesised.resources[key_id]["Properties"]["EnableKeyRotation"] is True
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in key_statements)
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions.values()) == sorted(
        synthesised.config.alarms.emails
    )
    assert {s["Properties"]["Protocol"] for s in subscriptions.values()} == {"email"}
    assert any(
        s["Effect"] == "Allow" and s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        for s in topic_policy["Properties"]["PolicyDocument"]["Statement"]
    )


# The one alarm for which no data is bad news: the organisation sync reports on every (nightly) run.
SILENCE_ALARMS = {"org-sync aborted or silent"}


def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_recovers(synthesised: Synthesised) -> None:
    topic = {"Ref": _topic_id(synthesised)}
    alarms = synthesised.alarms

    assert alarms
    assert set(alarms) >= SILENCE_ALARMS
    for name, alarm in alarms.items():
        assert alarm["AlarmName"] == f"kommunal-pro-{synthesised.name} {name}"
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]
        missing = "breaching" if name in SILENCE_ALARMS else "notBreaching"
        assert alarm["TreatMissingData"] == missing, name


def _metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm watches: its one metric, or those its math expression uses."""
    if "MetricName" in alarm:
        return [{key: alarm[key] for key in ("Namespace", "MetricName", "Dimensions", "Statistic") if key in alarm}]
    return [
        {**query["MetricStat"]["Metric"], "Statistic": query["MetricStat"]["Stat"]}
        for query in alarm["Metrics"]
        if "MetricStat" in query
    ]


def _expression(alarm: dict[str, Any]) -> str:
    (expression,) = (query["Expression"] for query in alarm["Metrics"] if "Expression" in query)
    return str(expression)


def test_every_function_of_ours_is_alarmed_on_errors_throttles_and_duration(synthesised: Synthesised) -> None:
    watched: dict[str, set[str]] = {}
    for alarm in synthesised.alarms.values():
        for metric in _metrics(alarm):
            for dimension in metric.get("Dimensions", []):
                if dimension["Name"] == "FunctionName":
                    watched.setdefault(dimension["Value"]["Ref"], set()).add(metric["MetricName"])

    assert watched == {
        function_id: {"Errors", "Throttles", "Duration"}
        | ({"Invocations"} if "ReservedConcurrentExecutions" not in function["Properties"] else set())
        for function_id, function in _our_functions(synthesised).items()
    }


def test_request_driven_functions_alarm_on_rates_held_for_15_of_25_minutes_jobs_on_one_failed_run(
    synthesised: Synthesised,
) -> None:
    alarms = synthesised.alarms
    responses = alarms["responses errors"]
    reminders = alarms["reminders errors"]

    assert "100 * part / whole" in _expression(responses)
    assert (responses["Threshold"], responses["DatapointsToAlarm"], responses["EvaluationPeriods"]) == (5, 3, 5)
    assert "(whole + part)" in _expression(alarms["responses throttles"])  # a throttle is not an invocation
    assert (reminders["MetricName"], reminders["Threshold"], reminders["EvaluationPeriods"]) == ("Errors", 1, 1)
    # Near the timeout: p90 of a request-driven function, any run of a job.
    near = alarms["responses near timeout"]
    timeout = next(
        f["Properties"]["Timeout"]
        for f in _our_functions(synthesised).values()
        if f["Properties"]["Environment"]["Variables"].get("POWERTOOLS_SERVICE_NAME") == "responses"
    )
    assert (near["ExtendedStatistic"], near["Threshold"]) == ("p90", timeout * 1000 * 0.8)
    assert alarms["reminders near timeout"]["Statistic"] == "Maximum"


def test_what_users_feel_is_alarmed_api_5xx_rate_and_latency_tables_queue_age_and_account_concurrency(
    synthesised: Synthesised,
) -> None:
    alarms = synthesised.alarms
    api_5xx = alarms["api 5xx"]
    latency = alarms["api p90 latency"]

    assert {m["MetricName"] for m in _metrics(api_5xx)} == {"5XXError", "Count"}
    assert (api_5xx["Threshold"], api_5xx["DatapointsToAlarm"], api_5xx["EvaluationPeriods"]) == (1, 3, 5)
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("Latency", "p90")
    assert latency["Threshold"] == synthesised.config.alarms.api_p90_latency_ms
    for table in ("data", "audit"):
        throttles, errors = alarms[f"{table} throttles"], alarms[f"{table} system errors"]
        assert {m["MetricName"] for m in _metrics(throttles)} == {"ReadThrottleEvents", "WriteThrottleEvents"}
        assert (errors["Namespace"], errors["MetricName"], errors["DatapointsToAlarm"]) == (
            "AWS/DynamoDB",
            "SystemErrors",
            2,
        )
    age = alarms["notifications queue age"]
    assert (age["MetricName"], age["Threshold"]) == ("ApproximateAgeOfOldestMessage", 15 * 60)
    concurrency = alarms["lambda account concurrency"]
    assert "SERVICE_QUOTA(usage)" in _expression(concurrency)
    assert concurrency["Threshold"] == 80


def test_each_environment_has_a_cost_budget_that_reaches_the_alarm_topic(synthesised: Synthesised) -> None:
    _, budget = _only(synthesised.find("AWS::Budgets::Budget"))
    topic_id, _ = _only(synthesised.find("AWS::SNS::Topic"))
    props = budget["Properties"]
    (topic_policy,) = [
        p for p in synthesised.find("AWS::SNS::TopicPolicy").values() if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]

    assert props["Budget"]["BudgetLimit"] == {"Amount": synthesised.config.alarms.monthly_budget_usd, "Unit": "USD"}
    assert props["Budget"]["CostFilters"] == {"TagKeyValue": [f"user:environment${synthesised.name}"]}
    assert [
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"])
        for n in props["NotificationsWithSubscribers"]
    ] == [("ACTUAL", 80), ("FORECASTED", 100)]
    for notification in props["NotificationsWithSubscribers"]:
        assert notification["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": topic_id}}]
    assert any(
        s["Principal"] == {"Service": "budgets.amazonaws.com"} and s["Action"] == "sns:Publish"
        for s in topic_policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_sms_spend_is_alarmed(synthesised: Synthesised) -> None:
    sms = synthesised.alarms["sms spend"]

    assert (sms["Namespace"], sms["MetricName"]) == ("AWS/SNS", "SMSMonthToDateSpentUSD")
    # At 80 % of the month's limit: SNS stops sending text messages at the limit itself.
    assert sms["Threshold"] == synthesised.config.sms.monthly_spend_limit_usd * 0.8


def test_the_dashboard_shows_the_api_every_function_and_every_dead_letter_queue(synthesised: Synthesised) -> None:
    _, dashboard = _only(synthesised.find("AWS::CloudWatch::Dashboard"))
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    queues = synthesised.find("AWS::SQS::Queue")
    main_queues = {queue_id for queue_id, queue in queues.items() if "RedrivePolicy" in queue["Properties"]}

    assert dashboard["Properties"]["DashboardName"] == f"KommunalPro-{synthesised.name}"
    for metric in ("4XXError", "5XXError", "Latency", "Errors", "Throttles", "Duration"):
        assert f'\\"{metric}\\"' in body, metric
    for function_id in _our_functions(synthesised):
        assert function_id in body
    # Every dead-letter queue's depth; of the notification queue, whose depth is routine, the oldest message's age.
    assert len(main_queues) == 1
    for queue_id in queues:
        assert queue_id in body, queue_id
    assert "ApproximateAgeOfOldestMessage" in body


# The functions that run one at a time: the seed, and each scheduled job (so runs never overlap).
SINGLE = {
    ("seed", "handler.lambda_handler"),
    ("notifications", "handler.lambda_handler"),
    ("orgsync", "handler.lambda_handler"),
}


def test_only_the_seed_and_the_jobs_reserve_concurrency_one_each_so_their_runs_never_overlap(
    synthesised: Synthesised,
) -> None:
    functions = _our_functions(synthesised).values()
    for function in functions:
        props = function["Properties"]
        which = (props["Environment"]["Variables"].get("POWERTOOLS_SERVICE_NAME"), props["Handler"])
        assert props.get("ReservedConcurrentExecutions") == (1 if which in SINGLE else None), which
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert isinstance(props["MemorySize"], int)
        assert isinstance(props["Timeout"], int)
