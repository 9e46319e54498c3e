"""The dashboard's browser session: a signed cookie naming a server-side session row, and
the CSRF tokens derived from it.

A manager signs in by pasting their API key once; from then on the browser holds a cookie
instead of the key. The cookie is an HMAC-SHA256 over a compact JSON payload binding org,
user, role, team, the API key it came from and the session id (``n``), expiring after
:data:`SESSION_TTL`. The signature is checked first (no database work for a forged cookie);
then the session's row in ``dashboard_sessions`` must exist and not be revoked, so logging
out ends it for a saved copy of the cookie too. The routes also look the key and the user
up on every request, so revoking the key or deactivating the user ends the session at once.

The signing key is derived from the service's auth secret (``socket_secret``) with a
purpose label, so a socket token can never pass for a session cookie or the other way round.

CSRF: every POST form carries ``HMAC(key, "csrf." + session nonce)``; the login form, which
has no session yet, carries ``HMAC(key, "login." + nonce)`` for a nonce kept in a short-lived
cookie (signed double submit). SameSite=Strict already keeps other sites' requests from
carrying the cookies; the tokens are the second lock. A login token is good for one
submission (:func:`consume_login_nonce`), so a captured form cannot be replayed.
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
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from copilot.auth import AuthConfig, Principal, socket_secret
from copilot.store.models import DashboardSessionRecord, UsedLoginToken, utcnow

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
    """Who a valid cookie was issued to, with the key it came from and its CSRF nonce
    (which is also the id of its server-side row)."""

    principal: Principal
    key_id: str
    nonce: str
    expires_at: datetime

    @property
    def session_id(self) -> str:
        return self.nonce


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


def new_login_nonce(*, now: datetime | None = None) -> str:
    """A fresh nonce stamped with its issue time, so a form older than :data:`LOGIN_TTL` is
    refused even after its used-token row has been pruned (the stamp is under the MAC)."""
    return f"{int((now or utcnow()).timestamp()):x}.{secrets.token_urlsafe(16)}"


def login_token(nonce: str, key: bytes) -> str:
    """The login form's CSRF token, tied to the nonce in the login cookie."""
    return _mac(key, f"login.{nonce}")


def login_token_valid(
    nonce: str | None, key: bytes, presented: str | None, *, now: datetime | None = None
) -> bool:
    if not nonce or not presented or len(nonce) > 64:
        return False
    if not _same(presented, login_token(nonce, key)):
        return False
    stamp, _, _ = nonce.partition(".")
    try:
        issued = int(stamp, 16)
    except ValueError:
        return False
    return 0 <= (now or utcnow()).timestamp() - issued < LOGIN_TTL.total_seconds()


# -- server-side state (functions over a Session: they flush, the caller commits) --------


def record(db: Session, session: DashboardSession, *, now: datetime | None = None) -> None:
    """Store a newly issued session, so the cookie is honoured until it is revoked."""
    db.add(
        DashboardSessionRecord(
            id=session.session_id,
            org_id=session.principal.org_id,
            user_id=session.principal.user_id,
            key_id=session.key_id,
            created_at=now or utcnow(),
            expires_at=session.expires_at,
        )
    )
    db.flush()


def is_active(db: Session, session: DashboardSession, *, now: datetime | None = None) -> bool:
    """Whether the cookie's session row stands: stored for this user, unrevoked, unexpired."""
    row = db.get(DashboardSessionRecord, session.session_id)
    return (
        row is not None
        and row.revoked_at is None
        and row.expires_at > (now or utcnow())
        and row.user_id == session.principal.user_id
        and row.key_id == session.key_id
    )


def revoke(db: Session, session_id: str, *, now: datetime | None = None) -> bool:
    """End a session (logout); False when it was unknown or already ended."""
    row = db.get(DashboardSessionRecord, session_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    db.flush()
    return True


def consume_login_nonce(db: Session, nonce: str, *, now: datetime | None = None) -> bool:
    """Mark a login form's nonce used; False when it already was (a replayed form).

    Runs in its own transaction (``db`` fresh from ``sessionmaker.begin()``): the insert
    is what makes the second of two racing submissions fail.
    """
    now = now or utcnow()
    # Nonces older than a login page's life are refused by their cookie anyway.
    db.execute(delete(UsedLoginToken).where(UsedLoginToken.used_at < now - LOGIN_TTL))
    try:
        with db.begin_nested():
            db.add(UsedLoginToken(nonce=nonce, used_at=now))
    except IntegrityError:
        return False
    return True
