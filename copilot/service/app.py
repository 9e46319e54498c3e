"""The FastAPI application: ``create_app()`` wires settings, storage, engines and routes."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from compliance import Scanner
from copilot.auth import AccessError, Forbidden
from copilot.crm.worker import DeliveryWorker
from copilot.dashboard import analytics_pages, calls_pages, scorecard_pages
from copilot.dashboard import routes as dashboard_routes
from copilot.insights import build_extractor
from copilot.service import jobs, metrics, routes, sockets
from copilot.service.deps import ApiError, error_response
from copilot.service.docs_assets import add_offline_docs
from copilot.service.logs import RequestLogContext
from copilot.service.pipeline import Engines, Suggests
from copilot.service.state import ServiceState, worker_threads
from copilot.service.url_guard import RefuseNulInUrl
from copilot.settings import Settings, get_settings
from copilot.store import repo
from copilot.store.db import make_engine, migrate, session_factory
from copilot.store.errors import (
    UNAVAILABLE,
    Conflict,
    InvalidInput,
    NotFound,
    StoreError,
    unavailable_because,
)
from copilot.summary import build_summary_writer
from retrieval.errors import RetrievalError
from speech.engine import SpeechEngine

logger = logging.getLogger(__name__)
SHUTDOWN_GRACE_S = 10.0


def build_engines(settings: Settings, suggester: Suggests | None = None) -> Engines:
    # One extractor, configured by COPILOT_INSIGHTS__*, for the pipeline and the suggester.
    extractor = build_extractor(settings.insights)
    if suggester is None:
        from retrieval import Suggester

        suggester = Suggester(settings.retrieval, extractor=extractor)
    return Engines(
        extractor=extractor,
        scanner=Scanner(settings.compliance),
        suggester=suggester,
        write_summary=build_summary_writer(settings.insights),
    )


def create_app(
    settings: Settings | None = None,
    *,
    engines: Engines | None = None,
    speech_engine: SpeechEngine | None = None,
) -> FastAPI:
    """The service. Tests pass their own settings (a temp database) and may share engines
    between apps; the Whisper model loads once per process either way."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = await asyncio.to_thread(_start, settings, engines, speech_engine)
        state.hub.bind(asyncio.get_running_loop())
        app.state.service = state
        # Other instances on the database: heartbeat, call events and org changes.
        await state.start_cluster()
        worker = DeliveryWorker(state.sessions, settings.crm)
        worker.start()
        state.crm_worker = worker
        # Uploads a crash left half-analysed start again; the rest fail with a reason.
        for call_id, path in await asyncio.to_thread(jobs.recover_uploads, state):
            state.spawn(jobs.analyze_recording(state, call_id, path))
        if settings.service.preload_speech and state.speech_engine is None:
            state.spawn(asyncio.get_running_loop().run_in_executor(state.executor, state.speech))
        try:
            yield
        finally:
            await _stop(state)
            await worker.stop()
            state.executor.shutdown(wait=True, cancel_futures=True)
            state.retrainer.shutdown()

    app = FastAPI(
        title="销售副驾 Sales Copilot",
        version="0.1.0",
        summary="Live transcripts, insights, suggestions and compliance for sales calls.",
        lifespan=lifespan,
        # Served from local assets by add_offline_docs: FastAPI's own pages need a CDN.
        docs_url=None,
        redoc_url=None,
    )
    add_offline_docs(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex="|".join(
            origin.replace(".", r"\.").replace("*", ".*")
            for origin in settings.service.cors_origins
        ),
        allow_methods=["GET", "POST", "PUT"],
        allow_headers=["Authorization", "Content-Type"],
    )
    # Outermost last: the log context is bound before the request is timed and handled.
    app.add_middleware(metrics.HttpMetrics)
    app.add_middleware(RefuseNulInUrl)
    app.add_middleware(RequestLogContext)
    _error_handlers(app)
    app.include_router(routes.router)
    app.include_router(metrics.router)
    app.include_router(sockets.router)
    app.include_router(dashboard_routes.router)
    app.include_router(analytics_pages.router)
    app.include_router(scorecard_pages.router)
    app.include_router(calls_pages.router)

    @app.get("/healthz", tags=["service"])
    def healthz(request: Request) -> dict[str, object]:
        state: ServiceState = request.app.state.service
        lag = state.max_lag_s()
        # store: "ok", or "unwritable" while writes wait for the database (pending_writes,
        # oldest_pending_s, store_last_error say how bad); calls go on meanwhile.
        store = state.writes.health()
        return {
            "status": "ok" if store["store"] == "ok" else "degraded",
            **store,
            "calls_live": len(state.live),
            "asr_lag_s": round(lag, 2),
            "max_asr_lag_s": round(state.stats.max_lag_s, 2),
            "speech_loaded": state.speech_engine is not None,
            "finals": state.stats.finals,
            "analysis_ms_p50": state.stats.percentile_ms(0.5),
            "analysis_ms_p95": state.stats.percentile_ms(0.95),
        }

    return app


def _start(
    settings: Settings, engines: Engines | None, speech_engine: SpeechEngine | None
) -> ServiceState:
    db = make_engine(config=settings.database)
    migrate(db)
    sessions = session_factory(db)
    state = ServiceState(
        settings=settings,
        sessions=sessions,
        engines=engines or build_engines(settings),
        executor=ThreadPoolExecutor(worker_threads(settings), thread_name_prefix="copilot-asr"),
        speech_engine=speech_engine,
    )
    with sessions.begin() as session:
        # Calls that were live when their instance stopped keep their persisted segments
        # and can resume (same call id) or be closed; calls another live instance streams
        # are left alone (copilot/service/instances.py).
        interrupted = state.instances.mark_orphaned_calls(session)
        if interrupted:
            logger.warning("%d call(s) interrupted by the last shutdown", len(interrupted))
    return state


async def _stop(state: ServiceState) -> None:
    """Shutting down: live calls recognise what they received and become ``interrupted``."""
    calls = list(state.live.values())
    if calls:
        await asyncio.wait(
            [asyncio.ensure_future(call.suspend()) for call in calls], timeout=SHUTDOWN_GRACE_S
        )

    def mark() -> None:
        with state.sessions.begin() as session:
            repo.mark_suspended_calls(session, [c.call_id for c in calls])

    if calls:
        await asyncio.to_thread(mark)
    for call in calls:
        state.hub.close_call(call.call_id)
    # Writes the database refused during an outage: one last try before the process goes.
    await state.writes.close()
    await state.stop_cluster()
    for task in list(state.background):
        task.cancel()


_STORE_ERRORS: dict[type[StoreError], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Conflict: (409, "conflict"),
    InvalidInput: (422, "invalid_input"),
}


# A disk that is full (or a file past the size the OS allows the process) and one that is
# read-only: the environment, not the request or the code.
_STORAGE_ERRNOS: dict[int, tuple[int, str]] = {
    errno.ENOSPC: (507, "storage_full"),
    errno.EDQUOT: (507, "storage_full"),
    errno.EFBIG: (507, "storage_full"),
    errno.EROFS: (503, "storage_unavailable"),
}


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> object:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> object:
        status, code = _STORE_ERRORS.get(type(exc), (400, "bad_request"))
        return error_response(status, code, str(exc))

    # The database cannot be used for now (a full disk, a read-only file, a lost connection,
    # no connection free): the request's transaction was rolled back, so nothing of it is
    # stored and it can be sent again. The driver's words go to the log only.
    async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning(
            "database unavailable in %s %s: %s",
            request.method, request.url.path, unavailable_because(exc),
        )  # fmt: skip
        message = "the database cannot be used now; nothing was stored, retry later"
        return error_response(503, "store_unavailable", message, {"Retry-After": "5"})

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, store_unavailable)

    # The server's own disk refused a file (an upload, a recording): said as such, with the
    # system's words and never the path; anything else raised as OSError is a bug.
    @app.exception_handler(OSError)
    async def storage_error(request: Request, exc: OSError) -> object:
        status_code = _STORAGE_ERRNOS.get(exc.errno or 0)
        if status_code is None:
            return await internal_error(request, exc)
        status, code = status_code
        said = exc.strerror or type(exc).__name__
        logger.warning(
            "storage refused a write in %s %s: %s", request.method, request.url.path, said
        )
        message = f"the server cannot store this now ({said}); nothing was kept, retry later"
        return error_response(status, code, message, {"Retry-After": "60"})

    @app.exception_handler(RetrievalError)
    async def retrieval_error(request: Request, exc: RetrievalError) -> object:
        # The knowledge base or its index cannot be used (a folder that is gone, a vector
        # store that is down): the service is fine, suggestions are not, for now.
        return error_response(503, "suggestions_unavailable", str(exc))

    @app.exception_handler(AccessError)
    async def access_error(request: Request, exc: AccessError) -> object:
        if isinstance(exc, Forbidden):
            return error_response(403, "forbidden", str(exc))
        return error_response(401, "unauthenticated", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> object:
        error = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in error.get("loc", ()))
        return error_response(422, "invalid_body", f"{where}: {error.get('msg')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> object:
        return error_response(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> object:
        # A bug: the client gets the documented shape and an id to quote, never the
        # traceback; the log has both. (Starlette re-raises afterwards, so the server's
        # own error log sees it too.)
        request_id = uuid.uuid4().hex[:16]
        logger.error(
            "unhandled %s in %s %s [request_id=%s]",
            type(exc).__name__, request.method, request.url.path, request_id, exc_info=exc,
        )  # fmt: skip
        message = f"internal error; quote request id {request_id} when reporting it"
        body = {"error": {"code": "internal", "message": message, "request_id": request_id}}
        return JSONResponse(body, status_code=500, headers={"X-Request-ID": request_id})
