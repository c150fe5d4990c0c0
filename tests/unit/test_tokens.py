import pytest

from kommunal_pro.auth import Role
from local import tokens

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def test_a_minted_token_verifies_to_its_claims() -> None:
    claims = tokens.dev_claims(Role.EMPLOYEE, "0751", units=["u1"])
    verified = tokens.verify(tokens.mint(claims, secret=SECRET), secret=SECRET)
    assert verified["custom:municipality"] == "0751"
    assert verified["cognito:groups"] == ["employee"]
    assert verified["custom:units"] == ["u1"]
    assert verified["sub"] == claims["sub"]


def test_expired_tampered_and_foreign_tokens_are_refused() -> None:
    claims = tokens.dev_claims(Role.ADMIN, "0751")
    expired = tokens.mint(claims, secret=SECRET, ttl_seconds=-10)
    header, payload, signature = tokens.mint(claims, secret=SECRET).split(".")
    tampered = ".".join((header, payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1], signature))
    foreign = tokens.mint(claims, secret="another-secret-that-is-long-enough-as-well")
    for token in (expired, tampered, foreign, "not-a-jwt"):
        with pytest.raises(tokens.InvalidToken):
            tokens.verify(token, secret=SECRET)
