"""Who is calling and what they may see: API keys, socket tokens, visibility rules.

Framework-free on purpose: the service's FastAPI dependencies call these functions and map
:class:`AuthError` to 401 and :class:`Forbidden` to 403. Functions that take a ``Session``
flush but never commit; the caller owns the transaction.

Visibility rules live in ``copilot.store.visibility`` and the identity in
``copilot.principal``, so the store never imports this module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from sqlalchemy.orm import Session

from copilot.principal import ROLES, Principal, Role
from copilot.store.db import data_home, persisted_secret
from copilot.store.keys import parse_key, secret_matches
from copilot.store.models import ApiKey, User, utcnow
from copilot.store.visibility import (
    can_see_call,
    can_see_flag,
    can_see_rep_row,
    visible_calls_query,
    visible_flags_query,
)

# Re-exported: callers outside the store take identity and visibility from here.
__all__ = [
    "ROLES",
    "Principal",
    "Role",
    "can_see_call",
    "can_see_flag",
    "can_see_rep_row",
    "visible_calls_query",
    "visible_flags_query",
]

# last_used_at is written at most this often, so a busy key doesn't turn every request into
# a write (on SQLite, every write takes the database-wide lock).
LAST_USED_RESOLUTION = timedelta(minutes=1)
_MAX_TOKEN_CHARS = 2048
_TOKEN_VERSION = "v1"


class AccessError(Exception):
    """Base of the errors the service maps to an HTTP status in one place."""


class AuthError(AccessError):
    """Missing, malformed, unknown, expired or revoked credentials (HTTP 401)."""


class Forbidden(AccessError):
    """Authenticated, but the role may not do this (HTTP 403)."""


class AuthConfig(BaseModel):
    """``COPILOT_AUTH__*``."""

    model_config = ConfigDict(extra="forbid")

    # Signs the short-lived WebSocket tokens. Unset: generated once and kept in
    # ``secret_file``, so a restart doesn't invalidate tokens in flight. Several instances
    # behind one load balancer must share it: set it explicitly there.
    socket_token_secret: SecretStr | None = None
    socket_token_ttl_s: int = Field(default=300, ge=10, le=3600)
    secret_file: Path = Field(default_factory=lambda: data_home() / "socket-token.secret")

    @field_validator("socket_token_secret")
    @classmethod
    def _strong_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "socket_token_secret must be at least 32 characters; generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return value


def socket_secret(config: AuthConfig) -> bytes:
    """The socket-token signing key: configured, or generated once and persisted."""
    if config.socket_token_secret is not None:
        return config.socket_token_secret.get_secret_value().encode()
    return persisted_secret(config.secret_file, "socket-token secret")


# --- API keys -------------------------------------------------------------------------

_BAD_KEY = "invalid API key"  # one message for every failure: no oracle for key hunting


def authenticate_api_key(session: Session, key: str, now: datetime | None = None) -> Principal:
    """The principal behind ``cpk_<id>_<secret>``; :class:`AuthError` for anything else.

    Malformed, unknown, wrong-secret, expired, revoked and deactivated-user keys all fail
    the same way. Records ``last_used_at`` (at most once a minute).
    """
    now = now or utcnow()
    parsed = parse_key(key)
    if parsed is None:
        raise AuthError(_BAD_KEY)
    row = session.get(ApiKey, parsed.key_id)
    if row is None or not secret_matches(parsed.secret, row.secret_hash):
        raise AuthError(_BAD_KEY)
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise AuthError(_BAD_KEY)
    user = session.get(User, row.user_id)
    if user is None or not user.active or user.org_id != row.org_id:
        raise AuthError(_BAD_KEY)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.flush()
    return principal_for(user)


def principal_for(user: User) -> Principal:
    if user.role not in ROLES:
        raise AuthError(_BAD_KEY)
    role = cast(Role, user.role)
    return Principal(org_id=user.org_id, user_id=user.id, role=role, team_id=user.team_id)


def bearer_from_header(value: str | None) -> str:
    """The credential of an ``Authorization: Bearer …`` header."""
    if not value:
        raise AuthError("missing Authorization header: send 'Authorization: Bearer <key>'")
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential or " " in credential:
        raise AuthError("malformed Authorization header: expected 'Bearer <key>'")
    return credential


# --- socket tokens --------------------------------------------------------------------

SigningKey = AuthConfig | bytes | None
_file_secrets: dict[str, bytes] = {}  # generated secrets, read once per process


def _secret(key: SigningKey) -> bytes:
    if isinstance(key, bytes):
        return key
    config = key or AuthConfig()
    if config.socket_token_secret is not None:
        return socket_secret(config)
    cache_key = str(config.secret_file)
    if cache_key not in _file_secrets:
        _file_secrets[cache_key] = socket_secret(config)
    return _file_secrets[cache_key]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, signed_part: str) -> str:
    return _b64encode(hmac.new(secret, signed_part.encode("ascii"), hashlib.sha256).digest())


def issue_socket_token(
    principal: Principal,
    call_id: str,
    ttl_s: int | None = None,
    key: SigningKey = None,
    *,
    now: datetime | None = None,
) -> str:
    """A token for ``?token=`` on the call's WebSockets, bound to org, user and call.

    ``key`` is the ``AuthConfig`` (its secret, generated one or configured) or raw secret
    bytes; ``ttl_s`` defaults to the config's (300 s). It expires ``ttl_s`` seconds from
    ``now``, whole seconds. Stateless (HMAC-SHA256 over a compact JSON payload) so any
    worker can check it; the short lifetime is what limits a leaked one.
    """
    if ttl_s is None:
        ttl_s = key.socket_token_ttl_s if isinstance(key, AuthConfig) else 300
    payload = {
        "o": principal.org_id,
        "u": principal.user_id,
        "r": principal.role,
        "t": principal.team_id,
        "c": call_id,
        "x": int((now or utcnow()).timestamp()) + ttl_s,
    }
    body = _b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    signed_part = f"{_TOKEN_VERSION}.{body}"
    return f"{signed_part}.{_sign(_secret(key), signed_part)}"


def socket_token_expiry(token: str) -> datetime:
    """When a token this process issued expires (unverified: for answering the client)."""
    payload = json.loads(_b64decode(token.split(".")[1]))
    return datetime.fromtimestamp(int(payload["x"]), UTC)


def verify_socket_token(
    token: str, call_id: str, key: SigningKey = None, *, now: datetime | None = None
) -> Principal:
    """The principal a valid, unexpired token for ``call_id`` was issued to.

    The socket lives on after the token expires: the token only opens it.
    """
    if not token or len(token) > _MAX_TOKEN_CHARS or token.count(".") != 2:
        raise AuthError("invalid socket token")
    version, body, signature = token.split(".")
    if version != _TOKEN_VERSION:
        raise AuthError("invalid socket token")
    # Check the signature before parsing anything an attacker wrote.
    expected = _sign(_secret(key), f"{version}.{body}")
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise AuthError("invalid socket token")
    try:
        payload: dict[str, Any] = json.loads(_b64decode(body))
        principal = Principal(
            org_id=payload["o"], user_id=payload["u"], role=payload["r"], team_id=payload["t"]
        )
        expires, bound_call = int(payload["x"]), str(payload["c"])
    except (ValueError, KeyError, TypeError, ValidationError):
        raise AuthError("invalid socket token") from None
    if (now or utcnow()).timestamp() >= expires:
        raise AuthError("socket token expired: ask POST /v1/auth/socket-token for a new one")
    if not hmac.compare_digest(bound_call.encode(), call_id.encode()):
        raise AuthError("socket token is for another call")
    return principal


# --- roles and visibility -------------------------------------------------------------


def require_role(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise Forbidden(f"this needs the role {' or '.join(roles)}; you are {principal.role}")
