"""The dashboard's browser session: a signed cookie, and the CSRF tokens derived from it.

A manager signs in by pasting their API key once; from then on the browser holds a cookie
instead of the key. The cookie is stateless (any worker can check it): an HMAC-SHA256 over
a compact JSON payload binding org, user, role, team and the API key it came from, expiring
after :data:`SESSION_TTL`. The routes still look the key and the user up on every request,
so revoking the key or deactivating the user ends the session at once.

The signing key is derived from the service's auth secret (``socket_secret``) with a
purpose label, so a socket token can never pass for a session cookie or the other way round.

CSRF: every POST form carries ``HMAC(key, "csrf." + session nonce)``; the login form, which
has no session yet, carries ``HMAC(key, "login." + nonce)`` for a nonce kept in a short-lived
cookie (signed double submit). SameSite=Strict already keeps other sites' requests from
carrying the cookies; the tokens are the second lock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from copilot.auth import AuthConfig, Principal, socket_secret
from copilot.store.models import utcnow

COOKIE_NAME = "copilot_dashboard"
LOGIN_COOKIE_NAME = "copilot_dashboard_login"
# Both cookies are only ever sent to the dashboard's own pages.
COOKIE_PATH = "/dashboard"
SESSION_TTL = timedelta(hours=12)
LOGIN_TTL = timedelta(minutes=30)
_VERSION = "d1"
_MAX_COOKIE_CHARS = 1024
_PURPOSE = b"copilot.dashboard.session.v1"
_derived: dict[str, bytes] = {}  # per secret source, derived once per process


class SessionInvalid(Exception):
    """A missing, forged, malformed or expired session cookie."""


@dataclass(frozen=True)
class DashboardSession:
    """Who a valid cookie was issued to, with the key it came from and its CSRF nonce."""

    principal: Principal
    key_id: str
    nonce: str
    expires_at: datetime


def signing_key(config: AuthConfig) -> bytes:
    """The dashboard's HMAC key, derived from the auth secret (read once per process)."""
    configured = config.socket_token_secret
    cache_key = (
        "configured:" + hashlib.sha256(configured.get_secret_value().encode()).hexdigest()
        if configured is not None
        else f"file:{config.secret_file}"
    )
    if cache_key not in _derived:
        _derived[cache_key] = hmac.new(socket_secret(config), _PURPOSE, hashlib.sha256).digest()
    return _derived[cache_key]


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, message: str) -> str:
    return _b64encode(hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest())


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def issue(
    principal: Principal, key_id: str, key: bytes, *, now: datetime | None = None
) -> tuple[str, DashboardSession]:
    """A session cookie value for ``principal`` (signed in with API key ``key_id``)."""
    expires = int(((now or utcnow()) + SESSION_TTL).timestamp())
    nonce = secrets.token_urlsafe(16)
    payload = {
        "o": principal.org_id,
        "u": principal.user_id,
        "r": principal.role,
        "t": principal.team_id,
        "k": key_id,
        "n": nonce,
        "x": expires,
    }
    body = _b64encode(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    signed = f"{_VERSION}.{body}"
    session = DashboardSession(principal, key_id, nonce, datetime.fromtimestamp(expires, UTC))
    return f"{signed}.{_mac(key, signed)}", session


def verify(cookie: str | None, key: bytes, *, now: datetime | None = None) -> DashboardSession:
    """The session a cookie value stands for; :class:`SessionInvalid` for anything else."""
    if not cookie or len(cookie) > _MAX_COOKIE_CHARS or cookie.count(".") != 2:
        raise SessionInvalid("no session")
    version, body, signature = cookie.split(".")
    # The signature is checked before anything the browser sent is parsed.
    if version != _VERSION or not _same(signature, _mac(key, f"{version}.{body}")):
        raise SessionInvalid("bad signature")
    try:
        payload: dict[str, Any] = json.loads(_b64decode(body))
        principal = Principal(
            org_id=payload["o"], user_id=payload["u"], role=payload["r"], team_id=payload["t"]
        )
        key_id, nonce, expires = str(payload["k"]), str(payload["n"]), int(payload["x"])
    except (ValueError, KeyError, TypeError, ValidationError):
        raise SessionInvalid("malformed session") from None
    if (now or utcnow()).timestamp() >= expires:
        raise SessionInvalid("session expired")
    return DashboardSession(principal, key_id, nonce, datetime.fromtimestamp(expires, UTC))


def csrf_token(session: DashboardSession, key: bytes) -> str:
    """The token every POST form of this session must carry."""
    return _mac(key, f"csrf.{session.nonce}")


def csrf_valid(session: DashboardSession, key: bytes, presented: str | None) -> bool:
    return bool(presented) and _same(presented or "", csrf_token(session, key))


def new_login_nonce() -> str:
    return secrets.token_urlsafe(16)


def login_token(nonce: str, key: bytes) -> str:
    """The login form's CSRF token, tied to the nonce in the login cookie."""
    return _mac(key, f"login.{nonce}")


def login_token_valid(nonce: str | None, key: bytes, presented: str | None) -> bool:
    if not nonce or not presented or len(nonce) > 64:
        return False
    return _same(presented, login_token(nonce, key))
