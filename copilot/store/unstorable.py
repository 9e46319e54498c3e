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


def refuse_unstorable(session: Session, _context: object = None, _instances: object = None) -> None:
    """A ``before_flush`` hook: :class:`InvalidInput` naming the first new or changed value
    that holds a NUL or a lone surrogate (``org_vendors.name: holds …``); nothing of the
    flush is written, and the caller's transaction rolls back as for any other error."""
    for row in (*session.new, *session.dirty):
        state = instance_state(row)
        values = state.dict
        for key in values if state.pending else state.committed_state:
            value = values.get(key)
            if isinstance(value, str):
                if _UNSTORABLE.search(value) is None:
                    continue  # the common case, without naming the column
            elif not isinstance(value, dict | list):
                continue
            table = getattr(row, "__tablename__", type(row).__name__)
            bad = unstorable(value, f"{table}.{key}")
            if bad is not None:
                raise InvalidInput(f"cannot store {bad}")
