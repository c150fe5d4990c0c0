"""The questionnaire routes through the real handler and moto: roles, tenants, lifecycle, concurrency."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from kommunal_pro.auth import Role
from tests.support import ApiClient, Result, change_municipality, staff

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fhir" / "questionnaires"
AARHUS_ADMIN = staff(Role.ADMIN, "0751")
AARHUS_NURSE = staff(Role.EMPLOYEE, "0751")
NATIONAL_ADMIN = staff(Role.NATIONAL_ADMIN)
AUTHORS_ONLY = (
    "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: admin, national-admin)"
)
INVALID_FIELDS = "Forespørgslen indeholder ugyldige felter (the request has invalid fields)"

SLEEP: dict[str, Any] = {
    "title": {"da": "Søvn og træthed", "en": "Sleep and fatigue"},
    "items": [
        {
            "linkId": "soevn",
            "type": "choice",
            "text": {"da": "Hvordan har du sovet?"},
            "required": True,
            "options": [
                {"code": c, "display": {"da": d}, "score": s}
                for c, d, s in (("godt", "Godt", 0), ("middel", "Middel", 1), ("daarligt", "Dårligt", 2))
            ],
        },
        {
            "linkId": "timer",
            "type": "decimal",
            "text": {"da": "Hvor mange timer sov du i nat?"},
            "minValue": 0,
            "maxValue": 24,
        },
    ],
    "scales": [{"id": "soevn", "name": {"da": "Søvnproblemer"}, "method": "sum", "items": ["soevn"], "headline": True}],
    "flagRules": [
        {
            "id": "daarlig",
            "level": "red",
            "scale": "soevn",
            "min": 2,
            "max": 2,
            "message": {"da": "Borgeren angiver dårlig søvn"},
        },
    ],
}


@pytest.fixture
def enabled_copenhagen(api: ApiClient, seeded: Any) -> None:
    change_municipality(api, "0101", {"enabled": True})


def _create(api: ApiClient, claims: dict[str, Any] = AARHUS_ADMIN, body: dict[str, Any] = SLEEP) -> Result:
    result = api.call("POST", "/v1/questionnaires", claims=claims, body=body)
    assert result.status == 201, result.body
    return result


def test_an_admin_creates_a_draft_in_their_own_municipality(api: ApiClient, seeded: Any) -> None:
    result = _create(api)
    body = result.body
    assert (body["tenant"], body["version"], body["status"]) == ("0751", 1, "draft")
    assert body["createdBy"] == AARHUS_ADMIN["sub"]
    assert body["definition"]["items"][0]["options"][2] == {
        "code": "daarligt",
        "display": {"da": "Dårligt", "en": None},
        "system": None,
        "score": 2.0,
    }
    assert result.headers["Location"] == f"/v1/questionnaires/{body['id']}"
    assert result.headers["ETag"] == '"1"'


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.CITIZEN, Role.AUDITOR])
def test_only_admins_author(api: ApiClient, seeded: Any, role: Role) -> None:
    result = api.call("POST", "/v1/questionnaires", claims=staff(role, "0751"), body=SLEEP)
    assert result.status == 403 and result.problem["detail"] == AUTHORS_ONLY
    assert api.call("GET", "/v1/questionnaires?status=draft", claims=AARHUS_ADMIN).body["items"] == []


def test_staff_see_their_own_and_the_national_library_but_not_other_municipalities(
    api: ApiClient, seeded: Any, enabled_copenhagen: None
) -> None:
    own = _create(api).body["id"]
    theirs = _create(api, claims=staff(Role.ADMIN, "0101")).body["id"]
    listed = api.call("GET", "/v1/questionnaires", claims=AARHUS_NURSE).body["items"]
    ids = {q["id"] for q in listed}
    assert own in ids and theirs not in ids
    assert {"who-5", "phq-9", "gad-7", "eq-5d-5l"} <= ids
    read = api.call("GET", f"/v1/questionnaires/{theirs}", claims=AARHUS_NURSE)
    version = api.call("GET", f"/v1/questionnaires/{theirs}/versions/1", claims=AARHUS_ADMIN)
    published = api.call("POST", f"/v1/questionnaires/{theirs}/publish", claims=AARHUS_ADMIN)
    for result in (read, version, published):
        assert result.status == 404
        assert result.problem["detail"] == "Spørgeskemaet findes ikke (no such questionnaire)"
    copenhagen_view = api.call("GET", f"/v1/questionnaires/{theirs}", claims=staff(Role.ADMIN, "0101")).body
    assert copenhagen_view["status"] == "draft"
    national_view = {q["id"] for q in api.call("GET", "/v1/questionnaires", claims=NATIONAL_ADMIN).body["items"]}
    assert own not in national_view and "who-5" in national_view


def test_the_list_pages_through_the_own_library_and_then_the_national_one(api: ApiClient, seeded: Any) -> None:
    own = [_create(api).body["id"] for _ in range(3)]
    everything = api.call("GET", "/v1/questionnaires?limit=100", claims=AARHUS_NURSE).body
    assert everything["nextCursor"] is None
    expected = [q["id"] for q in everything["items"]]
    assert expected[:3] == sorted(own) and len(expected) > 5  # own (by status, title, id), then national

    for limit in (1, 2, 3):
        listed, pages = api.every_page("/v1/questionnaires", claims=AARHUS_NURSE, limit=limit)
        assert [q["id"] for q in listed] == expected
        assert pages >= len(expected) // limit


def test_list_filters_by_status_and_text(api: ApiClient, seeded: Any) -> None:
    _create(api)
    drafts = api.call("GET", "/v1/questionnaires?status=draft", claims=AARHUS_ADMIN)
    assert [q["title"]["da"] for q in drafts.body["items"]] == ["Søvn og træthed"]
    active = api.call("GET", "/v1/questionnaires?status=active", claims=AARHUS_ADMIN).body["items"]
    assert {q["id"] for q in active} == {"who-5", "phq-9", "gad-7", "eq-5d-5l"}
    found, _ = api.every_page("/v1/questionnaires?text=SØVN", claims=AARHUS_ADMIN, limit=1)
    assert [q["id"] for q in found] == [drafts.body["items"][0]["id"]]
    gone = api.call("GET", "/v1/questionnaires?status=gone", claims=AARHUS_ADMIN)
    assert gone.status == 422
    assert gone.problem["errors"] == [
        {
            "code": "unknown-option",
            "location": "query.status",
            "messageDa": "Vælg en af de tilladte værdier: 'draft', 'active' eller 'retired'",
            "messageEn": "Input should be 'draft', 'active' or 'retired'",
        }
    ]


class TestLifecycle:
    def test_publish_freezes_edit_starts_a_new_version_retire_withdraws(self, api: ApiClient, seeded: Any) -> None:
        created = _create(api).body
        qid = created["id"]
        published = api.call("POST", f"/v1/questionnaires/{qid}/publish", claims=AARHUS_ADMIN)
        assert published.status == 200, published.body
        assert (published.body["status"], published.body["publishedBy"]) == ("active", AARHUS_ADMIN["sub"])
        v1 = api.call("GET", f"/v1/questionnaires/{qid}/versions/1", claims=AARHUS_NURSE).body

        edited = copy.deepcopy(SLEEP)
        edited["items"][0]["text"]["da"] = "Hvordan har du sovet den sidste uge?"
        draft = api.call(
            "PUT",
            f"/v1/questionnaires/{qid}/draft",
            claims=AARHUS_ADMIN,
            body=edited,
            headers={"If-Match": published.headers["ETag"]},
        )
        assert draft.status == 200, draft.body
        assert (draft.body["version"], draft.body["status"]) == (2, "draft")
        assert draft.body["definition"]["items"][0]["text"]["da"] == "Hvordan har du sovet den sidste uge?"
        assert draft.body["questionnaire"]["activeVersion"] == 1
        unchanged = api.call("GET", f"/v1/questionnaires/{qid}/versions/1", claims=AARHUS_NURSE).body
        assert {k: v for k, v in unchanged.items() if k != "questionnaire"} == {
            k: v for k, v in v1.items() if k != "questionnaire"
        }

        second = api.call("POST", f"/v1/questionnaires/{qid}/publish", claims=AARHUS_ADMIN)
        assert second.status == 200, second.body
        assert (second.body["version"], second.body["status"]) == (2, "active")
        old = api.call("GET", f"/v1/questionnaires/{qid}/versions/1", claims=AARHUS_NURSE).body
        assert old["status"] == "retired" and old["definition"] == v1["definition"]

        retired = api.call("POST", f"/v1/questionnaires/{qid}/retire", claims=AARHUS_ADMIN)
        assert retired.status == 200, retired.body
        assert (retired.body["status"], retired.body["questionnaire"]["status"]) == ("retired", "retired")
        versions = api.call("GET", f"/v1/questionnaires/{qid}/versions", claims=AARHUS_ADMIN).body
        assert [(v["version"], v["status"]) for v in versions] == [(1, "retired"), (2, "retired")]

    def test_lifecycle_steps_out_of_order_are_409(self, api: ApiClient, seeded: Any) -> None:
        qid = _create(api).body["id"]
        retire = api.call("POST", f"/v1/questionnaires/{qid}/retire", claims=AARHUS_ADMIN)
        assert retire.status == 409
        assert retire.problem["detail"] == (
            "Spørgeskemaet har ingen aktiv version at tilbagekalde (there is no active version to retire)"
        )
        published = api.call("POST", f"/v1/questionnaires/{qid}/publish", claims=AARHUS_ADMIN)
        assert (published.status, published.body["status"]) == (200, "active"), published.body
        again = api.call("POST", f"/v1/questionnaires/{qid}/publish", claims=AARHUS_ADMIN)
        assert again.status == 409
        assert (
            again.problem["detail"]
            == "Spørgeskemaet har ingen kladde at udgive (the questionnaire has no draft to publish)"
        )

    def test_two_writers_with_the_same_etag_one_wins_one_gets_412(self, api: ApiClient, seeded: Any) -> None:
        created = _create(api)
        qid, tag = created.body["id"], created.headers["ETag"]
        first, second = copy.deepcopy(SLEEP), copy.deepcopy(SLEEP)
        first["title"]["da"], second["title"]["da"] = "Første", "Anden"
        results = [
            api.call("PUT", f"/v1/questionnaires/{qid}/draft", claims=AARHUS_ADMIN, body=b, headers={"If-Match": tag})
            for b in (first, second)
        ]
        assert [r.status for r in results] == [200, 412]
        assert results[1].problem["detail"] == (
            "Spørgeskemaet er ændret af en anden siden du læste det; hent det igen "
            "(the questionnaire changed since you read it; fetch it again)"
        )
        assert (
            api.call("GET", f"/v1/questionnaires/{qid}", claims=AARHUS_ADMIN).body["definition"]["title"]["da"]
            == "Første"
        )

    def test_a_draft_write_without_if_match_is_428(self, api: ApiClient, seeded: Any) -> None:
        qid = _create(api).body["id"]
        result = api.call("PUT", f"/v1/questionnaires/{qid}/draft", claims=AARHUS_ADMIN, body=SLEEP)
        assert result.status == 428
        assert (
            result.problem["detail"]
            == "Send If-Match med den ETag du sidst læste (send If-Match with the ETag you last read)"
        )

    def test_an_invalid_definition_is_422_and_nothing_is_stored(self, api: ApiClient, seeded: Any) -> None:
        broken = copy.deepcopy(SLEEP)
        broken["items"][1]["linkId"] = "soevn"
        result = api.call("POST", "/v1/questionnaires", claims=AARHUS_ADMIN, body=broken)
        assert result.status == 422
        assert result.problem["detail"] == "Spørgeskemaet har 1 fejl (the questionnaire definition has 1 problems)"
        assert result.problem["errors"] == [
            {
                "code": "duplicate",
                "location": "item soevn",
                "messageDa": "linkId 'soevn' bruges af 2 elementer; et linkId skal være entydigt",
                "messageEn": "linkId 'soevn' is used by 2 items; linkIds must be unique",
            }
        ]
        assert api.call("GET", "/v1/questionnaires?status=draft", claims=AARHUS_ADMIN).body["items"] == []

    @pytest.mark.parametrize(
        ("body", "location"),
        [
            ({"title": {"en": "No Danish"}, "items": SLEEP["items"]}, "body.title.da"),
            ({"title": {"da": "x"}, "items": []}, "body.items"),
            ({"title": {"da": "Søvn 111111-1118"}, "items": SLEEP["items"]}, "body.title.da"),  # reaches e-mails
            ({"title": {"da": "Søvn", "en": "Sleep 1111111118"}, "items": SLEEP["items"]}, "body.title.en"),
            ({**SLEEP, "colour": "blue"}, "body.colour"),
            (
                {"title": {"da": "x"}, "items": [{"linkId": "a", "type": "photo", "text": {"da": "x"}}]},
                "body.items.0.type",
            ),
        ],
    )
    def test_malformed_definitions_are_422_naming_the_field(
        self, api: ApiClient, seeded: Any, body: dict[str, Any], location: str
    ) -> None:
        result = api.call("POST", "/v1/questionnaires", claims=AARHUS_ADMIN, body=body)
        assert result.status == 422
        assert result.problem["detail"] == INVALID_FIELDS
        assert [e["location"] for e in result.problem["errors"]] == [location]


class TestNationalLibrary:
    def test_municipal_admins_cannot_edit_national_questionnaires_but_can_copy_them(
        self, api: ApiClient, seeded: Any
    ) -> None:
        who5 = api.call("GET", "/v1/questionnaires/who-5", claims=AARHUS_ADMIN)
        assert who5.status == 200 and who5.body["tenant"] == "national"
        edit = api.call(
            "PUT",
            "/v1/questionnaires/who-5/draft",
            claims=AARHUS_ADMIN,
            body=who5.body["definition"],
            headers={"If-Match": who5.headers["ETag"]},
        )
        publish = api.call("POST", "/v1/questionnaires/who-5/publish", claims=AARHUS_ADMIN)
        for result in (edit, publish):
            assert result.status == 403
            assert result.problem["detail"] == (
                "Nationale spørgeskemaer redigeres af den nationale administrator; kopiér det for at tilpasse det "
                "(national questionnaires are edited by national admins; copy it to adapt it)"
            )
        unchanged = api.call("GET", "/v1/questionnaires/who-5/versions", claims=AARHUS_ADMIN).body
        assert [(v["version"], v["status"]) for v in unchanged] == [(1, "active")]

        copied = api.call("POST", "/v1/questionnaires/who-5/copy", claims=AARHUS_ADMIN)
        assert copied.status == 201, copied.body
        assert copied.body["tenant"] == "0751" and copied.body["status"] == "draft"
        assert copied.body["copiedFrom"] == {"tenant": "national", "questionnaireId": "who-5", "version": 1}
        assert copied.body["definition"] == who5.body["definition"]
        local = api.call("POST", f"/v1/questionnaires/{copied.body['id']}/copy", claims=AARHUS_ADMIN)
        assert local.status == 403
        assert local.problem["detail"] == (
            "Kun spørgeskemaer fra det nationale bibliotek kan kopieres til en kommune "
            "(only national questionnaires can be copied into a municipality)"
        )

    def test_national_admin_edits_the_library(self, api: ApiClient, seeded: Any) -> None:
        who5 = api.call("GET", "/v1/questionnaires/who-5", claims=NATIONAL_ADMIN)
        draft = api.call(
            "PUT",
            "/v1/questionnaires/who-5/draft",
            claims=NATIONAL_ADMIN,
            body=who5.body["definition"],
            headers={"If-Match": who5.headers["ETag"]},
        )
        assert (draft.status, draft.body["version"], draft.body["tenant"]) == (200, 2, "national")
        copy_ = api.call("POST", "/v1/questionnaires/who-5/copy", claims=NATIONAL_ADMIN)
        assert copy_.status == 403
        assert copy_.problem["detail"] == (
            "Din rolle giver ikke adgang til denne handling (this action needs one of the roles: admin)"
        )


class TestFhir:
    def test_import_a_real_fixture_publish_and_export_valid_fhir(self, api: ApiClient, seeded: Any) -> None:
        resource = json.loads((FIXTURES / "researchkitonfhir-gad7-contained-vs-ordinal.json").read_text())
        imported = api.call("POST", "/v1/questionnaires/import", claims=AARHUS_ADMIN, body=resource)
        assert imported.status == 201, imported.body
        qid = imported.body["id"]
        published = api.call("POST", f"/v1/questionnaires/{qid}/publish", claims=AARHUS_ADMIN)
        assert (published.status, published.body["version"], published.body["status"]) == (200, 1, "active")
        exported = api.call("GET", f"/v1/questionnaires/{qid}/versions/1/fhir", claims=AARHUS_NURSE)
        assert exported.status == 200 and exported.headers["Content-Type"] == "application/fhir+json"
        questionnaire = Questionnaire.model_validate(exported.body)
        assert questionnaire.status == "active"
        assert questionnaire.item is not None
        assert [i.linkId for i in questionnaire.item] == [i["linkId"] for i in resource["item"]]

    def test_an_enable_when_on_an_integer_question_survives_storage_publishes_and_exports_as_an_integer(
        self, api: ApiClient, seeded: Any
    ) -> None:
        """DynamoDB hands numbers back as Decimal; an integer condition once came back as 2.0 and failed to fit
        its integer question, so the questionnaire could never be published."""
        resource = json.loads((FIXTURES / "researchkitonfhir-multiple-enableWhen.json").read_text())
        imported = api.call("POST", "/v1/questionnaires/import", claims=AARHUS_ADMIN, body=resource)
        assert imported.status == 201, imported.body
        qid = imported.body["id"]

        published = api.call("POST", f"/v1/questionnaires/{qid}/publish", claims=AARHUS_ADMIN)
        exported = api.call("GET", f"/v1/questionnaires/{qid}/versions/1/fhir", claims=AARHUS_NURSE)

        assert published.status == 200, published.body
        conditions = [
            condition
            for item in _walk(exported.body["item"])
            for condition in item.get("enableWhen", [])
            if "answerInteger" in condition
        ]
        expected = [
            condition
            for item in _walk(resource["item"])
            for condition in item.get("enableWhen", [])
            if "answerInteger" in condition
        ]
        assert conditions and [c["answerInteger"] for c in conditions] == [c["answerInteger"] for c in expected]
        assert all(type(c["answerInteger"]) is int for c in conditions)

    def test_a_questionnaire_sent_as_application_fhir_json_is_imported(self, api: ApiClient, seeded: Any) -> None:
        """The FHIR media type itself, as FHIR tools send it, once answered 500."""
        resource = (FIXTURES / "researchkitonfhir-gad7-contained-vs-ordinal.json").read_text()

        imported = api.call(
            "POST",
            "/v1/questionnaires/import",
            claims=AARHUS_ADMIN,
            raw_body=resource,
            headers={"Content-Type": "application/fhir+json; charset=utf-8"},
        )

        assert imported.status == 201, imported.body
        assert imported.body["status"] == "draft"
        assert [i["linkId"] for i in imported.body["definition"]["items"]] == [
            i["linkId"] for i in json.loads(resource)["item"]
        ]

    def test_importing_something_that_is_not_a_questionnaire_is_422(self, api: ApiClient, seeded: Any) -> None:
        result = api.call("POST", "/v1/questionnaires/import", claims=AARHUS_ADMIN, body={"resourceType": "Patient"})
        assert result.status == 422
        assert result.problem["errors"] == [
            {
                "code": "invalid-fhir",
                "location": "Questionnaire",
                "messageDa": "FHIR-ressourcen er ikke gyldig",
                "messageEn": "resourceType is 'Patient', not 'Questionnaire'",
            }
        ]
        assert api.call("GET", "/v1/questionnaires?status=draft", claims=AARHUS_ADMIN).body["items"] == []


def test_missing_and_malformed_ids_and_versions(api: ApiClient, seeded: Any) -> None:
    no_such = api.call("GET", "/v1/questionnaires/no-such", claims=AARHUS_ADMIN)
    assert no_such.status == 404
    assert no_such.problem["detail"] == "Spørgeskemaet findes ikke (no such questionnaire)"
    cpr_shaped = api.call("GET", "/v1/questionnaires/010190-1239", claims=AARHUS_ADMIN)
    assert cpr_shaped.status == 404 and "010190" not in json.dumps(cpr_shaped.body)  # path ids are not echoed
    no_version = api.call("GET", "/v1/questionnaires/who-5/versions/99", claims=AARHUS_ADMIN)
    assert no_version.status == 404
    assert no_version.problem["detail"] == "Version 99 findes ikke (questionnaire has no version 99)"
    not_a_number = api.call("GET", "/v1/questionnaires/who-5/versions/abc", claims=AARHUS_ADMIN)
    assert not_a_number.status == 422
    assert [(e["location"], e["code"]) for e in not_a_number.problem["errors"]] == [("path.version", "wrong-type")]
    zero = api.call("GET", "/v1/questionnaires/who-5/versions/0", claims=AARHUS_ADMIN)
    assert zero.status == 422
    assert [(e["location"], e["code"], e["messageDa"]) for e in zero.problem["errors"]] == [
        ("path.version", "out-of-range", "Tallet skal være mindst 1")
    ]
    bad = api.call("POST", "/v1/questionnaires", claims=AARHUS_ADMIN, raw_body='{"title": ')
    assert bad.status == 400
    assert bad.problem["detail"] == "Forespørgslen er ikke gyldig JSON (the body is not valid JSON)"


class TestPreviewScore:
    def _preview(self, api: ApiClient, answers: dict[str, list[Any]], version: int = 1) -> Result:
        return api.call(
            "POST",
            f"/v1/questionnaires/who-5/versions/{version}/preview-score",
            claims=AARHUS_ADMIN,
            body={"answers": answers},
        )

    def test_who5_low_wellbeing_scores_and_flags_without_storing_anything(self, api: ApiClient, seeded: Any) -> None:
        before = api.call("GET", "/v1/questionnaires/who-5/versions", claims=AARHUS_ADMIN).body
        # Raw 2+2+2+3+3 = 12: percentage 48, below the WHO-5 cut-off of 13 (52 %): yellow.
        result = self._preview(
            api, {"who5-1": ["2"], "who5-2": ["2"], "who5-3": ["2"], "who5-4": ["3"], "who5-5": ["3"]}
        )
        assert result.status == 200
        values = {s["id"]: s["value"] for s in result.body["scales"]}
        assert values == {"raw": 12, "percentage": 48}
        assert result.body["level"] == "yellow"
        assert [f["ruleId"] for f in result.body["flags"]] == ["raw-yellow"]
        assert api.call("GET", "/v1/questionnaires/who-5/versions", claims=AARHUS_ADMIN).body == before

    def test_a_missing_answer_gives_no_who5_score(self, api: ApiClient, seeded: Any) -> None:
        result = self._preview(api, {"who5-1": ["5"], "who5-2": ["5"], "who5-3": ["5"], "who5-4": ["5"]})
        assert result.status == 200, result.body
        assert {s["id"]: s["value"] for s in result.body["scales"]} == {"raw": None, "percentage": None}
        assert result.body["level"] is None

    def test_answers_that_do_not_fit_are_422_and_employees_may_not_preview(self, api: ApiClient, seeded: Any) -> None:
        result = self._preview(api, {"who5-1": ["6"], "who5-9": ["1"]})
        assert result.status == 422
        assert [e["location"] for e in result.problem["errors"]] == ["answers.who5-1", "answers.who5-9"]
        nurse = api.call(
            "POST", "/v1/questionnaires/who-5/versions/1/preview-score", claims=AARHUS_NURSE, body={"answers": {}}
        )
        assert nurse.status == 403 and nurse.problem["detail"] == AUTHORS_ONLY


@pytest.mark.parametrize(
    ("role", "method", "path", "body"),
    [
        (Role.ADMIN, "POST", "/v1/questionnaires", SLEEP),
        (Role.ADMIN, "POST", "/v1/questionnaires/who-5/publish", None),
        (Role.EMPLOYEE, "POST", "/v1/citizens", {"cpr": "070365-4286", "name": "Hanne", "consentToDigitalPro": True}),
    ],
)
def test_only_national_admins_act_for_the_national_library(
    api: ApiClient, seeded: Any, role: Role, method: str, path: str, body: Any
) -> None:
    result = api.call(method, path, claims=staff(role, "national"), body=body)

    assert result.status == 403
    assert result.problem["detail"] == "Dit login har en ugyldig kommunekode (the token's municipality is not valid)"


def _walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every item of a FHIR item tree, depth first."""
    return [walked for item in items for walked in (item, *_walk(item.get("item", [])))]
