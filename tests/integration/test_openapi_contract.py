"""The document and the running API agree: real calls, with the document's own request examples, answer the
statuses and headers it states, and a missing required header is the problem+json it documents."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from kommunal_pro.auth import Role
from local.server import openapi_json
from tests.json_values import as_object, as_str
from tests.support import UNIT, ApiClient, Result, citizen, open_now, staff

DOCUMENT: dict[str, Any] = json.loads(openapi_json())
AARHUS_ADMIN = staff(Role.ADMIN, "0751")
NATIONAL_ADMIN = staff(Role.NATIONAL_ADMIN)
NURSE = staff(Role.EMPLOYEE, "0751")
HANNE = citizen("070365-4286", "Hanne Jensen")
WHO5_ANSWERS = {"who5-1": ["3"], "who5-2": ["2"], "who5-3": ["4"], "who5-4": ["1"], "who5-5": ["3"]}


def operation(method: str, path: str) -> dict[str, Any]:
    result: dict[str, Any] = DOCUMENT["paths"][path][method.lower()]
    return result


def example(method: str, path: str) -> dict[str, Any]:
    """The first request body example the document gives for the operation."""
    content = operation(method, path)["requestBody"]["content"]["application/json"]
    if "examples" in content:
        return as_object(next(iter(content["examples"].values()))["value"])
    name = content["schema"]["$ref"].removeprefix("#/components/schemas/")
    return as_object(DOCUMENT["components"]["schemas"][name]["examples"][0])


def conforms(value: Any, schema: dict[str, Any]) -> None:
    """`value` is valid against `schema`, whose references point into the document's components."""
    validator = Draft202012Validator({"components": DOCUMENT["components"], **schema})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]
    assert errors == [], errors


def documented(result: Result, method: str, path: str) -> dict[str, Any]:
    """The documented response for the call's status: its content type, its schema (the body conforms) and its
    headers; a problem must come as problem+json."""
    responses = operation(method, path)["responses"]
    assert str(result.status) in responses, (method, path, result.status, sorted(responses))
    response: dict[str, Any] = responses[str(result.status)]
    if result.status >= 400:
        assert set(result.problem) >= {"type", "title", "status", "detail"}
    (content_type,) = response["content"]
    assert result.headers["Content-Type"] == content_type
    conforms(result.body, response["content"][content_type]["schema"])
    for header in response.get("headers", {}):
        assert header in result.headers, (method, path, header)
    return response


def test_creates_answer_the_documented_201_with_the_documented_examples(api: ApiClient, seeded: Any) -> None:
    created = api.call("POST", "/v1/questionnaires", claims=AARHUS_ADMIN, body=example("POST", "/v1/questionnaires"))
    assert created.status == 201, created.body
    documented(created, "POST", "/v1/questionnaires")
    assert created.headers["Location"] == f"/v1/questionnaires/{created.body['id']}"

    imported = api.call(
        "POST", "/v1/questionnaires/import", claims=AARHUS_ADMIN, body=example("POST", "/v1/questionnaires/import")
    )
    assert imported.status == 201, imported.body
    documented(imported, "POST", "/v1/questionnaires/import")

    copied = api.call("POST", "/v1/questionnaires/who-5/copy", claims=AARHUS_ADMIN)
    assert copied.status == 201, copied.body
    documented(copied, "POST", "/v1/questionnaires/{questionnaire_id}/copy")

    registered = api.call("POST", "/v1/citizens", claims=NURSE, body=example("POST", "/v1/citizens"))
    assert registered.status == 201, registered.body
    documented(registered, "POST", "/v1/citizens")
    citizen_id = as_str(registered.body["id"])
    assert registered.headers["Location"] == f"/v1/citizens/{citizen_id}"

    found = api.call("POST", "/v1/citizens/search", claims=NURSE, body=example("POST", "/v1/citizens/search"))
    assert found.status == 200 and found.body["id"] == citizen_id
    documented(found, "POST", "/v1/citizens/search")

    assignments = "/v1/citizens/{citizen_id}/assignments"
    planned = api.call(
        "POST", f"/v1/citizens/{citizen_id}/assignments", claims=NURSE, body=example("POST", assignments)
    )
    assert planned.status == 201, planned.body
    documented(planned, "POST", assignments)

    schedule = open_now(due_in_days=3)
    body = {"questionnaireId": "who-5", "unitId": UNIT, "schedule": schedule}
    assigned = api.call("POST", f"/v1/citizens/{citizen_id}/assignments", claims=NURSE, body=body)
    task_id = as_str(assigned.body["tasks"][0]["id"])
    submit = "/v1/me/tasks/{task_id}/response"
    submitted = api.call(
        "POST",
        f"/v1/me/tasks/{task_id}/response",
        claims=HANNE,
        body=example("POST", submit),
        headers={"Idempotency-Key": "contract-test-0001"},
    )
    assert submitted.status == 201, submitted.body
    documented(submitted, "POST", submit)


def test_reads_answer_the_documented_200(api: ApiClient, seeded: Any) -> None:
    for claims, path, template in [
        (NATIONAL_ADMIN, "/v1/municipalities/0751", "/v1/municipalities/{code}"),
        (AARHUS_ADMIN, "/v1/questionnaires", "/v1/questionnaires"),
        (HANNE, "/v1/me/tasks", "/v1/me/tasks"),
    ]:
        result = api.call("GET", path, claims=claims)
        assert result.status == 200, (path, result.body)
        documented(result, "GET", template)


def test_errors_are_the_documented_problems(api: ApiClient, seeded: Any) -> None:
    unknown = api.call("GET", "/v1/citizens/no-such-citizen", claims=NURSE)
    assert unknown.status == 404
    documented(unknown, "GET", "/v1/citizens/{citizen_id}")
    refused = api.call("GET", "/v1/audit", claims=NURSE)
    assert refused.status == 403
    documented(refused, "GET", "/v1/audit")
    invalid = api.call("POST", "/v1/citizens", claims=NURSE, body={"name": "Hanne Jensen"})
    assert invalid.status == 422
    assert invalid.problem["errors"][0].keys() == {"code", "location", "messageDa", "messageEn"}
    documented(invalid, "POST", "/v1/citizens")
    not_json = api.call("POST", "/v1/citizens", claims=NURSE, raw_body="{", headers={"Content-Type": "text/plain"})
    assert not_json.status == 415
    documented(not_json, "POST", "/v1/citizens")


def test_a_missing_if_match_is_the_documented_428(api: ApiClient, seeded: Any) -> None:
    path = "/v1/municipalities/{code}"
    assert {p["name"]: p["required"] for p in operation("PATCH", path)["parameters"]}["If-Match"] is True
    result = api.call("PATCH", "/v1/municipalities/0751", claims=NATIONAL_ADMIN, body=example("PATCH", path))
    assert result.status == 428 and result.problem["title"] == "Precondition required"
    documented(result, "PATCH", path)

    draft = "/v1/questionnaires/{questionnaire_id}/draft"
    assert {p["name"]: p["required"] for p in operation("PUT", draft)["parameters"]}["If-Match"] is True
    created = api.call("POST", "/v1/questionnaires", claims=AARHUS_ADMIN, body=example("POST", "/v1/questionnaires"))
    saved = api.call(
        "PUT", f"/v1/questionnaires/{created.body['id']}/draft", claims=AARHUS_ADMIN, body=example("PUT", draft)
    )
    assert saved.status == 428
    documented(saved, "PUT", draft)
    with_tag = api.call(
        "PUT",
        f"/v1/questionnaires/{created.body['id']}/draft",
        claims=AARHUS_ADMIN,
        body=example("PUT", draft),
        headers={"If-Match": created.headers["ETag"]},
    )
    assert with_tag.status == 200, with_tag.body
    documented(with_tag, "PUT", draft)


def test_a_missing_idempotency_key_is_the_documented_400(api: ApiClient, seeded: Any) -> None:
    submit = "/v1/me/tasks/{task_id}/response"
    assert {p["name"]: p["required"] for p in operation("POST", submit)["parameters"]}["Idempotency-Key"] is True
    registered = api.call("POST", "/v1/citizens", claims=NURSE, body=example("POST", "/v1/citizens"))
    schedule = open_now(due_in_days=3)
    assigned = api.call(
        "POST",
        f"/v1/citizens/{registered.body['id']}/assignments",
        claims=NURSE,
        body={"questionnaireId": "who-5", "unitId": UNIT, "schedule": schedule},
    )
    task_id = assigned.body["tasks"][0]["id"]
    result = api.call("POST", f"/v1/me/tasks/{task_id}/response", claims=HANNE, body={"answers": WHO5_ANSWERS})
    assert result.status == 400 and result.problem["detail"].startswith("Send en Idempotency-Key")
    documented(result, "POST", submit)


def test_every_route_answers_its_documented_success(api: ApiClient, seeded: Any) -> None:
    """One call of every route, with the document's examples where it has them: each answers the one success
    status the document states, with the documented headers, in the documented schema."""
    auditor = staff(Role.AUDITOR, "0751")
    answered: dict[tuple[str, str], int] = {}

    def call(method: str, template: str, path: str, claims: dict[str, Any], **kwargs: Any) -> Result:
        result = api.call(method, path, claims=claims, **kwargs)
        (success,) = [code for code in operation(method, template)["responses"] if int(code) < 400]
        assert result.status == int(success), (method, path, result.status, result.body)
        documented(result, method, template)
        answered[(method, template)] = result.status
        return result

    def body(method: str, template: str) -> dict[str, Any]:
        return {"body": example(method, template)}

    # organisations
    call("GET", "/v1/municipalities", "/v1/municipalities", NATIONAL_ADMIN)
    municipality = call("GET", "/v1/municipalities/{code}", "/v1/municipalities/0751", NATIONAL_ADMIN)
    patch = body("PATCH", "/v1/municipalities/{code}") | {"headers": {"If-Match": municipality.headers["ETag"]}}
    call("PATCH", "/v1/municipalities/{code}", "/v1/municipalities/0751", NATIONAL_ADMIN, **patch)
    call("GET", "/v1/municipalities/{code}/units", "/v1/municipalities/0751/units", NURSE)
    call("GET", "/v1/org-sync/runs", "/v1/org-sync/runs", NATIONAL_ADMIN)
    call("GET", "/v1/me/units", "/v1/me/units", NURSE)

    # questionnaires
    q = "/v1/questionnaires/{questionnaire_id}"
    created = call(
        "POST", "/v1/questionnaires", "/v1/questionnaires", AARHUS_ADMIN, **body("POST", "/v1/questionnaires")
    )
    qid = as_str(created.body["id"])
    imports = "/v1/questionnaires/import"
    call("POST", imports, imports, AARHUS_ADMIN, **body("POST", imports))
    call("GET", "/v1/questionnaires", "/v1/questionnaires", AARHUS_ADMIN)
    draft = body("PUT", f"{q}/draft") | {"headers": {"If-Match": created.headers["ETag"]}}
    call("PUT", f"{q}/draft", f"/v1/questionnaires/{qid}/draft", AARHUS_ADMIN, **draft)
    call("POST", f"{q}/publish", f"/v1/questionnaires/{qid}/publish", AARHUS_ADMIN)
    call("GET", q, f"/v1/questionnaires/{qid}", AARHUS_ADMIN)
    call("GET", f"{q}/versions", f"/v1/questionnaires/{qid}/versions", AARHUS_ADMIN)
    call("GET", f"{q}/versions/{{version}}", f"/v1/questionnaires/{qid}/versions/1", AARHUS_ADMIN)
    call("GET", f"{q}/versions/{{version}}/fhir", f"/v1/questionnaires/{qid}/versions/1/fhir", AARHUS_ADMIN)
    preview = f"{q}/versions/{{version}}/preview-score"
    call("POST", preview, "/v1/questionnaires/who-5/versions/1/preview-score", AARHUS_ADMIN, **body("POST", preview))
    call("POST", f"{q}/retire", f"/v1/questionnaires/{qid}/retire", AARHUS_ADMIN)
    call("POST", f"{q}/copy", "/v1/questionnaires/who-5/copy", AARHUS_ADMIN)

    # assignments
    c = "/v1/citizens/{citizen_id}"
    registered = call("POST", "/v1/citizens", "/v1/citizens", NURSE, **body("POST", "/v1/citizens"))
    cid = as_str(registered.body["id"])
    call("POST", "/v1/citizens/search", "/v1/citizens/search", NURSE, **body("POST", "/v1/citizens/search"))
    call("GET", c, f"/v1/citizens/{cid}", NURSE)
    recurring = call(
        "POST", f"{c}/assignments", f"/v1/citizens/{cid}/assignments", NURSE, **body("POST", f"{c}/assignments")
    )
    appointment = {
        "kind": "appointment",
        "appointmentAt": "2027-03-15T10:00:00+01:00",
        "opensDaysBefore": 7,
        "dueHoursBefore": 2,
    }
    booked = api.call(
        "POST",
        f"/v1/citizens/{cid}/assignments",
        claims=NURSE,
        body={"questionnaireId": "phq-9", "unitId": UNIT, "schedule": appointment},
    )
    assert booked.status == 201, booked.body
    a = f"{c}/assignments/{{assignment_id}}"
    move = body("POST", f"{a}/appointment")
    call("POST", f"{a}/appointment", f"/v1/citizens/{cid}/assignments/{booked.body['id']}/appointment", NURSE, **move)
    call("POST", f"{a}/cancel", f"/v1/citizens/{cid}/assignments/{recurring.body['id']}/cancel", NURSE)
    call("GET", f"{c}/assignments", f"/v1/citizens/{cid}/assignments", NURSE)

    # responses: the citizen answers a WHO-5 open now, staff read and review it
    schedule = open_now(due_in_days=3)
    assigned = api.call(
        "POST",
        f"/v1/citizens/{cid}/assignments",
        claims=NURSE,
        body={"questionnaireId": "who-5", "unitId": UNIT, "schedule": schedule},
    )
    tid = as_str(assigned.body["tasks"][0]["id"])
    t = "/v1/me/tasks/{task_id}"
    call("GET", "/v1/me/tasks", "/v1/me/tasks", HANNE)
    call("GET", t, f"/v1/me/tasks/{tid}", HANNE)
    call("PUT", f"{t}/draft", f"/v1/me/tasks/{tid}/draft", HANNE, **body("PUT", f"{t}/draft"))
    submission = body("POST", f"{t}/response") | {"headers": {"Idempotency-Key": "contract-tour-0001"}}
    receipt = call("POST", f"{t}/response", f"/v1/me/tasks/{tid}/response", HANNE, **submission)
    rid = as_str(receipt.body["responseId"])
    call("GET", "/v1/me/responses", "/v1/me/responses", HANNE)
    call("PUT", "/v1/me/preferences", "/v1/me/preferences", HANNE, **body("PUT", "/v1/me/preferences"))
    call("GET", f"{c}/responses", f"/v1/citizens/{cid}/responses", NURSE)
    r = "/v1/responses/{response_id}"
    call("GET", r, f"/v1/responses/{rid}", NURSE)
    call("GET", f"{r}/fhir", f"/v1/responses/{rid}/fhir", NURSE)
    call("GET", "/v1/units/{unit_id}/worklist", f"/v1/units/{UNIT}/worklist", NURSE)
    call("POST", f"{r}/review", f"/v1/responses/{rid}/review", NURSE, **body("POST", f"{r}/review"))
    call("GET", "/v1/me/access-log", "/v1/me/access-log", HANNE)
    call("GET", "/v1/audit", f"/v1/audit?citizenId={cid}", auditor)

    every_route = {(m.upper(), p) for p, item in DOCUMENT["paths"].items() for m in item}
    assert set(answered) == every_route
    assert sorted(key for key, status in answered.items() if status == 201) == [
        ("POST", "/v1/citizens"),
        ("POST", "/v1/citizens/{citizen_id}/assignments"),
        ("POST", "/v1/me/tasks/{task_id}/response"),
        ("POST", "/v1/questionnaires"),
        ("POST", "/v1/questionnaires/import"),
        ("POST", "/v1/questionnaires/{questionnaire_id}/copy"),
    ]
