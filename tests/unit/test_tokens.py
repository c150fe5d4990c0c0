"""Dev tokens, judged as API Gateway's Cognito user pool authorizer judges Cognito's: only an unexpired ID token
signed with our key gets through."""

import base64
import json
import time
from typing import Any

import jwt
import pytest

from kommunal_pro.auth import Role
from local import tokens

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def _signed(payload: dict[str, Any], *, secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm=tokens.ALGORITHM)


def _segment(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _valid_payload() -> dict[str, Any]:
    now = int(time.time())
    claims = tokens.dev_claims(Role.ADMIN, "0751")
    return claims | {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "iat": now, "exp": now + 600, "token_use": "id"}


def test_a_minted_token_verifies_to_its_claims() -> None:
    claims = tokens.dev_claims(Role.EMPLOYEE, "0751", units=["u1"])
    verified = tokens.verify(tokens.mint(claims, secret=SECRET), secret=SECRET)
    assert verified["custom:municipality"] == "0751"
    assert verified["cognito:groups"] == ["employee"]
    assert verified["custom:units"] == ["u1"]
    assert verified["sub"] == claims["sub"]
    assert verified["token_use"] == "id"


def test_a_dev_token_is_an_unexpired_id_token_like_cognitos() -> None:
    before = int(time.time())
    token = tokens.mint(tokens.dev_claims(Role.EMPLOYEE, "0751"), secret=SECRET, ttl_seconds=3600)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["token_use"] == "id"
    assert before + 3600 <= payload["exp"] <= int(time.time()) + 3600
    # What a token carries cannot make it another kind of token.
    access = tokens.mint(tokens.dev_claims(Role.EMPLOYEE, "0751", extra={"token_use": "access"}), secret=SECRET)
    assert jwt.decode(access, options={"verify_signature": False})["token_use"] == "id"


def test_the_valid_payload_of_these_tests_verifies() -> None:
    assert tokens.verify(_signed(_valid_payload()), secret=SECRET)["sub"] == _valid_payload()["sub"]


def _refused() -> dict[str, str]:
    valid = _valid_payload()
    header, payload, signature = _signed(valid).split(".")
    return {
        "expired": tokens.mint(tokens.dev_claims(Role.ADMIN, "0751"), secret=SECRET, ttl_seconds=-10),
        "without exp": _signed({k: v for k, v in valid.items() if k != "exp"}),
        "an access token": _signed(valid | {"token_use": "access"}),
        "without token_use": _signed({k: v for k, v in valid.items() if k != "token_use"}),
        "without a subject": _signed({k: v for k, v in valid.items() if k != "sub"}),
        "alg none": f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg none, signature kept": f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{payload}.{signature}",
        "tampered payload": f"{header}.{_segment(valid | {'cognito:groups': ['national-admin']})}.{signature}",
        "another key": _signed(valid, secret="another-secret-that-is-long-enough-as-well"),
        "another issuer": _signed(valid | {"iss": "someone-else"}),
        "another audience": _signed(valid | {"aud": "someone-else"}),
        "not a JWT": "not-a-jwt",
    }


@pytest.mark.parametrize("case", list(_refused()))
def test_tokens_cognitos_authorizer_would_refuse_are_refused(case: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(_refused()[case], secret=SECRET)
