"""The service's log lines: human or JSON, never a secret, never what was said.

``copilot serve`` configures logging with :func:`log_config`: uvicorn's handlers, plus the
``copilot``, ``speech``, ``retrieval`` and ``compliance`` loggers on the same handler.
Every handler carries :class:`RedactRecord`, which

- rewrites secrets wherever they appear in a message, its arguments or a traceback: query
  values named like credentials (copilot/service/log_redaction.py), ``Authorization``
  values and bearer tokens, API keys (``cpk_<id>_<secret>``), webhook secrets
  (``whsec_…``) and the password of a database URL;
- replaces runs of Chinese text with ``[text]``: transcripts, scanned messages, summaries
  and LLM replies are Chinese, log messages are English, so a sentence that slipped into
  an exception's message does not reach the log (call sites log ids and counts, not text;
  this catches what they do not control, such as a library's error message).

With ``service.log_format = "json"`` each record is one JSON object per line: ``time``,
``level``, ``logger``, ``message``, and ``call_id``, ``org_id``, ``request_id`` where the
code handling it set them (:func:`bind_log_context`), ``exc`` for a traceback.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from copilot.service.log_redaction import REDACTED, RedactSecrets
from copilot.service.log_redaction import log_config as uvicorn_log_config
from copilot.service.log_redaction import redact as redact_query

# Loggers of the project that go to the service's handler beside uvicorn's own.
PROJECT_LOGGERS = ("copilot", "speech", "retrieval", "compliance")
CONTEXT_FIELDS = ("call_id", "org_id", "request_id")

_context: dict[str, contextvars.ContextVar[str | None]] = {
    name: contextvars.ContextVar(f"copilot_log_{name}", default=None) for name in CONTEXT_FIELDS
}
# One dict per request, shared by every copy of the request's context: a value bound in a
# worker thread (the caller's org, known once a sync dependency has read the key) reaches
# the request's later lines too, which a context variable set in the thread would not.
_request: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "copilot_log_request", default=None
)


def bind_log_context(**values: str | None) -> None:
    """Ids that log records of the current task (or thread) carry from now on. A task
    copies its context when created, so a value bound in one call's task stays there;
    within a request a value also reaches the request's own later lines."""
    shared = _request.get()
    for name, value in values.items():
        _context[name].set(value)
        if shared is not None:
            if value is None:
                shared.pop(name, None)
            else:
                shared[name] = value


def log_context() -> dict[str, str]:
    found = dict(_request.get() or {})
    found.update({name: value for name, var in _context.items() if (value := var.get())})
    return found


# -- redaction ---------------------------------------------------------------------------

_SECRETS = [
    # Authorization: Bearer …, Basic …, in a header dump or a message.
    (
        re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+|basic\s+)?[^\s\"',;]+"),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{REDACTED}"),
    # API keys: the id may be quoted (it names the key), the secret never.
    (re.compile(r"\b(cpk_[0-9a-f]+_)[A-Za-z0-9_-]+"), rf"\1{REDACTED}"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]+"), f"whsec_{REDACTED}"),
    # scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]+(@)"), rf"\1{REDACTED}\2"),
]
# CJK ideographs, full-width forms and CJK punctuation, two or more in a row (with spaces
# and ASCII digits/letters in between, as in "预算 50 万"): a phrase, not a lone symbol.
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CHINESE_TEXT = re.compile(rf"[{_CJK}](?:[{_CJK}\w \t,.%-]*[{_CJK}])?")
TEXT_REDACTED = "[text]"


def redact(text: str) -> str:
    """``text`` without secrets and without Chinese phrases."""
    text = redact_query(text)
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return _CHINESE_TEXT.sub(TEXT_REDACTED, text)


class RedactRecord(RedactSecrets):
    """Rewrites a record in place (message, arguments, traceback); never drops one."""

    def clean(self, text: str) -> str:
        return redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text: the traceback is formatted (and cleaned) once here.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RequestLogContext:
    """ASGI middleware: log records written while handling a request carry its id (the
    client's ``X-Request-ID`` or a new one) and, on a call's paths, the call's id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            given = dict(scope.get("headers") or ()).get(b"x-request-id", b"")
            request_id = given.decode("latin-1")[:64] if given else uuid.uuid4().hex[:16]
            call = _CALL_PATH.match(scope.get("path", ""))
            _request.set({})
            bind_log_context(request_id=redact(request_id), call_id=call[1] if call else None)
        await self.app(scope, receive, send)


_CALL_PATH = re.compile(r"^/v1/calls/([^/]{1,64})")


# -- formatting --------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **log_context(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(log_format: str = "human", level: str = "info") -> dict[str, Any]:
    """The logging config ``copilot serve`` gives uvicorn: redaction on every handler, the
    project's loggers on uvicorn's default handler, JSON lines when asked."""
    config = copy.deepcopy(uvicorn_log_config())
    config["filters"]["redact_record"] = {"()": f"{__name__}.RedactRecord"}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "redact_record"]
    if log_format == "json":
        for formatter in config["formatters"].values():
            formatter.clear()
            formatter["()"] = f"{__name__}.JsonFormatter"
    # Propagating too: under pytest the root logger's capture still sees them; in
    # production the root logger has no handler, so nothing is printed twice.
    for name in PROJECT_LOGGERS:
        config["loggers"][name] = {"handlers": ["default"], "level": level.upper()}
    return config
