"""An organisation's correction vocabulary: names and terms its calls should be heard with.

Recognised text is corrected towards terms by how they sound (speech/correction/,
docs/speech-correction.md). Besides the shipped sales words and the deployment's vocabulary,
each org keeps its own here: its products, customers, people and vendors, added by hand
(``copilot vocab``) or learned from a manager's correction of a transcript
(``PATCH /v1/calls/{id}/segments/{segment_id}``).

Plain functions over a ``Session`` like the rest of the store: they flush and never commit;
every change is audited in the same transaction. A running service notices changes by
:func:`vocabulary_version` (copilot/service/org_vocabulary.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, get_args

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from copilot.principal import Principal
from copilot.store import audit
from copilot.store.csv_records import UnreadableRecord, csv_records
from copilot.store.errors import InvalidInput, NotFound
from copilot.store.models import Org, OrgVocabulary

Kind = Literal["product", "customer", "person", "vendor", "vocab"]
KINDS: tuple[str, ...] = get_args(Kind)
Source = Literal["manual", "correction"]
SOURCES: tuple[str, ...] = get_args(Source)
# Longer than any product or company name; a sentence is no term.
MAX_TERM_CHARS = 64


@dataclass(frozen=True)
class VocabularyTerm:
    term: str
    kind: Kind = "vocab"


def clean_term(text: str) -> str:
    """The term as stored (surrounding blanks removed); :class:`InvalidInput` when it is
    empty, too long, spans lines or holds NUL (which PostgreSQL's text cannot)."""
    term = text.strip()
    if not term:
        raise InvalidInput("a term cannot be empty")
    if len(term) > MAX_TERM_CHARS:
        raise InvalidInput(
            f"term {term[:20]!r}… is {len(term)} characters; at most {MAX_TERM_CHARS}"
        )
    if any(char in term for char in "\r\n\t\x00"):
        raise InvalidInput(f"term {term!r} holds a line break, tab or NUL")
    return term


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return kind  # type: ignore[return-value]


# --- reading -------------------------------------------------------------------------------


def list_terms(session: Session, org_id: str) -> list[OrgVocabulary]:
    """By kind, then term, in code-point order (the same on both databases, whose collations
    of Chinese differ)."""
    rows = session.scalars(select(OrgVocabulary).where(OrgVocabulary.org_id == org_id))
    return sorted(rows, key=lambda row: (row.kind, row.term))


def vocabulary_version(session: Session, org_id: str) -> tuple[int, datetime | None]:
    """What changes whenever the org's vocabulary does: how many terms and the newest one's
    time (an addition raises the time, a removal lowers the count). One indexed query."""
    count, newest = session.execute(
        select(func.count(OrgVocabulary.id), func.max(OrgVocabulary.created_at)).where(
            OrgVocabulary.org_id == org_id
        )
    ).one()
    return int(count), newest


# --- changing it ---------------------------------------------------------------------------


def add_terms(
    session: Session,
    org_id: str,
    terms: Sequence[VocabularyTerm],
    *,
    source: Source = "manual",
    actor: Principal | None = None,
) -> list[str]:
    """Add the terms; one the org has already is kept as it is (no error). The terms that
    were new, in order."""
    _require_org(session, org_id)
    if source not in SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    wanted: dict[str, Kind] = {}
    for item in terms:
        wanted.setdefault(clean_term(item.term), check_kind(item.kind))
    if not wanted:
        return []
    known = set(
        session.scalars(
            select(OrgVocabulary.term).where(
                OrgVocabulary.org_id == org_id, OrgVocabulary.term.in_(list(wanted))
            )
        )
    )
    new = [term for term in wanted if term not in known]
    session.add_all(
        OrgVocabulary(
            org_id=org_id,
            term=term,
            kind=wanted[term],
            source=source,
            created_by=actor.user_id if actor is not None else None,
        )
        for term in new
    )
    session.flush()
    if new:
        detail = {"terms": new, "source": source}
        audit.append(session, org_id, actor, "org.vocabulary.added", "org", org_id, detail)
    return new


def remove_terms(
    session: Session, org_id: str, terms: Iterable[str], *, actor: Principal | None = None
) -> None:
    """Remove terms; :class:`NotFound` naming those the org does not have (nothing removed)."""
    _require_org(session, org_id)
    names = list(dict.fromkeys(term.strip() for term in terms))
    known = set(
        session.scalars(
            select(OrgVocabulary.term).where(
                OrgVocabulary.org_id == org_id, OrgVocabulary.term.in_(names)
            )
        )
    )
    missing = [name for name in names if name not in known]
    if missing:
        raise NotFound(f"org {org_id} has no term {', '.join(missing)}")
    session.execute(
        delete(OrgVocabulary).where(OrgVocabulary.org_id == org_id, OrgVocabulary.term.in_(names))
    )
    audit.append(session, org_id, actor, "org.vocabulary.removed", "org", org_id, {"terms": names})


# --- files ---------------------------------------------------------------------------------


def read_terms_file(path: Path) -> list[VocabularyTerm]:
    """The terms of a file: one per line, or CSV ``term,kind``; blank lines and ``#``
    comments are skipped. :class:`InvalidInput` listing every bad line (nothing is read)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read ({exc})") from None
    terms: list[VocabularyTerm] = []
    problems: list[str] = []
    try:
        for line_no, row in csv_records(text):
            cells = [cell.strip() for cell in row]
            if not cells or not any(cells) or cells[0].startswith("#"):
                continue
            try:
                if len(cells) > 2:
                    raise InvalidInput(f"{len(cells)} columns; expected term or term,kind")
                kind = check_kind(cells[1]) if len(cells) == 2 and cells[1] else "vocab"
                terms.append(VocabularyTerm(clean_term(cells[0]), kind))
            except InvalidInput as exc:
                problems.append(f"{path}:{line_no}: {exc}")
    except UnreadableRecord as exc:  # a record the csv module cannot read ends the file
        problems.append(f"{path}:{exc.line}: {exc.reason}")
    if problems:
        listed = "\n".join(problems)
        raise InvalidInput(f"{len(problems)} problem(s), nothing stored:\n{listed}")
    if not terms:
        raise InvalidInput(f"{path}: no terms")
    return terms


def _require_org(session: Session, org_id: str) -> None:
    if session.get(Org, org_id) is None:
        raise NotFound(f"no org {org_id!r}")
