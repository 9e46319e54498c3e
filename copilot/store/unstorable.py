"""Text the store cannot keep, told before it is written.

PostgreSQL's text columns cannot hold NUL (U+0000), and UTF-8 cannot carry half of a UTF-16
surrogate pair, which JSON may still escape (``"\\ud800"``). Either, reaching the database (or
a JSON answer), was an internal error after the work was done; where text comes in (request
bodies, socket messages, uploads, manifests) it is refused with the field named, before
anything is scanned or stored, whichever database is configured. Whatever reaches a session by
another way (a YAML file of an org's vendors, a command-line argument that was not UTF-8) is
refused when the session flushes, naming the column, before any row of that flush is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from copilot.store.errors import InvalidInput

_UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")


def unstorable(value: object, where: str = "") -> str | None:
    """What is wrong with the first string in a decoded JSON value (or form) that holds a
    NUL or a lone surrogate, naming its field; None when every string can be stored."""
    found = _first_unstorable(value)
    return None if found is None else _described(where, *found)


def refuse_unstorable(session: Session, _context: object = None, _instances: object = None) -> None:
    """A ``before_flush`` hook: :class:`InvalidInput` naming the first new or changed value
    that holds a NUL or a lone surrogate (``org_vendors.name: holds …``); nothing of the
    flush is written, and the caller's transaction rolls back as for any other error."""
    for row in (*session.new, *session.dirty):
        state = instance_state(row)
        values = state.dict
        for key in values if state.pending else state.committed_state:
            found = _first_unstorable(values.get(key))
            if found is not None:
                table = getattr(row, "__tablename__", type(row).__name__)
                raise InvalidInput(f"cannot store {_described(f'{table}.{key}', *found)}")


def _first_unstorable(value: object) -> tuple[list[str], re.Match[str]] | None:
    """The first string (dict keys included) holding NUL or a lone surrogate, with the keys
    and indexes leading to it; the path is only built for a value that has one, so the
    common case (everything storable) formats nothing."""
    if isinstance(value, str):
        match = _UNSTORABLE.search(value)
        return None if match is None else ([], match)
    if isinstance(value, dict):
        items: Iterable[tuple[object, object]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and (match := _UNSTORABLE.search(key)) is not None:
            return [key], match
        if (found := _first_unstorable(item)) is not None:
            return [str(key), *found[0]], found[1]
    return None


def _described(where: str, path: list[str], match: re.Match[str]) -> str:
    name = where
    for part in path:
        name = f"{name}.{part}" if name else part
    name = name or "value"
    what = (
        "a NUL character (U+0000)"
        if match.group() == "\x00"
        else "a lone UTF-16 surrogate (not valid Unicode)"
    )
    return f"{name}: holds {what} at character {match.start()}"
