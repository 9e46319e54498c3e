"""What the store raises; the service maps each class to one HTTP status."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

# The database cannot be used for now: a full disk, a read-only file, a lost connection, no
# connection free in the pool. Nothing of the failed transaction was written.
UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


def unavailable_because(exc: BaseException) -> str | None:
    """The driver's words when ``exc`` says the database cannot be used for now, else None.
    Never the statement, which holds the caller's data; for the operator's log (a driver's
    words may name the database's host or user, which a client is not told)."""
    if not isinstance(exc, UNAVAILABLE):
        return None
    driver = getattr(exc, "orig", None) or exc
    said = first_line(driver)
    return f"{type(driver).__name__}: {said}" if said else type(driver).__name__


def first_line(exc: BaseException) -> str:
    """The first line of what ``exc`` says (SQLAlchemy puts the statement on the next)."""
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else ""


class StoreError(Exception):
    """Base class; also "the database is unusable as configured" (the message says why)."""


class NotFound(StoreError):
    """No such row, or not one the caller may see: the two are the same answer (404)."""


class InvalidInput(StoreError):
    """A value the store refuses: an unknown role, a team of another org… (400/422)."""


class Conflict(StoreError):
    """The row exists but is in the wrong state for this change (409)."""
