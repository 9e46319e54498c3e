"""Requests whose URL the service refuses before any route sees it."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class RefuseNulInUrl:
    """ASGI middleware: a path or query string holding NUL (``%00``) is refused, 400 or a
    closed socket, before any route looks an id up with it (PostgreSQL's text cannot
    hold NUL: see :mod:`copilot.store.unstorable`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and (
            "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"")
        ):
            message = "the URL holds a NUL character (%00)"
            if scope["type"] == "http":
                body = {"error": {"code": "bad_url", "message": message}}
                await JSONResponse(body, status_code=400)(scope, receive, send)
            else:
                await send({"type": "websocket.close", "code": 4400, "reason": message})
            return
        await self.app(scope, receive, send)
