"""Token buckets per (caller, action), in memory: ``429`` with ``Retry-After`` past the limit.

Each bucket holds ``burst`` tokens and refills at ``per_minute / 60`` tokens a second; an
attempt takes one. Per process: several workers each allow the full rate, which is fine for
limits meant to stop a runaway client or a password-guessing loop, not to meter usage.
The defaults sit far above what a person does (a rep scanning a draft on every pause,
reconnecting a side panel), so only scripts ever meet them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LimitedAction = Literal[
    "scan", "scan_batch", "upload", "suggest", "socket_token", "login_ip", "login_account"
]
# Buckets kept before idle full ones are dropped (a full bucket is the same as none).
_MAX_BUCKETS = 50_000


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_minute: float = Field(gt=0)
    burst: int = Field(ge=1)


class RateLimits(BaseModel):
    """``COPILOT_SERVICE__RATE_LIMITS__<ACTION>__PER_MINUTE`` / ``__BURST``."""

    model_config = ConfigDict(extra="forbid")

    # POST /v1/compliance/scan, per API key's user: the extension scans a draft as it pauses.
    scan: RateLimit = RateLimit(per_minute=300, burst=100)
    # POST /v1/compliance/scan/batch, per user: an archive or an outbox checked a few hundred
    # messages a request (each batch one token).
    scan_batch: RateLimit = RateLimit(per_minute=60, burst=10)
    # POST /v1/calls (recordings and scripted turns), per user.
    upload: RateLimit = RateLimit(per_minute=30, burst=10)
    # POST /v1/suggest, per user.
    suggest: RateLimit = RateLimit(per_minute=300, burst=100)
    # POST /v1/auth/socket-token, per user: every (re)connect of a side panel asks for one.
    socket_token: RateLimit = RateLimit(per_minute=120, burst=60)
    # Dashboard sign-in attempts per client IP (a whole office may share one) ...
    login_ip: RateLimit = RateLimit(per_minute=30, burst=20)
    # ... and per account (the key id typed in), against guessing one key's secret.
    login_account: RateLimit = RateLimit(per_minute=5, burst=5)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Thread-safe: sync routes run in worker threads."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, action: LimitedAction, who: str) -> float | None:
        """Spend one token of ``who``'s bucket for ``action``: None when allowed, else the
        whole seconds until a token is back (for ``Retry-After``)."""
        limit: RateLimit = getattr(self.limits, action)
        rate = limit.per_minute / 60.0
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get((action, who))
            if bucket is None:
                if len(self._buckets) >= _MAX_BUCKETS:
                    self._prune(now)
                bucket = self._buckets[(action, who)] = _Bucket(float(limit.burst), now)
            bucket.tokens = min(limit.burst, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            return float(max(1, math.ceil((1.0 - bucket.tokens) / rate)))

    def _prune(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            limit: RateLimit = getattr(self.limits, key[0])
            if bucket.tokens + (now - bucket.updated) * limit.per_minute / 60.0 >= limit.burst:
                del self._buckets[key]


# The permission actions (copilot.permissions) that spend a token, and from which bucket.
LIMITED: dict[str, LimitedAction] = {
    "compliance.scan": "scan",
    "compliance.scan_batch": "scan_batch",
    "calls.create": "upload",
    "suggestions.suggest": "suggest",
    "auth.socket_token": "socket_token",
}
_create_lock = threading.Lock()


def app_limiter(app_state: Any, limits: RateLimits) -> RateLimiter:
    """The application's limiter (``app.state.rate_limiter``), made on first use."""
    limiter: RateLimiter | None = getattr(app_state, "rate_limiter", None)
    if limiter is None:
        with _create_lock:
            limiter = getattr(app_state, "rate_limiter", None)
            if limiter is None:
                limiter = RateLimiter(limits)
                app_state.rate_limiter = limiter
    return limiter
