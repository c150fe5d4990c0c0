"""The OpenAPI document is the contract clients are generated from: it states every success and error status,
one Problem schema for every error, the headers the services require, who may call each operation, and an
example for every request body. docs/openapi.json is that document, committed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from pydantic import BaseModel

from functions import HTTP_FUNCTIONS, handler_module, http_routes
from kommunal_pro.api import RoleCheck
from kommunal_pro.concurrency import expected_version
from kommunal_pro.errors import BadRequest, ErrorCode
from kommunal_pro.responses.service import checked_idempotency_key
from local.server import LocalApi, openapi_json

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# The routes that create something answer 201; every other route answers 200 (none answers without a body).
CREATED = {
    ("POST", "/v1/questionnaires"),
    ("POST", "/v1/questionnaires/import"),
    ("POST", "/v1/questionnaires/{questionnaire_id}/copy"),
    ("POST", "/v1/citizens"),
    ("POST", "/v1/citizens/{citizen_id}/assignments"),
    ("POST", "/v1/me/tasks/{task_id}/response"),
}
WITH_LOCATION = {
    ("POST", "/v1/questionnaires"),
    ("POST", "/v1/questionnaires/import"),
    ("POST", "/v1/questionnaires/{questionnaire_id}/copy"),
    ("POST", "/v1/citizens"),
}
IF_MATCH = {("PATCH", "/v1/municipalities/{code}"), ("PUT", "/v1/questionnaires/{questionnaire_id}/draft")}
IDEMPOTENCY_KEY = {("POST", "/v1/me/tasks/{task_id}/response")}


@cache
def document() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(openapi_json())
    return result


def all_routes() -> list[tuple[str, str, str]]:
    return [(function, method, path) for function in HTTP_FUNCTIONS for method, path in http_routes(function)]


def operation(method: str, path: str) -> dict[str, Any]:
    result: dict[str, Any] = document()["paths"][path][method.lower()]
    return result


def route(function: str, method: str, path: str) -> Any:
    app = handler_module(function).app
    return next(r for r in app._static_routes + app._dynamic_routes if (r.method, r.openapi_path) == (method, path))


def refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def test_the_committed_document_is_the_one_the_code_serves() -> None:
    committed = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
    assert committed == openapi_json(), (
        "docs/openapi.json differs from the document the code generates; regenerate it with `make openapi` "
        "(python -m local.openapi) and commit it"
    )
    status, headers, served = LocalApi().handle("GET", "/openapi.json", {}, None)
    assert (status, headers["Content-Type"], served.decode()) == (200, "application/json", committed)


def test_the_document_is_valid_openapi_3_1() -> None:
    assert document()["openapi"].startswith("3.1")
    validate(document())


def test_the_document_covers_exactly_the_routes() -> None:
    documented = {(m.upper(), p) for p, item in document()["paths"].items() for m in item}
    assert documented == {(method, path) for _, method, path in all_routes()}
    assert len(documented) == 38


@pytest.mark.parametrize(("function", "method", "path"), all_routes())
def test_each_operation_states_its_success_status(function: str, method: str, path: str) -> None:
    responses = operation(method, path)["responses"]
    successes = [code for code in responses if int(code) < 400]
    assert successes == (["201"] if (method, path) in CREATED else ["200"])
    headers = responses[successes[0]].get("headers", {})
    assert ("Location" in headers) == ((method, path) in WITH_LOCATION)


@pytest.mark.parametrize(("function", "method", "path"), all_routes())
def test_each_error_is_a_problem(function: str, method: str, path: str) -> None:
    responses = operation(method, path)["responses"]
    errors = {code: response for code, response in responses.items() if int(code) >= 400}
    assert {"401", "403", "500", "503"} <= set(errors)
    for code, response in errors.items():
        assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, (code, response)
        assert response["description"]


@pytest.mark.parametrize(("function", "method", "path"), all_routes())
def test_each_operation_says_who_may_call_it_and_what_it_does(function: str, method: str, path: str) -> None:
    op = operation(method, path)
    (check,) = [m for m in route(function, method, path).middlewares if isinstance(m, RoleCheck)]
    assert op["x-roles"] == sorted(role.value for role in check.roles)
    assert op["tags"] == [function]
    assert op["security"] == [{"bearer": []}]
    assert op["summary"] and not op["summary"].startswith(method)
    assert len(op["description"]) > 20


def test_error_statuses_follow_what_the_route_takes() -> None:
    def errors(method: str, path: str) -> list[int]:
        return sorted(int(code) for code in operation(method, path)["responses"] if int(code) >= 400)

    assert errors("GET", "/v1/me/access-log") == [401, 403, 500, 503]
    assert errors("GET", "/v1/me/tasks") == [400, 401, 403, 422, 500, 503]  # a cursor not the list's is a 400
    assert errors("GET", "/v1/questionnaires/{questionnaire_id}/versions") == [401, 403, 404, 422, 500, 503]
    assert errors("GET", "/v1/citizens/{citizen_id}") == [401, 403, 404, 422, 500, 503]
    assert errors("POST", "/v1/citizens") == [400, 401, 403, 409, 413, 415, 422, 500, 503]
    assert errors("POST", "/v1/citizens/search") == [400, 401, 403, 404, 409, 413, 415, 422, 500, 503]
    assert errors("PATCH", "/v1/municipalities/{code}") == [
        *(400, 401, 403, 404, 409, 412, 413, 415, 422, 428, 500, 503)
    ]
    assert errors("POST", "/v1/me/tasks/{task_id}/response") == [*(400, 401, 403, 404, 409, 413, 415, 422, 500, 503)]
    # A paged list refuses a cursor it did not give out (fuzzing found the 400 undocumented on GET /v1/audit).
    assert errors("GET", "/v1/audit") == [400, 401, 403, 422, 500, 503]


def test_roles_are_the_routes_own() -> None:
    assert operation("PATCH", "/v1/municipalities/{code}")["x-roles"] == ["national-admin"]
    assert operation("GET", "/v1/audit")["x-roles"] == ["auditor"]
    assert operation("POST", "/v1/questionnaires/{questionnaire_id}/copy")["x-roles"] == ["admin"]
    assert operation("POST", "/v1/me/tasks/{task_id}/response")["x-roles"] == ["citizen"]
    assert operation("GET", "/v1/questionnaires")["x-roles"] == ["admin", "employee", "national-admin"]


def test_one_problem_schema_replaces_powertools_validation_errors() -> None:
    schemas = document()["components"]["schemas"]
    text = json.dumps(document())
    assert "HTTPValidationError" not in text and '"ValidationError"' not in text
    assert schemas["Problem"]["required"] == ["type", "title", "status", "detail"]
    assert set(schemas["Problem"]["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}
    assert schemas["Problem"]["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ProblemError"}
    assert schemas["ProblemError"]["required"] == ["code", "location", "messageDa", "messageEn"]


def test_the_problem_error_schema_lists_every_code_and_what_it_means() -> None:
    code = document()["components"]["schemas"]["ProblemError"]["properties"]["code"]
    assert code["enum"] == [c.value for c in ErrorCode]
    assert [line.split("`")[1] for line in code["description"].splitlines()[1:]] == code["enum"]
    assert all(line.split(": ", 1)[1] for line in code["description"].splitlines()[1:])


def test_component_names_are_unique_and_every_reference_resolves() -> None:
    schemas = document()["components"]["schemas"]
    assert [name for name in schemas if name.endswith(("-Input", "-Output"))] == []
    assert {"Item", "QuestionnaireDefinition"} <= set(schemas)
    titles = [schema.get("title", name) for name, schema in schemas.items()]
    assert sorted(set(titles)) == sorted(titles)
    missing = {ref for ref in refs(document()) if ref.removeprefix("#/components/schemas/") not in schemas}
    assert missing == set()


def test_the_services_required_headers_are_required() -> None:
    for method, path in IF_MATCH | IDEMPOTENCY_KEY:
        headers = {p["name"]: p for p in operation(method, path)["parameters"] if p["in"] == "header"}
        name = "If-Match" if (method, path) in IF_MATCH else "Idempotency-Key"
        assert headers[name]["required"] is True, (method, path)
        assert headers[name]["schema"]["type"] == "string"
    with_headers = {
        (m.upper(), p)
        for p, item in document()["paths"].items()
        for m, op in item.items()
        if any(param["in"] == "header" for param in op.get("parameters", []))
    }
    assert with_headers == IF_MATCH | IDEMPOTENCY_KEY
    assert "428" in operation("PUT", "/v1/questionnaires/{questionnaire_id}/draft")["responses"]


def test_each_module_is_a_described_tag() -> None:
    tags = document()["tags"]
    assert [tag["name"] for tag in tags] == ["organisations", "questionnaires", "assignments", "responses"]
    assert all(tag["description"].startswith(tag["name"].capitalize()) for tag in tags)
    assert "problem+json" in document()["info"]["description"]


def test_the_bearer_scheme_is_declared() -> None:
    assert document()["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An ID token from the Cognito user pool: staff (with role and municipality claims) or "
        "citizens (MitID, with the CPR claim)",
    }
    assert document()["security"] == [{"bearer": []}]


def body_examples(op: dict[str, Any]) -> list[Any]:
    content = op["requestBody"]["content"]["application/json"]
    if "examples" in content:
        return [example["value"] for example in content["examples"].values()]
    ref = content["schema"]["$ref"].removeprefix("#/components/schemas/")
    examples: list[Any] = document()["components"]["schemas"][ref].get("examples", [])
    return examples


@pytest.mark.parametrize(("function", "method", "path"), all_routes())
def test_every_request_body_has_an_example_the_route_accepts(function: str, method: str, path: str) -> None:
    op = operation(method, path)
    if "requestBody" not in op:
        assert method in ("GET", "POST")
        return
    examples = body_examples(op)
    assert examples, f"{method} {path} has no request body example"
    (body,) = route(function, method, path).dependant.body_params
    model = body.field_info.annotation
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({"components": document()["components"], **schema})
    for example in examples:
        assert [e.message for e in validator.iter_errors(example)] == [], example
        if isinstance(model, type) and issubclass(model, BaseModel):
            model.model_validate(example)
        else:
            assert example["resourceType"] == "Questionnaire"  # the FHIR import: the integration test posts it


def test_a_citizen_example_carries_the_cpr_in_the_body_only() -> None:
    (example,) = body_examples(operation("POST", "/v1/citizens"))
    assert example["name"] == "Hanne Jensen" and example["cpr"] == "070365-4286"
    assert not any("cpr" in path.lower() for path in document()["paths"])


def _header_schema(method: str, path: str, name: str) -> dict[str, Any]:
    parameters = operation(method, path)["parameters"]
    result: dict[str, Any] = next(p["schema"] for p in parameters if p["in"] == "header" and p["name"] == name)
    return result


def _accepts(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
    except BadRequest:
        return False
    return True


@pytest.mark.parametrize(
    "value", ['"3"', 'W/"3"', "3", '"123456789"', '"1234567890"', '"5', "[,\\s]+", '"\u0663"', "W/3x", '""']
)
def test_the_documented_if_match_is_what_the_service_takes(value: str) -> None:
    """A client generated from the document sends an If-Match the service reads, and only such (fuzzing found
    `[,\\s]+` documented as valid and refused with a 400)."""
    pattern = _header_schema("PATCH", "/v1/municipalities/{code}", "If-Match")["pattern"]
    assert bool(re.search(pattern, value)) == _accepts(expected_version, value)


@pytest.mark.parametrize(
    "value", ["first-attempt-0001", "A1b2C3d4", "short-1", "x" * 129, "ææææææææææ", "key with spaces", "key_0001"]
)
def test_the_documented_idempotency_key_is_what_the_service_takes(value: str) -> None:
    pattern = _header_schema("POST", "/v1/me/tasks/{task_id}/response", "Idempotency-Key")["pattern"]
    assert bool(re.search(pattern, value)) == _accepts(checked_idempotency_key, value)
