"""What every command shares: consoles, user-facing errors, ``--jsonl`` input."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class UserError(Exception):
    """Bad input from the user: reported as one line on stderr, exit status 1."""


@contextmanager
def user_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Turn the given exception types (and :class:`UserError`) into one line on stderr
    and exit status 1, never a traceback."""
    handled: tuple[type[Exception], ...] = (UserError, *kinds)
    try:
        yield
    except handled as exc:
        fail(user_message(exc) or str(exc))


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on one line of stderr and exit with status 1."""
    err.print(f"[red]error:[/red] {escape(message)}", markup=True)
    raise typer.Exit(1) from None


def user_message(exc: BaseException) -> str | None:
    """The one line to show for an error the user can fix (a bad setting, a service that
    is not running); None for anything else, which keeps its traceback (a bug)."""
    if isinstance(exc, UserError):
        return str(exc)
    if isinstance(exc, ValidationError) and exc.title == "Settings":
        return settings_message(exc)
    # Only look for a client library's errors when it was imported: the check must not
    # slow down every command by importing it.
    httpx = sys.modules.get("httpx")
    if httpx is not None and isinstance(exc, httpx.TransportError):
        url = _origin(exc)
        detail = str(exc) or type(exc).__name__
        return f"cannot reach {url}: {detail} (is `copilot serve` running there?)"
    if httpx is not None and isinstance(exc, httpx.HTTPError):
        return f"HTTP error: {exc}"
    # The submodule itself: the package imports it lazily, so it may not be an attribute yet.
    websockets = sys.modules.get("websockets.exceptions")
    if websockets is not None and isinstance(exc, websockets.WebSocketException):
        return f"WebSocket error: {exc}"
    if isinstance(exc, ConnectionError | TimeoutError):
        return f"cannot reach the service: {exc} (is `copilot serve` running there?)"
    database = sys.modules.get("sqlalchemy.exc")
    if database is not None and isinstance(exc, database.DBAPIError):
        # The driver's own first line, without the SQL and parameters SQLAlchemy adds
        # (they may hold what the user typed, and say nothing the user can act on).
        lines = str(exc.orig or exc).strip().splitlines() or [type(exc.orig).__name__]
        if isinstance(exc, database.OperationalError):
            hint = "check COPILOT_DATABASE__URL; `copilot db upgrade` migrates it"
            return f"cannot use the database: {lines[0]} ({hint})"
        return f"the database refused it: {lines[0]}"
    return None


def _origin(exc: Any) -> str:
    """``http://host:port`` of the request an httpx error is about."""
    try:
        url = exc.request.url
    except RuntimeError:  # httpx raises it when the error carries no request
        return "the service"
    return f"{url.scheme}://{url.netloc.decode()}"


def settings_message(exc: ValidationError) -> str:
    """``COPILOT_SERVICE__PORT: Input should be a valid integer…`` for every bad setting.

    Inputs are left out on purpose: a rejected value may be a secret."""
    problems = []
    for error in exc.errors():
        parts = [str(part) for part in error["loc"]]
        # Items of lists (numbers in loc) are not separate variables: name the variable.
        names = [part for part in parts if not part.isdigit()]
        variable = "COPILOT_" + "__".join(names).upper() if names else "settings"
        problems.append(f"{variable}: {error['msg']}")
    return "invalid configuration: " + "; ".join(problems)


@dataclass(frozen=True)
class JsonlItem:
    """One input line of a ``--jsonl`` file: either an ``id`` and ``text``, or an error."""

    line_no: int
    id: str | int | None
    text: str | None
    error: str | None = None


def require_file(path: Path) -> None:
    """:class:`UserError` unless ``path`` is a regular file: "no such file", or, for a folder
    or a device, that it is not one."""
    if not path.is_file():
        raise UserError(f"{path}: {'not a regular file' if path.exists() else 'no such file'}")


def read_jsonl(path: Path) -> Iterator[JsonlItem]:
    """Yield each line's ``{"id", "text"}``; a bad line yields an item with ``error`` set and
    reading goes on. Invalid UTF-8 is reported per line, not for the whole file."""
    require_file(path)
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield JsonlItem(
                    line_no, None, None, f"line {line_no}: invalid UTF-8 ({exc.reason})"
                )
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield JsonlItem(line_no, None, None, f"line {line_no}: malformed JSON ({exc.msg})")
                continue
            if not isinstance(record, dict):
                yield JsonlItem(line_no, None, None, f"line {line_no}: expected a JSON object")
                continue
            item_id = record.get("id")
            text = record.get("text")
            if not isinstance(text, str):
                yield JsonlItem(line_no, item_id, None, f"line {line_no}: missing string 'text'")
                continue
            yield JsonlItem(line_no, item_id, text)


def print_json_line(record: dict[str, object]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)
