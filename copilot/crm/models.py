"""The records CRM delivery hands between its parts and to the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

# The event a rep's confirmation produces; the body's ``data`` is CONTRACT's CallSummary
# plus org_id, rep_id, confirmed_by and confirmed_at.
SUMMARY_CONFIRMED = "call.summary.confirmed"

DeliveryState = Literal["pending", "delivered", "dead"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OutboxMessage(_Record):
    """One claimed outbox row, detached from the session so it can cross to the sender."""

    id: str  # the webhook-id
    org_id: str
    call_id: str | None
    event_type: str
    payload: dict[str, Any]
    attempts: int  # attempts made before this one
    created_at: datetime  # when the event happened: the body's ``timestamp``
    # "webhook": ``payload`` is the Standard-Webhooks ``data``. A CRM mapping's name:
    # ``payload`` is {"requests": [CrmRequest…], "base_url": str | None}, sent in order.
    target: str = "webhook"
    steps_done: int = 0  # requests of a mapped payload the CRM already accepted


class DeliveryOutcome(_Record):
    """What one HTTP attempt came to; the sender returns it instead of raising."""

    # delivered: 2xx. gone: 410, the receiver asks us to stop. retry: anything else.
    result: Literal["delivered", "retry", "gone"]
    status_code: int | None = None  # None when no response came (timeout, refused…)
    error: str | None = None  # short, for people: "timeout after 10 s", "HTTP 503: …"
    retry_after_s: float | None = None  # the receiver's Retry-After, when it sent one
    # Requests of a mapped payload accepted so far (None: a one-request webhook).
    steps_done: int | None = None


class DeliveryStatus(_Record):
    """The delivery of one event as the call view shows it."""

    id: str
    call_id: str | None
    event_type: str
    status: DeliveryState
    attempts: int
    max_attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None  # only while pending
    created_at: datetime
    delivered_at: datetime | None
    target: str = "webhook"  # the mapping the payload was shaped for
    steps_done: int = 0
    steps: int = 1
    # Why it is not delivered yet, in words for the rep or an admin; None once delivered.
    reason: str | None


class DeliveryCounts(_Record):
    """What one pass of the worker did."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    # Claimed but handed back unsent because the worker was stopping.
    released: int = 0
