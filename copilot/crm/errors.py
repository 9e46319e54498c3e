"""Errors of CRM delivery, each telling the reader what to do about it."""

from __future__ import annotations


class CrmError(Exception):
    """Base class of everything :mod:`copilot.crm` raises on purpose."""


class WebhookVerificationError(CrmError):
    """A received webhook is not authentic or not fresh; answer it with 400/401."""


class OutboxError(CrmError):
    """An outbox operation that cannot apply (unknown id, wrong state, bad payload)."""
