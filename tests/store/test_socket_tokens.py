"""Socket tokens: bound to one call, short-lived, tamper-evident; the secret persists."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from copilot.auth import (
    AuthConfig,
    AuthError,
    Principal,
    bearer_from_header,
    issue_socket_token,
    socket_secret,
    socket_token_expiry,
    verify_socket_token,
)
from copilot.store.models import utcnow

SECRET = b"s" * 32
REP = Principal(org_id="org1", user_id="u1", role="rep", team_id="t1")


def test_a_token_opens_its_own_call_until_it_expires() -> None:
    now = utcnow()
    token = issue_socket_token(REP, "call-1", 300, SECRET, now=now)
    assert verify_socket_token(token, "call-1", SECRET, now=now) == REP
    assert verify_socket_token(token, "call-1", SECRET, now=now + timedelta(seconds=299)) == REP
    assert socket_token_expiry(token).timestamp() == int(now.timestamp()) + 300
    with pytest.raises(AuthError, match="expired"):
        verify_socket_token(token, "call-1", SECRET, now=now + timedelta(seconds=300))
    with pytest.raises(AuthError, match="another call"):
        verify_socket_token(token, "call-2", SECRET, now=now)


def _tamper_payload(token: str, **changes: object) -> str:
    version, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(changes)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return ".".join([version, base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), signature])


@pytest.mark.parametrize(
    "change", [{"r": "admin"}, {"o": "org2"}, {"c": "call-2"}, {"x": 9_999_999_999}]
)
def test_a_tampered_payload_is_refused(change: dict[str, object]) -> None:
    token = issue_socket_token(REP, "call-1", 300, SECRET)
    forged = _tamper_payload(token, **change)
    with pytest.raises(AuthError, match="^invalid socket token$"):
        verify_socket_token(forged, str(change.get("c", "call-1")), SECRET)


@pytest.mark.parametrize("garbage", ["", "a.b", "a.b.c.d", "v2.x.y", "v1.!!.sig", "x" * 5000])
def test_garbage_and_other_secrets_are_refused(garbage: str) -> None:
    with pytest.raises(AuthError, match="invalid socket token"):
        verify_socket_token(garbage, "call-1", SECRET)
    token = issue_socket_token(REP, "call-1", 300, SECRET)
    with pytest.raises(AuthError, match="invalid socket token"):
        verify_socket_token(token, "call-1", b"t" * 32)


def test_the_generated_secret_survives_a_restart(tmp_path: Path) -> None:
    config = AuthConfig(secret_file=tmp_path / "data" / "socket.secret")
    token = issue_socket_token(REP, "call-1", None, config)
    secret = socket_secret(config)
    assert (tmp_path / "data" / "socket.secret").stat().st_mode & 0o777 == 0o600
    # "Restart": a fresh config object over the same file reads the same secret back.
    again = AuthConfig(secret_file=tmp_path / "data" / "socket.secret")
    assert socket_secret(again) == secret
    assert verify_socket_token(token, "call-1", again) == REP


def test_a_configured_secret_is_used_and_must_be_long(tmp_path: Path) -> None:
    config = AuthConfig(socket_token_secret=SecretStr("k" * 40), secret_file=tmp_path / "unused")
    token = issue_socket_token(REP, "call-1", None, config)
    assert verify_socket_token(token, "call-1", b"k" * 40) == REP
    assert not (tmp_path / "unused").exists()
    with pytest.raises(ValidationError, match="at least 32"):
        AuthConfig(socket_token_secret=SecretStr("changethis"))


def test_bearer_headers() -> None:
    assert bearer_from_header("Bearer cpk_abc_def") == "cpk_abc_def"
    assert bearer_from_header("bearer   cpk_abc_def ") == "cpk_abc_def"
    for bad in (None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "cpk_abc_def"):
        with pytest.raises(AuthError):
            bearer_from_header(bad)
