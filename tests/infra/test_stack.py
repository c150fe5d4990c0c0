"""The synthesised template of each environment: table, API, functions, logs and the seed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from aws_cdk.assertions import Capture, Match, Template

from functions import ENTRY_POINTS, HTTP_FUNCTIONS, EntryPoint, http_routes
from kommunal_pro.storage.schema import GSI1, INDEXES, LOGIN, PK, SK, TTL_ATTRIBUTE
from tests.infra.conftest import Synthesised
from tests.json_values import as_objects, as_str

pytestmark = pytest.mark.xdist_group("infra")

STATEFUL_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::KMS::Key",
    "AWS::Cognito::UserPool",
    "AWS::Logs::LogGroup",
    "AWS::S3::Bucket",
)


def _resources(template: Template, type_: str, props: dict[str, Any] | None = None) -> Mapping[str, Mapping[str, Any]]:
    return template.find_resources(type_, {"Properties": props} if props else None)


def _only(resources: Mapping[str, Mapping[str, Any]]) -> tuple[str, Mapping[str, Any]]:
    assert len(resources) == 1, sorted(resources)
    return next(iter(resources.items()))


def _table_id(template: Template, kind: str = "data") -> str:
    """The data table (every index of the schema) or the audit table (its own indexes, a resource policy)."""
    tables = _resources(template, "AWS::DynamoDB::Table")
    audit = [logical_id for logical_id, table in tables.items() if "ResourcePolicy" in table["Properties"]]
    data = [logical_id for logical_id in tables if logical_id not in audit]
    (table_id,) = audit if kind == "audit" else data
    return table_id


def _get_att_targets(value: Any) -> Iterator[str]:
    """The logical ids a property value refers to with Fn::GetAtt."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for item in value.values():
            yield from _get_att_targets(item)
    elif isinstance(value, list):
        for item in value:
            yield from _get_att_targets(item)


def _function_id(template: Template, name: str, handler: str = "handler.lambda_handler") -> str:
    props = {"Handler": handler, "Environment": {"Variables": {"POWERTOOLS_SERVICE_NAME": name}}}
    return _only(_resources(template, "AWS::Lambda::Function", props))[0]


def _role_id(template: Template, function_id: str) -> str:
    return as_str(template.to_json()["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0])


def _routes_by_function(template: Template) -> dict[str, list[tuple[str, str]]]:
    """(METHOD, path) of every non-OPTIONS method, by the logical id of the function it invokes."""
    resources = _resources(template, "AWS::ApiGateway::Resource")

    def path(resource_id: Any) -> str:
        if "Ref" not in resource_id:  # the API's root resource
            return ""
        props = resources[resource_id["Ref"]]["Properties"]
        return f"{path(props['ParentId'])}/{props['PathPart']}"

    routes: dict[str, list[tuple[str, str]]] = {}
    for method in _resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] != "OPTIONS":
            (function_id,) = _get_att_targets(props["Integration"]["Uri"])
            routes.setdefault(function_id, []).append((props["HttpMethod"], path(props["ResourceId"])))
    return {function_id: sorted(found) for function_id, found in routes.items()}


# --- the data table -----------------------------------------------------------------------------------


def test_table_keys_billing_and_ttl_come_from_the_schema(synthesised: Synthesised) -> None:
    synthesised.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": PK, "KeyType": "HASH"}, {"AttributeName": SK, "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


@pytest.mark.parametrize("index", INDEXES, ids=lambda index: index.name)
def test_table_has_every_index_of_the_schema(synthesised: Synthesised, index: Any) -> None:
    synthesised.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "AttributeDefinitions": Match.array_with(
                [
                    {"AttributeName": index.partition_key, "AttributeType": "S"},
                    {"AttributeName": index.sort_key, "AttributeType": "S"},
                ]
            ),
            "GlobalSecondaryIndexes": Match.array_with(
                [
                    {
                        "IndexName": index.name,
                        "KeySchema": [
                            {"AttributeName": index.partition_key, "KeyType": "HASH"},
                            {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                        ],
                        "Projection": {"ProjectionType": "ALL"},
                    }
                ]
            ),
        },
    )


def test_table_is_encrypted_with_its_own_rotating_key(synthesised: Synthesised) -> None:
    key = Capture()
    synthesised.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {"SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}}},
    )
    keys = _resources(synthesised.template, "AWS::KMS::Key", {"EnableKeyRotation": True})
    assert key.as_string() in keys


def test_table_is_retained_and_protected_outside_test(synthesised: Synthesised) -> None:
    kept = synthesised.name != "test"
    policy = "Retain" if kept else "Delete"
    synthesised.template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": policy,
            "UpdateReplacePolicy": policy,
            "Properties": {"DeletionProtectionEnabled": kept},
        },
    )


@pytest.mark.parametrize("type_", STATEFUL_TYPES)
def test_stateful_resources_are_kept_outside_test(synthesised: Synthesised, type_: str) -> None:
    policy = "Delete" if synthesised.name == "test" else "Retain"
    resources = synthesised.template.find_resources(type_)

    assert resources
    assert {resource["DeletionPolicy"] for resource in resources.values()} == {policy}


def test_user_pools_are_protected_outside_test(synthesised: Synthesised) -> None:
    protection = "ACTIVE" if synthesised.name != "test" else "INACTIVE"
    pools = _resources(synthesised.template, "AWS::Cognito::UserPool")

    assert {pool["Properties"]["DeletionProtection"] for pool in pools.values()} == {protection}


# --- the API -------------------------------------------------------------------------------------------


def test_every_method_requires_a_token_from_the_staff_or_citizen_pool(synthesised: Synthesised) -> None:
    template = synthesised.template
    authorizer_id, authorizer = _only(
        _resources(template, "AWS::ApiGateway::Authorizer", {"Type": "COGNITO_USER_POOLS"})
    )
    pools = _resources(template, "AWS::Cognito::UserPool")
    methods = [
        method["Properties"]
        for method in _resources(template, "AWS::ApiGateway::Method").values()
        if method["Properties"]["HttpMethod"] != "OPTIONS"
    ]

    assert set(_get_att_targets(authorizer["Properties"]["ProviderARNs"])) == set(pools)
    assert len(pools) == 2
    assert methods
    for method in methods:
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS", method
        assert method["AuthorizerId"] == {"Ref": authorizer_id}, method


def test_only_cors_preflights_go_without_a_token_and_they_never_reach_a_function(
    synthesised: Synthesised,
) -> None:
    for method in _resources(synthesised.template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props.get("AuthorizationType") != "COGNITO_USER_POOLS":
            assert props["HttpMethod"] == "OPTIONS"
            assert props["Integration"]["Type"] == "MOCK"


def test_the_api_serves_exactly_the_routes_of_each_handler(synthesised: Synthesised) -> None:
    expected = {_function_id(synthesised.template, name): http_routes(name) for name in HTTP_FUNCTIONS}

    assert _routes_by_function(synthesised.template) == expected


def test_stage_logs_traces_and_throttles_as_configured(synthesised: Synthesised) -> None:
    throttling = synthesised.config.api_throttling
    access_logs = Capture()
    synthesised.template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": synthesised.name,
            "TracingEnabled": True,
            "AccessLogSetting": {
                "DestinationArn": {"Fn::GetAtt": [access_logs, "Arn"]},
                "Format": Match.serialized_json(
                    Match.object_like(
                        {
                            "requestId": "$context.requestId",
                            "sub": "$context.authorizer.claims.sub",
                            "resourcePath": "$context.resourcePath",
                            "status": "$context.status",
                            "errorType": "$context.error.responseType",
                        }
                    )
                ),
            },
            "MethodSettings": [
                {
                    "HttpMethod": "*",
                    "ResourcePath": "/*",
                    "LoggingLevel": "ERROR",
                    "DataTraceEnabled": False,
                    "ThrottlingRateLimit": throttling.rate_limit,
                    "ThrottlingBurstLimit": throttling.burst_limit,
                }
            ],
        },
    )
    assert access_logs.as_string() in _resources(synthesised.template, "AWS::Logs::LogGroup")


def test_cors_preflight_allows_only_the_configured_origins(synthesised: Synthesised) -> None:
    origins = synthesised.config.cors_allowed_origins
    synthesised.template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "OPTIONS",
            "Integration": {
                "IntegrationResponses": [
                    {
                        "ResponseParameters": Match.object_like(
                            {"method.response.header.Access-Control-Allow-Origin": f"'{origins[0]}'"}
                        )
                    }
                ]
            },
        },
    )


# --- functions and logs --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_http_function_runs_with_the_layer_tracing_and_environment(synthesised: Synthesised, name: str) -> None:
    template, config = synthesised.template, synthesised.config
    table_id = _table_id(template)
    layer_id = _only(_resources(template, "AWS::Lambda::LayerVersion"))[0]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "handler.lambda_handler",
            "Runtime": "python3.12",
            "Layers": [{"Ref": layer_id}],
            "TracingConfig": {"Mode": "Active"},
            "Environment": {
                "Variables": {
                    "TABLE_NAME": {"Ref": table_id},
                    "KOMMUNAL_PRO_ENV": config.name,
                    "POWERTOOLS_SERVICE_NAME": name,
                    "POWERTOOLS_METRICS_NAMESPACE": "KommunalPro",
                    "LOG_LEVEL": config.log_level,
                }
            },
        },
    )


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda entry: entry.import_path)
def test_every_registered_entry_point_is_one_function(synthesised: Synthesised, entry: EntryPoint) -> None:
    _function_id(synthesised.template, entry.function, handler=entry.handler)


def test_every_function_of_ours_logs_to_its_own_log_group(synthesised: Synthesised) -> None:
    template = synthesised.template
    functions = _resources(template, "AWS::Lambda::Function", {"Runtime": "python3.12"})
    groups = {function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for function in functions.values()}

    assert len(groups) == len(functions)
    assert groups <= set(_resources(template, "AWS::Logs::LogGroup"))


def test_every_log_group_expires_and_is_encrypted(synthesised: Synthesised) -> None:
    groups = _resources(synthesised.template, "AWS::Logs::LogGroup")
    retention = {group["Properties"].get("RetentionInDays") for group in groups.values()}

    assert len(retention) == 1
    assert retention.pop() > 0
    for group in groups.values():
        assert "KmsKeyId" in group["Properties"], group


READ_WRITE = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
TRANSACTIONAL = [*READ_WRITE, "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"]
# What each function may do with the table, on which indexes, with the CPR key, and whether it audits.
GRANTS = {
    "organisations": (READ_WRITE, [GSI1.name], [], False),
    "questionnaires": (READ_WRITE, [GSI1.name], [], False),
    "assignments": (TRANSACTIONAL, [GSI1.name], ["kms:Encrypt", "kms:Decrypt"], True),
    "responses": (TRANSACTIONAL, [GSI1.name, LOGIN.name], ["kms:Decrypt"], True),
}


def test_every_http_function_has_its_grants_listed() -> None:
    assert set(GRANTS) == set(HTTP_FUNCTIONS)


def _statements(template: Template, name: str) -> list[dict[str, Any]]:
    role = _role_id(template, _function_id(template, name))
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy", {"Properties": {"Roles": [{"Ref": role}]}}).values()
    return as_objects(policy["Properties"]["PolicyDocument"]["Statement"])


@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_http_functions_get_exactly_their_table_actions_indexes_and_cpr_key_use(
    synthesised: Synthesised, name: str
) -> None:
    template = synthesised.template
    table_arn = {"Fn::GetAtt": [_table_id(template), "Arn"]}
    audit_arn = {"Fn::GetAtt": [_table_id(template, "audit"), "Arn"]}
    actions, indexes, cpr_actions, audits = GRANTS[name]
    statements = _statements(template, name)
    table_statement, *audit_statements = (s for s in statements if str(s["Action"]).startswith("['dynamodb:"))
    assert table_statement["Action"] == actions
    assert table_statement["Resource"] == [
        table_arn,
        *({"Fn::Join": ["", [table_arn, f"/index/{i}"]]} for i in indexes),
    ]
    granted_kms = [
        a
        for s in statements
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        if a in ("kms:Encrypt", "kms:Decrypt") and "Condition" not in s
    ]
    assert granted_kms == cpr_actions
    reads_secret = any(s["Action"] == "secretsmanager:GetSecretValue" for s in statements)
    assert reads_secret == bool(cpr_actions)
    # The audit log is append-only: add and query events, on the audit table and its index, nothing else.
    expected_audit = [
        {
            "Action": ["dynamodb:PutItem", "dynamodb:Query"],
            "Effect": "Allow",
            "Resource": [audit_arn, {"Fn::Join": ["", [audit_arn, f"/index/{GSI1.name}"]]}],
        }
    ]
    assert audit_statements == (expected_audit if audits else [])


def test_no_policy_allows_a_scan_or_a_wildcard_table_action(synthesised: Synthesised) -> None:
    text = str(synthesised.template.to_json())

    assert "dynamodb:Scan" not in text
    assert "dynamodb:*" not in text
    assert "/index/*" not in text


# --- the seed ------------------------------------------------------------------------------------------


def test_reference_data_is_seeded_after_the_table_is_created(synthesised: Synthesised) -> None:
    template = synthesised.template
    table_id = _table_id(template)
    seed_id = _function_id(template, "seed", handler="handler.lambda_handler")
    _, trigger = _only(template.find_resources("Custom::Trigger"))
    version = template.to_json()["Resources"][trigger["Properties"]["HandlerArn"]["Ref"]]

    assert table_id in trigger["DependsOn"]
    assert version["Properties"]["FunctionName"] == {"Ref": seed_id}


def test_the_seed_may_only_read_and_add_items(synthesised: Synthesised) -> None:
    template = synthesised.template
    role = _role_id(template, _function_id(template, "seed", handler="handler.lambda_handler"))
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "Roles": [{"Ref": role}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Effect": "Allow"})]
                )
            },
        },
    )
