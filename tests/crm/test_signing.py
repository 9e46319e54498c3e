from __future__ import annotations

import pytest

from copilot.crm.errors import WebhookVerificationError
from copilot.crm.signing import secret_key, sign, verify

# The Standard Webhooks specification's published test vector: matching it means any of the
# specification's reference libraries verifies what we send.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(signature: str, ts: int = VECTOR_TS, msg_id: str = VECTOR_ID) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_signature_matches_the_standard_webhooks_vector() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIGNATURE
    payload = verify(VECTOR_SECRET, _headers(VECTOR_SIGNATURE), VECTOR_BODY, now=VECTOR_TS)
    assert payload == {"test": 2432232314}


def test_several_secrets_give_space_separated_signatures_in_order() -> None:
    header = sign([VECTOR_SECRET, "plain-old-secret"], VECTOR_ID, VECTOR_TS, VECTOR_BODY)
    first, second = header.split(" ")
    assert first == VECTOR_SIGNATURE
    assert second == sign("plain-old-secret", VECTOR_ID, VECTOR_TS, VECTOR_BODY)


def test_key_rotation_a_receiver_knowing_either_secret_verifies() -> None:
    header = sign([VECTOR_SECRET, "plain-old-secret"], VECTOR_ID, VECTOR_TS, VECTOR_BODY)
    for known in (VECTOR_SECRET, "plain-old-secret", ["unrelated", "plain-old-secret"]):
        verify(known, _headers(header), VECTOR_BODY, now=VECTOR_TS)
    with pytest.raises(WebhookVerificationError, match="no signature matches"):
        verify("unrelated", _headers(header), VECTOR_BODY, now=VECTOR_TS)


def test_stale_and_future_timestamps_are_rejected() -> None:
    headers = _headers(VECTOR_SIGNATURE)
    verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS + 300)  # at the edge: fine
    verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS - 300)
    with pytest.raises(WebhookVerificationError, match="off this receiver's clock"):
        verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS + 301)  # a replay
    with pytest.raises(WebhookVerificationError, match="off this receiver's clock"):
        verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS - 301)  # from the future
    with pytest.raises(WebhookVerificationError):
        verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS + 60, tolerance_s=30)


def test_tampering_and_missing_headers_are_rejected() -> None:
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify(VECTOR_SECRET, _headers(VECTOR_SIGNATURE), b'{"test": 1}', now=VECTOR_TS)
    with pytest.raises(WebhookVerificationError, match="no signature"):
        other_id = _headers(VECTOR_SIGNATURE, msg_id="msg_other")
        verify(VECTOR_SECRET, other_id, VECTOR_BODY, now=VECTOR_TS)
    with pytest.raises(WebhookVerificationError, match="no signature"):
        # A re-signed timestamp is the replay trick the timestamp in the content prevents.
        moved = _headers(VECTOR_SIGNATURE, ts=VECTOR_TS + 10)
        verify(VECTOR_SECRET, moved, VECTOR_BODY, now=VECTOR_TS)
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify(VECTOR_SECRET, _headers("v2," + VECTOR_SIGNATURE[3:]), VECTOR_BODY, now=VECTOR_TS)
    headers = _headers(VECTOR_SIGNATURE)
    del headers["webhook-timestamp"]
    with pytest.raises(WebhookVerificationError, match="missing webhook-timestamp"):
        verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS)
    with pytest.raises(WebhookVerificationError, match="unix seconds"):
        verify(VECTOR_SECRET, _headers(VECTOR_SIGNATURE) | {"webhook-timestamp": "1.5e9"}, b"")


def test_header_names_are_matched_case_insensitively() -> None:
    headers = {
        "Webhook-Id": VECTOR_ID,
        "Webhook-Timestamp": str(VECTOR_TS),
        "Webhook-Signature": "v1a,ignored " + VECTOR_SIGNATURE,
    }
    assert verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TS) == {"test": 2432232314}


def test_secret_forms() -> None:
    assert secret_key("plain") == b"plain"
    assert len(secret_key(VECTOR_SECRET)) == 24
    with pytest.raises(ValueError, match="not valid base64"):
        secret_key("whsec_not*base64")
    with pytest.raises(ValueError, match="empty"):
        secret_key("")
    with pytest.raises(ValueError, match="at least one"):
        sign([], VECTOR_ID, VECTOR_TS, VECTOR_BODY)
