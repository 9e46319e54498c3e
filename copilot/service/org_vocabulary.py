"""Each organisation's vocabulary as correction terms for its calls, cached per org.

A call (socket or upload) asks once, at its start, for the org's terms; the cache answers
from memory unless :func:`~copilot.store.vocabulary.vocabulary_version` changed (one indexed
aggregate query), so a term added with ``copilot vocab`` or learned from a manager's
correction applies from the org's next call, without a restart. A running call keeps the
terms it started with; segments never touch the database for them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from copilot.store.models import OrgVocabulary
from copilot.store.vocabulary import list_terms, vocabulary_version
from speech.correction import Term
from speech.correction.corrector import CALL_WEIGHT

_Version = tuple[int, datetime | None]


def as_terms(rows: Sequence[OrgVocabulary]) -> tuple[Term, ...]:
    """The org's terms weigh as a call's own names (the org chose them)."""
    return tuple(Term(row.term, row.kind, CALL_WEIGHT) for row in rows)  # type: ignore[arg-type]


class OrgVocabularyCache:
    """Thread-safe; blocking (database): call from a worker thread."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._cached: dict[str, tuple[_Version, tuple[Term, ...]]] = {}
        self._lock = threading.Lock()

    def terms(self, org_id: str) -> tuple[Term, ...]:
        with self.sessions() as session:
            version = vocabulary_version(session, org_id)
            with self._lock:
                cached = self._cached.get(org_id)
            if cached is not None and cached[0] == version:
                return cached[1]
            terms = as_terms(list_terms(session, org_id)) if version[0] else ()
        with self._lock:
            self._cached[org_id] = (version, terms)
        return terms
