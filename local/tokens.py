"""Dev tokens: signed JWTs standing in for Cognito's, verified by the local authorizer.

`python -m local.tokens --role employee --municipality 0751` prints one. The signing secret lives in
.local/dev-token-secret (created on first use) unless KOMMUNAL_PRO_DEV_TOKEN_SECRET is set.
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from kommunal_pro.auth import CLAIM_CPR, CLAIM_MUNICIPALITY, CLAIM_NAME, CLAIM_ROLES, CLAIM_UNITS, Role

ISSUER = "kommunal-pro-local"
AUDIENCE = "kommunal-pro-local"
ALGORITHM = "HS256"
# Cognito's `token_use` of an ID token, the only kind a user pool authorizer without scopes accepts.
ID_TOKEN = "id"  # noqa: S105 - a token type, not a secret
LOCAL_DIR = Path(__file__).resolve().parent.parent / ".local"


class InvalidToken(Exception):
    """The token is missing, expired, tampered with or not ours."""


def local_secret(name: str) -> str:
    """A random secret kept in .local/<name> (git-ignored), made on first use."""
    path = LOCAL_DIR / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def dev_secret() -> str:
    return os.environ.get("KOMMUNAL_PRO_DEV_TOKEN_SECRET") or local_secret("dev-token-secret")


def dev_claims(
    role: Role,
    municipality: str | None,
    *,
    subject: str | None = None,
    name: str | None = None,
    units: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": subject or str(uuid.uuid5(uuid.NAMESPACE_URL, f"kommunal-pro-dev/{role}/{municipality}")),
        CLAIM_ROLES: [str(role)],
        CLAIM_NAME: name or f"Dev {role}",
    }
    if municipality:
        claims[CLAIM_MUNICIPALITY] = municipality
    if units:
        claims[CLAIM_UNITS] = units
    return claims | (extra or {})


def mint(claims: dict[str, Any], *, secret: str | None = None, ttl_seconds: int = 8 * 3600) -> str:
    now = int(time.time())
    payload = claims | {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds, "token_use": ID_TOKEN}
    return jwt.encode(payload, secret or dev_secret(), algorithm=ALGORITHM)


def verify(token: str, *, secret: str | None = None) -> dict[str, Any]:
    """The claims of a valid dev token, as a Cognito user pool authorizer judges one: signed with our key (HS256,
    never `alg: none`), ours (issuer, audience), unexpired (`exp` required) and an ID token (`token_use: id`;
    the authorizer refuses access tokens without scopes)."""
    try:
        claims = jwt.decode(
            token,
            secret or dev_secret(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iss", "aud", "sub", "token_use"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(type(error).__name__) from None
    if claims["token_use"] != ID_TOKEN:
        raise InvalidToken(f"token_use {claims['token_use']!r}, not an ID token")
    return {name: value for name, value in claims.items() if name not in ("iss", "aud", "iat", "exp")}


def citizen_claims(cpr: str, name: str = "Borger") -> dict[str, Any]:
    """A citizen's claims as the MitID broker gives them: the CPR number, no municipality."""
    subject = str(uuid.uuid5(uuid.NAMESPACE_URL, f"kommunal-pro-dev/mitid/{cpr}"))
    return dev_claims(Role.CITIZEN, None, subject=subject, name=name, extra={CLAIM_CPR: cpr})


def main() -> None:
    from local.seed import DEMO_CITIZENS, DEMO_MUNICIPALITY, DEMO_UNIT

    parser = argparse.ArgumentParser(description="Mint a dev token for the local runner.")
    parser.add_argument("--role", type=Role, choices=list(Role), default=Role.EMPLOYEE)
    parser.add_argument("--municipality", default=DEMO_MUNICIPALITY, help="kommunekode; not for national-admin")
    parser.add_argument("--cpr", default=DEMO_CITIZENS[0][0], help="citizens only: the CPR number MitID gives")
    parser.add_argument("--subject", help="the user's id (default: stable per role and municipality)")
    parser.add_argument("--units", nargs="*", default=[DEMO_UNIT], help="org unit ids of a staff member")
    parser.add_argument("--hours", type=float, default=8)
    args = parser.parse_args()
    if args.role is Role.CITIZEN:
        claims = citizen_claims(args.cpr)
    else:
        municipality = None if args.role is Role.NATIONAL_ADMIN else args.municipality
        claims = dev_claims(args.role, municipality, subject=args.subject, units=args.units)
    print(mint(claims, ttl_seconds=int(args.hours * 3600)))


if __name__ == "__main__":
    main()
