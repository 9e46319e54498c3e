"""Text the service can neither store nor answer, refused where it comes in.

PostgreSQL's text columns cannot hold NUL (U+0000), and UTF-8 cannot carry half of a UTF-16
surrogate pair, which JSON may still escape (``"\\ud800"``). Either, reaching the database or
a response, was an internal error after the work was done; here it is a clear error that
names the field, before anything is scanned or stored, whichever database is configured.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

_UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")


def unstorable(value: object, where: str = "") -> str | None:
    """What is wrong with the first string in a decoded JSON value (or form) that holds a
    NUL or a lone surrogate, naming its field; None when every string can be stored."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        if found is None:
            return None
        what = (
            "a NUL character (U+0000)"
            if found.group() == "\x00"
            else "a lone UTF-16 surrogate (not valid Unicode)"
        )
        return f"{where or 'value'}: holds {what} at character {found.start()}"
    if isinstance(value, dict):
        items: Iterable[tuple[object, object]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        inner = f"{where}.{key}" if where else str(key)
        if isinstance(key, str) and (bad := unstorable(key, inner)) is not None:
            return bad
        if (bad := unstorable(item, inner)) is not None:
            return bad
    return None


class RefuseNulInUrl:
    """ASGI middleware: a path or query string holding NUL (``%00``) is refused, 400 or a
    closed socket, before any route looks an id up with it."""

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
