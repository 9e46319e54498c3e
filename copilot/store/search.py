"""Full-text search over transcripts, through each database's own trigram index.

Chinese has no spaces between words, so search is by substring: a line matches when it
contains the query as typed. Both databases index character trigrams (migration 0010):

- SQLite: the FTS5 table ``segments_fts`` (``trigram`` tokenizer), kept in step with
  ``segments`` by triggers, queried with ``MATCH`` on the query as one quoted phrase.
- PostgreSQL: a GIN ``gin_trgm_ops`` index on ``segments.text``, used by ``ILIKE``.

A trigram index cannot answer a query shorter than three characters (它 has no trigram):
those fall back to ``LIKE`` over the visible calls' segments — a scan bounded by the
viewer's calls, fast enough at the sizes measured (docs/calls.md). Visibility is applied in
the same statement as the match, so another team's or org's lines never come back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal_column, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from copilot.principal import Principal
from copilot.store.models import Call, Segment
from copilot.store.visibility import visible_calls_query

# The objects migration 0010 creates outside the models (the model comparison skips them).
SQLITE_FTS_TABLE = "segments_fts"
PG_TRGM_INDEX = "ix_segments_text_trgm"
# The trigram tokenizer's unit: shorter queries cannot use either index.
TRIGRAM = 3
MAX_QUERY_CHARS = 100
DEFAULT_LIMIT = 50


def is_search_index(name: str | None) -> bool:
    """Whether a table or index name belongs to the search index (FTS5 shadow tables too)."""
    return name is not None and (name.startswith(SQLITE_FTS_TABLE) or name == PG_TRGM_INDEX)


@dataclass(frozen=True)
class SearchHit:
    """One transcript line containing the query; ``spans`` are where, in ``text``."""

    call_id: str
    segment_id: str
    speaker: str
    start: float
    text: str
    spans: tuple[tuple[int, int], ...]
    call_started_at: datetime
    rep_id: str
    customer_name: str


def normalise_query(query: str) -> str:
    """The query as searched: whitespace trimmed and collapsed, at most 100 characters."""
    return " ".join(query.split())[:MAX_QUERY_CHARS]


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(value: str) -> str:
    # One FTS5 string: the whole query as a phrase, quotes doubled (no operators leak in).
    return '"' + value.replace('"', '""') + '"'


def contains(session: Session, query: str) -> ColumnElement[bool]:
    """The condition "``segments`` row contains ``query``", through the dialect's index."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite" and len(query) >= TRIGRAM:
        rowids: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(text(SQLITE_FTS_TABLE))
            .where(
                text(f"{SQLITE_FTS_TABLE} MATCH :fts_query").bindparams(
                    fts_query=_fts_phrase(query)
                )
            )
        )
        return Segment.id.in_(rowids)
    pattern = f"%{escape_like(query)}%"
    if dialect == "postgresql":
        return Segment.text.ilike(pattern, escape="\\")
    # SQLite under three characters: LIKE (ASCII case-insensitive, like the trigram index).
    return Segment.text.like(pattern, escape="\\")


def search_query(
    session: Session, principal: Principal, query: str, calls: Select[Call] | None = None
) -> Select[str, str, str, float, str, datetime, str, str]:
    """Matching lines of the calls the principal may see (``calls``: a narrower visible
    selection, e.g. the library's filters), newest call first, then by time in the call.

    Only the columns a hit shows: every match is sorted before the first page is cut, and
    carrying the calls' summaries through that sort cost seconds on a common phrase."""
    visible = (calls if calls is not None else visible_calls_query(principal)).subquery()
    # The matching lines first, through the index, then the visibility join: PostgreSQL's
    # generic plan for a prepared ILIKE (psycopg prepares after five runs) otherwise walks
    # the calls in date order and scans segments for each (minutes on 200,000 lines).
    matched = (
        select(
            Segment.id,
            Segment.call_id,
            Segment.segment_id,
            Segment.speaker,
            Segment.start,
            Segment.text,
        )
        .where(contains(session, query))
        .cte("matched")
    )
    if session.get_bind().dialect.name == "postgresql":
        matched = matched.prefix_with("MATERIALIZED")
    return (
        select(
            matched.c.call_id,
            matched.c.segment_id,
            matched.c.speaker,
            matched.c.start,
            matched.c.text,
            visible.c.started_at,
            visible.c.rep_id,
            visible.c.customer_name,
        )
        .join(visible, visible.c.id == matched.c.call_id)
        .order_by(visible.c.started_at.desc(), matched.c.call_id, matched.c.start, matched.c.id)
    )


def hit_spans(line: str, query: str) -> tuple[tuple[int, int], ...]:
    """Where ``query`` occurs in ``line`` (case-insensitive), non-overlapping, in order."""
    if not query:
        return ()
    haystack, needle = line.casefold(), query.casefold()
    if len(haystack) != len(line):  # casefold changed lengths (ß…): fall back to exact
        haystack, needle = line, query
    spans, at = [], haystack.find(needle)
    while at >= 0:
        spans.append((at, at + len(needle)))
        at = haystack.find(needle, at + len(needle))
    return tuple(spans)


def search_segments(
    session: Session,
    principal: Principal,
    query: str,
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    calls: Select[Call] | None = None,
) -> list[SearchHit]:
    """Transcript lines containing ``query`` in the calls the principal may see."""
    query = normalise_query(query)
    if not query:
        return []
    rows = session.execute(
        search_query(session, principal, query, calls).limit(limit).offset(offset)
    )
    return [
        SearchHit(
            call_id=call_id,
            segment_id=segment_id,
            speaker=speaker,
            start=start,
            text=line,
            spans=hit_spans(line, query),
            call_started_at=started_at,
            rep_id=rep_id,
            customer_name=customer_name,
        )
        for call_id, segment_id, speaker, start, line, started_at, rep_id, customer_name in rows
    ]


def index_in_step(session: Session) -> bool:
    """SQLite: whether the FTS index agrees with ``segments`` (FTS5's integrity check);
    PostgreSQL's index is part of the table and always is."""
    if session.get_bind().dialect.name != "sqlite":
        return True
    try:
        session.execute(
            text(
                f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}, rank) "
                "VALUES ('integrity-check', 1)"
            )
        )
    except DBAPIError:  # FTS5 reports a mismatch as a database error
        return False
    return True
