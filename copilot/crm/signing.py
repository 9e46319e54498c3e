"""Standard Webhooks signatures (https://www.standardwebhooks.com), both directions.

The signed content is ``f"{webhook_id}.{webhook_timestamp}."`` followed by the raw body
bytes; the signature is ``v1,`` + base64(HMAC-SHA256(key, content)). Several secrets give
several space-separated signatures, so a receiver that knows only one of them (old or new,
during a key rotation) still verifies.

Secrets are either ``whsec_<base64>`` (the Standard-Webhooks form: the key is the decoded
bytes) or any other string (the key is its UTF-8 bytes). This module only needs the
standard library, so a CRM integrator can copy it as it is.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from copilot.crm.errors import WebhookVerificationError

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_S = 300.0  # five minutes either way, as the convention recommends

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"


def secret_key(secret: str) -> bytes:
    """The HMAC key of one configured secret; raises ``ValueError`` on an unusable one."""
    if secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ValueError(
                f"the part after {SECRET_PREFIX!r} is not valid base64 — paste the secret "
                "exactly as the CRM shows it, or use a plain string"
            ) from exc
    else:
        key = secret.encode("utf-8")
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def _secrets(secrets: str | Sequence[str]) -> list[str]:
    # A str is itself a Sequence[str]; one secret must not become one per character.
    return [secrets] if isinstance(secrets, str) else list(secrets)


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def sign(secrets: str | Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: one ``v1,<base64>`` per secret, space-separated."""
    keys = [secret_key(s) for s in _secrets(secrets)]
    if not keys:
        raise ValueError("at least one webhook secret is needed to sign")
    return " ".join(
        f"{SIGNATURE_VERSION},{_signature(key, msg_id, timestamp, body)}" for key in keys
    )


def _header(headers: Mapping[str, str], name: str) -> str:
    # http.server, Starlette and httpx all expose case-insensitive headers, but a plain dict
    # from a test or a framework adapter may not: look the name up either way.
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                value = candidate
                break
    if not value:
        raise WebhookVerificationError(f"missing {name} header")
    return value


def verify(
    secrets: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a received webhook and return its decoded JSON body.

    Raises :class:`WebhookVerificationError` when a header is missing, the timestamp is
    more than ``tolerance_s`` away from ``now`` (unix seconds; the current time by default)
    in either direction — which bounds replays — or no signature matches any of
    ``secrets``. Verify the raw bytes *before* parsing them: re-serialised JSON would not
    match. After this succeeds, dedupe on the ``webhook-id`` header.
    """
    msg_id = _header(headers, HEADER_ID)
    raw_timestamp = _header(headers, HEADER_TIMESTAMP)
    raw_signatures = _header(headers, HEADER_SIGNATURE)
    if not raw_timestamp.isdigit():
        raise WebhookVerificationError(f"{HEADER_TIMESTAMP} is not unix seconds")
    timestamp = int(raw_timestamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise WebhookVerificationError(
            f"{HEADER_TIMESTAMP} is {current - timestamp:+.0f} s off this receiver's clock "
            f"(tolerance {tolerance_s:.0f} s): a replay, or a clock out of sync"
        )
    offered: list[bytes] = []
    for part in raw_signatures.split():
        version, _, value = part.partition(",")
        if version == SIGNATURE_VERSION and value:  # other versions (v1a…) are not ours
            offered.append(value.encode("ascii", "replace"))
    keys = [secret_key(s) for s in _secrets(secrets)]
    # Every pair is compared, in constant time, so timing says nothing about which matched.
    matched = False
    for key in keys:
        expected = _signature(key, msg_id, timestamp, body).encode("ascii")
        for candidate in offered:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookVerificationError("no signature matches a known secret")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WebhookVerificationError(f"body is not UTF-8 JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise WebhookVerificationError("body is not a JSON object")
    return payload
