"""One HTTP attempt of one webhook: body, signed headers, POST, and what it came to.

Synchronous httpx on purpose. The outbox lives in a synchronous SQLAlchemy session, a
delivery is one small POST per confirmed call (no fan-out worth an event loop), and a
blocking sender keeps :meth:`DeliveryWorker.run_once` a plain function that tests call
directly. The service runs it off the event loop with ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any, Protocol

import httpx

from copilot.crm.acceptance import Acceptance, refusal
from copilot.crm.config import CrmConfig
from copilot.crm.models import DeliveryOutcome, OutboxMessage
from copilot.crm.signing import HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign

# Enough of an error answer to tell an admin what the CRM complained about, without
# reading (or storing) whatever a misbehaving endpoint streams back.
MAX_RESPONSE_SNIPPET = 512
# A composite answer lists every subrequest's result; a few hundred KB covers 25 of them.
MAX_ANSWER_BYTES = 512 * 1024


def _version() -> str:
    try:
        return metadata.version("sales-copilot")
    except metadata.PackageNotFoundError:
        return "dev"


USER_AGENT = f"sales-copilot/{_version()}"


class CrmSink(Protocol):
    """Where outbox messages go. The webhook is one; a vendor API client could be another."""

    def deliver(self, message: OutboxMessage, now: datetime) -> DeliveryOutcome:
        """Make one attempt; report the outcome, never raise for a network problem."""
        ...


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_body(message: OutboxMessage) -> bytes:
    """``{"type", "timestamp", "data"}`` as compact UTF-8 JSON (Chinese stays readable).

    The timestamp is when the event happened, so the body is byte-identical on every retry;
    only the ``webhook-timestamp`` header and the signature change.
    """
    envelope: dict[str, Any] = {
        "type": message.event_type,
        "timestamp": _iso(message.created_at),
        "data": message.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_headers(
    secrets: list[str], message: OutboxMessage, body: bytes, now: datetime
) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        HEADER_ID: message.id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: sign(secrets, message.id, timestamp, body),
        "content-type": "application/json; charset=utf-8",
        "user-agent": USER_AGENT,
    }


def _retry_after_s(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def classify(
    status_code: int, snippet: str, retry_after: str | None, now: datetime
) -> DeliveryOutcome:
    """Map an HTTP answer to delivered / gone / retry.

    Every non-2xx except 410 is retried on the normal schedule, 4xx included: a 401/403/404
    from a CRM is nearly always a misconfiguration on its side (rotated secret, route not yet
    deployed) that someone fixes within the ~2 h retry window, and a message given up on the
    first 4xx would then need an admin to re-queue it by hand. A 4xx that really is permanent
    costs a few cheap retries before ``dead``. 410 Gone is the receiver's explicit "stop".
    Redirects are not followed: a signed payload must not be forwarded to a host nobody
    configured.
    """
    if 200 <= status_code < 300:
        return DeliveryOutcome(result="delivered", status_code=status_code)
    detail = f"HTTP {status_code}"
    if 300 <= status_code < 400:
        detail += " (redirects are not followed; configure the final URL)"
    elif snippet:
        detail += f": {snippet}"
    return DeliveryOutcome(
        result="gone" if status_code == 410 else "retry",
        status_code=status_code,
        error=detail,
        retry_after_s=_retry_after_s(retry_after, now),
    )


def join_url(base: str, path: str) -> str:
    """``base`` + ``path`` with exactly one slash between them ("" posts to ``base``)."""
    if not path:
        return base
    return base.rstrip("/") + "/" + path.lstrip("/")


def _read_answer(response: httpx.Response) -> bytes:
    """A 2xx body read to judge it (copilot.crm.acceptance), bounded."""
    chunks = bytearray()
    for chunk in response.iter_bytes():
        chunks.extend(chunk)
        if len(chunks) > MAX_ANSWER_BYTES:
            break
    return bytes(chunks[:MAX_ANSWER_BYTES])


def _read_snippet(response: httpx.Response) -> str:
    chunks = bytearray()
    for chunk in response.iter_bytes():
        chunks.extend(chunk)
        if len(chunks) >= MAX_RESPONSE_SNIPPET:
            break
    text = bytes(chunks[:MAX_RESPONSE_SNIPPET]).decode("utf-8", errors="replace")
    return " ".join(text.split())


class WebhookSender:
    """Posts outbox messages to the configured URL with Standard-Webhooks headers."""

    def __init__(self, config: CrmConfig, *, client: httpx.Client | None = None) -> None:
        self._config = config
        # connect, read, write and pool waits are each bounded by timeout_s.
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(config.timeout_s), follow_redirects=False
        )

    def deliver(self, message: OutboxMessage, now: datetime) -> DeliveryOutcome:
        if message.target != "webhook":
            return self._deliver_mapped(message, now)
        url = self._config.webhook_url
        if url is None:
            return DeliveryOutcome(result="retry", error="CRM webhook URL not configured")
        body = build_body(message)
        headers = build_headers(self._config.secret_values(), message, body, now)
        outcome = self._post("POST", url, body, headers, now)
        return outcome.model_copy(update={"steps_done": int(outcome.result == "delivered")})

    def _deliver_mapped(self, message: OutboxMessage, now: datetime) -> DeliveryOutcome:
        """A CRM mapping's requests in order, from the first one not yet accepted.

        Each request is signed like a webhook and carries ``Idempotency-Key`` =
        ``<webhook-id>:<index>``, so a CRM (or the gateway in front of it) that saw a request
        whose answer was lost can drop the resend. A failed request stops the series; the
        retry resumes at it, never re-sending what was accepted.
        """
        base = message.payload.get("base_url") or self._config.webhook_url
        if not base:
            return DeliveryOutcome(result="retry", error="CRM URL not configured")
        requests = message.payload.get("requests") or []
        done = message.steps_done
        for index in range(done, len(requests)):
            request = requests[index]
            url = join_url(str(base), str(request.get("path", "")))
            body = json.dumps(
                request.get("body", {}), ensure_ascii=False, separators=(",", ":")
            ).encode("utf-8")
            headers = build_headers(self._config.secret_values(), message, body, now)
            headers["idempotency-key"] = f"{message.id}:{index}"
            accept = request.get("accept", "status")
            outcome = self._post(
                str(request.get("method", "POST")), url, body, headers, now, accept=accept
            )
            if outcome.result != "delivered":
                step = f"request {index + 1} of {len(requests)}: "
                return outcome.model_copy(
                    update={"steps_done": index, "error": step + (outcome.error or "")}
                )
            done = index + 1
        return DeliveryOutcome(result="delivered", status_code=200, steps_done=done)

    def _post(
        self,
        method: str,
        url: str,
        body: bytes,
        headers: dict[str, str],
        now: datetime,
        *,
        accept: Acceptance = "status",
    ) -> DeliveryOutcome:
        try:
            with self._client.stream(method, url, content=body, headers=headers) as response:
                if response.is_success and accept != "status":
                    refused = refusal(accept, _read_answer(response))
                    if refused is not None:
                        return DeliveryOutcome(
                            result="retry",
                            status_code=response.status_code,
                            error=f"HTTP {response.status_code} but refused: {refused}",
                        )
                snippet = "" if response.is_success else _read_snippet(response)
                return classify(
                    response.status_code, snippet, response.headers.get("retry-after"), now
                )
        except httpx.TimeoutException as exc:
            kind = type(exc).__name__.removesuffix("Timeout").lower() or "request"
            return DeliveryOutcome(
                result="retry", error=f"{kind} timeout after {self._config.timeout_s:g} s"
            )
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            # Refused, reset, DNS, TLS…: the CRM is unreachable for now; retry later.
            return DeliveryOutcome(
                result="retry", error=f"{type(exc).__name__}: {exc}" if str(exc) else repr(exc)
            )

    def close(self) -> None:
        self._client.close()
