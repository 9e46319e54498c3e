"""Prometheus metrics of the service, served at ``GET /metrics`` (docs/deploy.md).

Two kinds of figures:

- **Counted as things happen**: calls started/ended/failed, final latency, the gap between
  partials, recognition lag, compliance flags, HTTP requests. They live in one
  process-wide registry (:data:`REGISTRY`); a live call reports to them through its own
  :class:`CallMetrics`, which watches the call and keeps no reference to the service.
- **Read at scrape time** (:class:`ServiceCollector`): live calls, audio waiting for
  recognition, the decode queue, the CRM outbox backlog (one grouped count over an
  indexed column), so a figure is never stale and nothing polls.

Labels never hold ids: HTTP requests are labelled with the route's template
(``/v1/calls/{call_id}``), never the raw path.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from copilot.crm import outbox
from copilot.store.models import CrmOutbox

if TYPE_CHECKING:
    from copilot.events import FlagPayload
    from copilot.service.state import ServiceState

# The service's own figures; the default registry of prometheus_client stays untouched
# (tests build many apps in one process, and libraries may register there).
REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)

CALLS = Counter(
    "copilot_calls",
    "Live calls by what happened to them: started (or resumed), ended, failed, suspended.",
    ["event"],
    registry=REGISTRY,
)
FINAL_LATENCY = Histogram(
    "copilot_final_latency_seconds",
    "From the arrival of the audio holding a segment's end to its final being published.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
PARTIAL_GAP = Histogram(
    "copilot_partial_gap_seconds",
    "Wall time between two partials of the same utterance.",
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
RECOGNITION_LAG = Histogram(
    "copilot_recognition_lag_seconds",
    "Seconds of a call's audio still waiting for recognition, each time a chunk is done.",
    buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0),
    registry=REGISTRY,
)
FLAGS = Counter(
    "copilot_flags_raised",
    "Compliance flags raised in live calls.",
    ["category", "severity"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "copilot_http_requests",
    "HTTP requests by route template and status (WebSockets not included).",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "copilot_http_request_duration_seconds",
    "HTTP request handling time by route template.",
    ["method", "route"],
    registry=REGISTRY,
)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    # RSS, CPU seconds, open files, GC: the same figures the default registry has.
    REGISTRY.register(_collector)


# -- one live call ----------------------------------------------------------------------


class CallMetrics:
    """Watches one live call: when its audio arrived, when partials and finals left.

    Called from the event loop (``audio_received``) and the call's worker thread (the
    rest); the arrivals deque is guarded, the counters are thread-safe."""

    # Arrivals older than this are dropped even if no final claimed them (long silence).
    _KEEP_S = 120.0

    def __init__(self, offset_s: float = 0.0, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._received_s = offset_s
        # (call time at the end of a chunk, wall time it arrived), oldest first.
        self._arrivals: deque[tuple[float, float]] = deque()
        self._lock = threading.Lock()
        self._last_partial: float | None = None

    def started(self) -> None:
        CALLS.labels("started").inc()

    def closed(self, event: str) -> None:
        """``ended``, ``failed`` or ``suspended``."""
        CALLS.labels(event).inc()

    def audio_received(self, seconds: float) -> None:
        now = self._clock()
        with self._lock:
            self._received_s += seconds
            self._arrivals.append((self._received_s, now))
            while self._arrivals and now - self._arrivals[0][1] > self._KEEP_S:
                self._arrivals.popleft()

    def chunk_done(self, lag_s: float) -> None:
        RECOGNITION_LAG.observe(lag_s)

    def partial(self) -> None:
        now = self._clock()
        if self._last_partial is not None:
            PARTIAL_GAP.observe(now - self._last_partial)
        self._last_partial = now

    def final(self, segment_end_s: float, flags: Iterable[FlagPayload]) -> float | None:
        """A final was published: its latency (None when its audio's arrival is unknown)."""
        self._last_partial = None  # the next partial starts a new utterance
        for flag in flags:
            FLAGS.labels(flag.category, flag.severity).inc()
        latency = self.latency_s(segment_end_s)
        if latency is not None:
            FINAL_LATENCY.observe(latency)
        return latency

    def latency_s(self, segment_end_s: float) -> float | None:
        """Seconds since the chunk holding ``segment_end_s`` arrived; earlier chunks are
        forgotten (finals come in time order)."""
        now = self._clock()
        with self._lock:
            while self._arrivals and self._arrivals[0][0] < segment_end_s - 1e-3:
                self._arrivals.popleft()
            if not self._arrivals:
                return None
            return max(0.0, now - self._arrivals[0][1])


# -- read at scrape time ----------------------------------------------------------------


class ServiceCollector(Collector):
    """Figures read from the running service and its database when Prometheus scrapes."""

    def __init__(self, state: ServiceState) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        live = list(self._state.live.values())
        yield _gauge("copilot_live_calls", "Calls streaming audio to this instance.", len(live))
        lags = [call.lag_s for call in live]
        yield _gauge(
            "copilot_recognition_lag_max_seconds",
            "The largest amount of audio one live call has waiting for recognition.",
            max(lags, default=0.0),
        )
        yield _gauge(
            "copilot_recognition_queued_audio_seconds",
            "Audio waiting for recognition, all live calls of this process together.",
            sum(lags),
        )
        # The shared batching decoder's queue (speech/batching.py) when decoding is
        # batched, else the audio chunks live calls have waiting for their own decode.
        batcher = getattr(self._state.speech_engine, "batcher", None)
        queue = batcher.queued if batcher is not None else sum(c.queued_chunks for c in live)
        yield _gauge(
            "copilot_decode_queue_length",
            "Decode requests waiting for the shared decoder (without batching: audio "
            "chunks waiting in live calls).",
            queue,
        )
        yield self._outbox()

    def _outbox(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "copilot_crm_outbox_messages",
            "CRM webhooks not delivered: pending (due or waiting to retry) and dead.",
            labels=["status"],
        )
        counts = {outbox.PENDING: 0, outbox.DEAD: 0}
        with self._state.sessions() as session:
            rows = session.execute(
                select(CrmOutbox.status, func.count())
                .where(CrmOutbox.status.in_(list(counts)))
                .group_by(CrmOutbox.status)
            )
            for status, count in rows:
                counts[status] = count
        for status, count in counts.items():
            family.add_metric([status], count)
        return family


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class _Forward(Collector):
    """Puts the process-wide registry inside an app's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()


def app_registry(state: ServiceState) -> CollectorRegistry:
    """What one app's ``/metrics`` shows: the process's figures and its own state."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Forward(REGISTRY))
    registry.register(ServiceCollector(state))
    return registry


# -- HTTP ---------------------------------------------------------------------------------

router = APIRouter(tags=["service"])

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Set by a reverse proxy: a request carrying one came from outside even if the proxy's own
# address is loopback.
_PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """The Prometheus text exposition; see ``metrics_token`` in the service settings."""
    # Here, not at the top: deps imports the state, which imports live calls, which import
    # this module.
    from copilot.service.deps import error_response

    state: ServiceState = request.app.state.service
    if not _allowed(request, state):
        return error_response(
            403,
            "forbidden",
            "/metrics is served to loopback only; set COPILOT_SERVICE__METRICS_TOKEN and "
            "scrape with that bearer token",
        )
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = request.app.state.metrics_registry = app_registry(state)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _allowed(request: Request, state: ServiceState) -> bool:
    token = state.settings.service.metrics_token
    if token is not None:
        expected = f"Bearer {token.get_secret_value()}"
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), expected.encode())
    host = request.client.host if request.client is not None else ""
    proxied = any(header in request.headers for header in _PROXY_HEADERS)
    return host in _LOOPBACK and not proxied


class HttpMetrics:
    """ASGI middleware: request count and duration per route template. Pure ASGI, not
    ``BaseHTTPMiddleware``, so WebSockets and streaming answers pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = _route_template(scope)
            method = scope["method"]
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    # FastAPI puts the matched route in the scope; unmatched paths share one label so a
    # scanner probing random URLs cannot grow the label set. Routes of an included router
    # keep their own path there; the full template (with the prefixes) is in FastAPI's
    # effective route context, where this FastAPI version has one.
    fastapi_scope = scope.get("fastapi")
    effective: Any = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    route: Any = effective if effective is not None else scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"
