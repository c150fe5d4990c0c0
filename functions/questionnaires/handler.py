"""Questionnaires (administrator module): author, version, publish, retire; FHIR import/export; scoring preview."""

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from kommunal_pro.api import (
    CursorQuery,
    LimitQuery,
    create_app,
    created,
    current_principal,
    fhir_json,
    json_response,
    lambda_handler_for,
    requires,
)
from kommunal_pro.auth import Role
from kommunal_pro.concurrency import etag, expected_version
from kommunal_pro.organisations.service import default_service as municipality_service
from kommunal_pro.questionnaires.model import QuestionnaireDefinition
from kommunal_pro.questionnaires.scoring import ScoreResult
from kommunal_pro.questionnaires.service import default_service
from kommunal_pro.questionnaires.versions import QuestionnaireHead, QuestionnaireVersion, Status
from kommunal_pro.questionnaires.views import PreviewScoreRequest, QuestionnaireSummary, QuestionnaireView
from kommunal_pro.storage.pages import DEFAULT_PAGE_SIZE, Page

app = create_app()
AUTHORS = requires(Role.NATIONAL_ADMIN, Role.ADMIN, tenants=municipality_service)
READERS = requires(Role.NATIONAL_ADMIN, Role.ADMIN, Role.EMPLOYEE, tenants=municipality_service)
MUNICIPAL_AUTHORS = requires(Role.ADMIN, tenants=municipality_service)
# The request body example of the FHIR import: a one-question R4 Questionnaire.
FHIR_QUESTIONNAIRE = {
    "who5-excerpt": {
        "summary": "A FHIR R4 Questionnaire with one WHO-5 question",
        "value": {
            "resourceType": "Questionnaire",
            "status": "active",
            "title": "Trivsel efter udskrivelse",
            "item": [
                {
                    "linkId": "who5-1",
                    "type": "choice",
                    "required": True,
                    "text": "I de sidste 2 uger har jeg været glad og i godt humør",
                    "answerOption": [
                        {"valueCoding": {"code": "5", "display": "Hele tiden"}},
                        {"valueCoding": {"code": "0", "display": "På intet tidspunkt"}},
                    ],
                }
            ],
        },
    }
}
QuestionnaireId = Annotated[str, Path(min_length=1, max_length=64)]
VersionNumber = Annotated[int, Path(ge=1)]


def _view(result: tuple[QuestionnaireHead, QuestionnaireVersion], status: int = 200) -> Response[QuestionnaireView]:
    head, version = result
    headers = {"ETag": etag(head.revision)}
    if status == 201:
        headers["Location"] = f"/v1/questionnaires/{head.questionnaire_id}"
    return json_response(QuestionnaireView.of(head, version), status, headers)


@app.post("/v1/questionnaires", middlewares=[AUTHORS], responses=created(location=True))
def create_questionnaire(definition: Annotated[QuestionnaireDefinition, Body()]) -> Response[QuestionnaireView]:
    """Create a questionnaire as a draft in the caller's library (national or municipal). Answers 201 with its
    address in Location and its revision as ETag."""
    return _view(default_service().create(current_principal(app), definition), 201)


@app.post("/v1/questionnaires/import", middlewares=[AUTHORS], responses=created(location=True))
def import_questionnaire(
    resource: Annotated[dict[str, Any], Body(openapi_examples=FHIR_QUESTIONNAIRE)],
) -> Response[QuestionnaireView]:
    """Body: a FHIR R4 Questionnaire. What cannot be imported faithfully is refused (422) or reported."""
    return _view(default_service().import_fhir(current_principal(app), resource), 201)


@app.get("/v1/questionnaires", middlewares=[READERS])
def list_questionnaires(
    status: Annotated[Status | None, Query()] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_PAGE_SIZE,
) -> Response[Page[QuestionnaireSummary]]:
    """The questionnaires the caller can see, their own municipality's and then the national library's, each by
    status and title; optionally by status or by text in the title. Pages with an opaque cursor."""
    heads, next_cursor = default_service().search(current_principal(app), status, text, limit, cursor)
    return json_response(Page(items=[QuestionnaireSummary.of(h) for h in heads], next_cursor=next_cursor))


@app.get("/v1/questionnaires/<questionnaire_id>", middlewares=[READERS])
def get_questionnaire(questionnaire_id: QuestionnaireId) -> Response[QuestionnaireView]:
    """The questionnaire's latest version with its state; the ETag is its revision."""
    return _view(default_service().latest(current_principal(app), questionnaire_id))


@app.get("/v1/questionnaires/<questionnaire_id>/versions", middlewares=[READERS])
def list_versions(questionnaire_id: QuestionnaireId) -> Response[list[QuestionnaireVersion]]:
    """Every version of the questionnaire."""
    return json_response(default_service().versions(current_principal(app), questionnaire_id))


@app.get("/v1/questionnaires/<questionnaire_id>/versions/<version>", middlewares=[READERS])
def get_version(questionnaire_id: QuestionnaireId, version: VersionNumber) -> Response[QuestionnaireView]:
    """One version of the questionnaire."""
    return _view(default_service().version(current_principal(app), questionnaire_id, version))


@app.put("/v1/questionnaires/<questionnaire_id>/draft", middlewares=[AUTHORS])
def save_draft(
    questionnaire_id: QuestionnaireId,
    definition: Annotated[QuestionnaireDefinition, Body()],
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response[QuestionnaireView]:
    """Replace the draft. Send If-Match with the ETag you last read: without it the save is refused (428), with a
    stale one it is refused (412)."""
    revision = expected_version(if_match)
    return _view(default_service().save_draft(current_principal(app), questionnaire_id, definition, revision))


@app.post("/v1/questionnaires/<questionnaire_id>/publish", middlewares=[AUTHORS])
def publish(questionnaire_id: QuestionnaireId) -> Response[QuestionnaireView]:
    """Publish the draft as a new version; citizens can then be assigned it. Validation problems are a 422."""
    return _view(default_service().publish(current_principal(app), questionnaire_id))


@app.post("/v1/questionnaires/<questionnaire_id>/retire", middlewares=[AUTHORS])
def retire(questionnaire_id: QuestionnaireId) -> Response[QuestionnaireView]:
    """Retire the questionnaire: no new assignments; existing ones and their answers stay."""
    return _view(default_service().retire(current_principal(app), questionnaire_id))


@app.post(
    "/v1/questionnaires/<questionnaire_id>/copy", middlewares=[MUNICIPAL_AUTHORS], responses=created(location=True)
)
def copy_to_municipality(questionnaire_id: QuestionnaireId) -> Response[QuestionnaireView]:
    """A municipality's own draft copy of a national questionnaire, linked to its source version."""
    return _view(default_service().copy(current_principal(app), questionnaire_id), 201)


@app.get(
    "/v1/questionnaires/<questionnaire_id>/versions/<version>/fhir",
    middlewares=[READERS],
    responses=fhir_json("The version as a FHIR R4 Questionnaire"),
)
def export_fhir(questionnaire_id: QuestionnaireId, version: VersionNumber) -> Response[str]:
    """The version as a FHIR R4 Questionnaire (application/fhir+json)."""
    resource = default_service().export_fhir(current_principal(app), questionnaire_id, version)
    return Response(200, "application/fhir+json", json.dumps(resource, ensure_ascii=False))


@app.post("/v1/questionnaires/<questionnaire_id>/versions/<version>/preview-score", middlewares=[AUTHORS])
def preview_score(
    questionnaire_id: QuestionnaireId, version: VersionNumber, request: Annotated[PreviewScoreRequest, Body()]
) -> Response[ScoreResult]:
    """Score a set of answers against the version without storing anything: the scales, bands and flags staff would
    see."""
    result = default_service().preview_score(current_principal(app), questionnaire_id, version, request.answers)
    return json_response(result)


lambda_handler = lambda_handler_for(app)
