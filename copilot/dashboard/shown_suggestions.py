"""Which objection each KB entry was shown for, per call, for the 话术调用热力图.

A rep's reaction (``suggestion_feedback``) names the entry but not the objection; the call's
``suggestion`` events say what each card answered. Unpacking those JSON payloads is the
costliest part of the analytics page (tens of microseconds an event on PostgreSQL, tens of
thousands of events for an org's quarter), and a call's cards never change once its
metrics are computed (at the call's end): so each call's answer is cached in the process,
keyed by the call and its ``call_metrics.computed_at`` — a call computed again (a resumed
call that ended anew) is read afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

# Feedback on an entry the call's suggestion events never showed (or no event kept): its row.
NO_OBJECTION = "none"
# Calls per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
BATCH = 500
# Calls whose cards the process keeps (a few entries each: some megabytes at most).
CACHE_CALLS = 50_000

# Each suggestion event's objection and shown entry ids, unpacked by the database (parsing
# each payload in Python was slower still), oldest event first.
_SHOWN_SQL = {
    "sqlite": """
        SELECT e.call_id, json_extract(e.payload, '$.result.objection'),
               json_extract(s.value, '$.id')
        FROM call_events AS e, json_each(e.payload, '$.result.suggestions') AS s
        WHERE e.type = 'suggestion' AND e.call_id IN :ids
        ORDER BY e.call_id, e.seq
    """,
    # The column is json (text): cast once to jsonb rather than re-parse it per operator.
    "postgresql": """
        SELECT e.call_id, r.result ->> 'objection', s.value ->> 'id'
        FROM call_events AS e
        CROSS JOIN LATERAL (SELECT e.payload::jsonb -> 'result' AS result) AS r
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(r.result -> 'suggestions') = 'array'
                 THEN r.result -> 'suggestions' ELSE '[]'::jsonb END
        ) AS s
        WHERE e.type = 'suggestion' AND e.call_id IN :ids
        ORDER BY e.call_id, e.seq
    """,
}

_Key = tuple[str, datetime]
_cache: OrderedDict[_Key, dict[str, str]] = OrderedDict()
_lock = threading.Lock()


def _read(session: Session, call_ids: list[str]) -> dict[str, dict[str, str]]:
    """call → entry → the objection of the last card in the call that showed the entry."""
    statement = text(_SHOWN_SQL[session.get_bind().dialect.name]).bindparams(
        bindparam("ids", expanding=True)
    )
    shown: dict[str, dict[str, str]] = {call_id: {} for call_id in call_ids}
    for start in range(0, len(call_ids), BATCH):
        # .all(): one fetch of the batch, not a Python call per row.
        rows = session.execute(statement, {"ids": call_ids[start : start + BATCH]}).all()
        for call_id, objection, entry_id in rows:
            if isinstance(entry_id, str):
                shown[call_id][entry_id] = objection or NO_OBJECTION
    return shown


def shown_objections(session: Session, calls: Mapping[str, datetime]) -> dict[tuple[str, str], str]:
    """(call, entry) → the objection the entry was last shown for in that call; ``calls``:
    call id → its metrics' ``computed_at``."""
    keys = {call_id: (call_id, computed_at) for call_id, computed_at in calls.items()}
    with _lock:
        known = {call_id: _cache[key] for call_id, key in keys.items() if key in _cache}
        for call_id in known:
            _cache.move_to_end(keys[call_id])
    missing = sorted(set(keys) - set(known))
    fresh = _read(session, missing) if missing else {}
    with _lock:
        for call_id, entries in fresh.items():
            _cache[keys[call_id]] = entries
        while len(_cache) > CACHE_CALLS:
            _cache.popitem(last=False)
    return {
        (call_id, entry_id): objection
        for call_id, entries in (known | fresh).items()
        for entry_id, objection in entries.items()
    }
