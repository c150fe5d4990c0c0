"""The local runner's API Gateway (`local.server.LocalApi`) in front of the real handlers, in-process."""

from __future__ import annotations

import json
from typing import Any

from kommunal_pro.auth import Role
from local.server import LocalApi
from local.tokens import mint
from tests.support import citizen, staff

SECRET = "local-gateway-test-secret-0123456789"


def test_path_parameters_reach_the_function_percent_decoded(seeded: Any) -> None:
    """As API Gateway does: `who%2D5` is the questionnaire `who-5`, and the length limit is on the decoded id."""
    api = LocalApi(token_secret=SECRET)
    headers = {"authorization": f"Bearer {mint(staff(Role.EMPLOYEE), secret=SECRET)}"}
    status, _, body = api.handle("GET", "/v1/questionnaires/who%2D5", headers, None)
    assert status == 200, body
    assert json.loads(body)["id"] == "who-5"
    status, _, body = api.handle("GET", "/v1/questionnaires/" + "%C3%A6" * 40, headers, None)
    assert status == 404, body


def test_a_query_parameter_without_a_value_reaches_the_function_as_api_gateway_passes_it(seeded: Any) -> None:
    """Found by Schemathesis: `?limit=` used to be dropped on the way (so the default page was served); API Gateway
    passes it on as "", which is not a page size."""
    api = LocalApi(token_secret=SECRET)
    headers = {"authorization": f"Bearer {mint(staff(Role.EMPLOYEE), secret=SECRET)}"}

    status, _, body = api.handle("GET", "/v1/questionnaires?limit=", headers, None)
    listed, _, _ = api.handle("GET", "/v1/questionnaires?limit=5", headers, None)

    assert status == 422, body
    assert [e["location"] for e in json.loads(body)["errors"]] == ["query.limit"]
    assert listed == 200


def test_a_citizens_reminder_choice_is_true_or_false_not_a_number(seeded: Any) -> None:
    """Found by Schemathesis: pydantic's lax mode read 0.0 as false, a choice the citizen never made."""
    api = LocalApi(token_secret=SECRET)
    token = mint(citizen("070365-4286"), secret=SECRET)  # a demo citizen of the seed
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}

    for body in ('{"remindersOptedOut": 0.0}', '{"remindersOptedOut": "yes"}', '{"remindersOptedOut": 1}'):
        status, _, answer = api.handle("PUT", "/v1/me/preferences", headers, body)
        assert status == 422, (body, answer)
    status, _, answer = api.handle("PUT", "/v1/me/preferences", headers, '{"remindersOptedOut": true}')
    assert status == 200, answer
