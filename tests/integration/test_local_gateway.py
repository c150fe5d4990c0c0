"""The local runner's API Gateway (`local.server.LocalApi`) in front of the real handlers, in-process."""

from __future__ import annotations

import json
from typing import Any

from kommunal_pro.auth import Role
from local.server import LocalApi
from local.tokens import mint
from tests.support import staff

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
