"""Compliance flags: stored as they are raised, reviewed by managers, overridden by reps.

Every change of a flag writes its audit record in the same transaction (DESIGN: "every
flag, override and edit is an append-only record"), so callers must not audit them again.

A flag keeps only a window of the scanned text around its match (:func:`context_window`): a
compliance scan of a 255 KB message used to store the whole message once per flag. Personal
numbers in the window are kept (an admin's audited reveal shows them) until retention or an
erasure request masks them; the audit records get keyed references instead (``audit.append``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy.orm import Session

from compliance.models import Flag as ScannedFlag
from copilot.principal import Principal
from copilot.privacy import find_pii
from copilot.store import audit
from copilot.store.errors import Conflict, InvalidInput, NotFound
from copilot.store.models import Flag, User, utcnow
from copilot.store.visibility import visible_flags_query

# withdrawn: the service took back a flag it raised (its words turned out to be the
# customer's, or a manager corrected the transcript): nobody acts on it any more.
FlagStatus = Literal["open", "acknowledged", "resolved", "overridden", "withdrawn"]
FLAG_STATUSES: tuple[str, ...] = get_args(FlagStatus)
# Flags that still stand: everything but those the service took back. Counts, summaries and
# resumed calls look only at these.
STANDING = Flag.status != "withdrawn"
FLAG_SOURCES = ("speech", "message")
# Which status may follow which. A rep overrides an open flag ("sent anyway"); a manager
# acknowledges and resolves, overridden ones included. Resolved is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "resolved", "overridden"}),
    "overridden": frozenset({"acknowledged", "resolved"}),
    "acknowledged": frozenset({"resolved"}),
    "resolved": frozenset(),
    "withdrawn": frozenset(),
}
# A manager's ruling on a flag; each becomes a labelled example of the org (store/labels.py).
Verdict = Literal["violation", "not_violation"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
# Characters of the scanned text kept either side of a flag's match.
CONTEXT_CHARS = 200


def context_window(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> tuple[int, int]:
    """The ``[lo, hi)`` of ``text`` a flag keeps: up to ``chars`` either side of the match.

    A personal number that a cut would split is left out whole: half a phone number is no
    longer recognised as one, so it could not be masked on display.
    """
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    lo, hi = max(0, start - chars), min(len(text), end + chars)
    if lo == 0 and hi == len(text):
        return lo, hi
    for span in find_pii(text[max(0, lo - 40) : hi + 40]):
        span_start, span_end = span.start + max(0, lo - 40), span.end + max(0, lo - 40)
        if span_start < lo < span_end:
            lo = min(span_end, start)
        if span_start < hi < span_end:
            hi = max(span_start, end)
    return lo, hi


def add_flag(
    session: Session,
    *,
    org_id: str,
    rep_id: str,
    source: str,
    text: str,
    rule_id: str,
    category: str,
    severity: str,
    start: int,
    end: int,
    match: str,
    suggestion: str = "",
    call_id: str | None = None,
    segment_id: str | None = None,
    flag_id: str | None = None,
    actor: Principal | None = None,
    channel: str | None = None,
    detected_by: str | None = None,
    confidence: float | None = None,
) -> Flag:
    """Store a flag (audited as ``flag.created``; ``actor`` None: raised by the service).

    ``start``/``end`` index ``text``; the flag keeps a window of it, with offsets rebased
    into the window. ``flag_id`` lets the pipeline name the flag in the event it already
    sent."""
    if source not in FLAG_SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(FLAG_SOURCES)}, not {source!r}")
    rep = session.get(User, rep_id)
    if rep is None or rep.org_id != org_id:
        raise InvalidInput(f"user {rep_id!r} is not a member of org {org_id}")
    lo, hi = context_window(text, start, end)
    flag = Flag(
        org_id=org_id,
        rep_id=rep_id,
        call_id=call_id,
        segment_id=segment_id,
        source=source,
        text=text[lo:hi],
        text_offset=lo,
        text_chars=len(text),
        rule_id=rule_id,
        category=category,
        severity=severity,
        start=start - lo,
        end=end - lo,
        match=match,
        suggestion=suggestion,
        status="open",
        detected_by=detected_by,
        confidence=confidence,
    )
    if flag_id is not None:
        flag.id = flag_id
    session.add(flag)
    session.flush()
    audit.append(
        session,
        org_id,
        actor,
        "flag.created",
        "flag",
        flag.id,
        {
            "rule_id": rule_id,
            "severity": severity,
            "category": category,
            "call_id": call_id,
            "source": source,
            "match": match,
            "channel": channel,
        },
    )
    return flag


def add_message_flags(
    session: Session,
    principal: Principal,
    flags: Sequence[ScannedFlag],
    text: str,
    call_id: str | None = None,
    channel: str | None = None,
    rep_id: str | None = None,
) -> list[str]:
    """Store the flags a scan found in an outgoing message of ``rep_id`` (default: the
    principal's own; the principal is recorded as who stored them); their ids."""
    rows = [
        add_scanned_flag(
            session,
            flag,
            org_id=principal.org_id,
            rep_id=rep_id or principal.user_id,
            source="message",
            text=text,
            call_id=call_id,
            actor=principal,
            channel=channel,
        )
        for flag in flags
    ]
    return [row.id for row in rows]


def add_scanned_flag(
    session: Session,
    flag: ScannedFlag,
    *,
    org_id: str,
    rep_id: str,
    source: str,
    text: str,
    call_id: str | None = None,
    segment_id: str | None = None,
    flag_id: str | None = None,
    actor: Principal | None = None,
    channel: str | None = None,
) -> Flag:
    """:func:`add_flag` for a flag the scanner found in ``text``: its rule, span, words,
    suggestion and how it was found come from ``flag``."""
    return add_flag(
        session,
        org_id=org_id,
        rep_id=rep_id,
        source=source,
        text=text,
        rule_id=flag.rule_id,
        category=flag.category,
        severity=flag.severity,
        start=flag.start,
        end=flag.end,
        match=flag.match,
        suggestion=flag.suggestion,
        call_id=call_id,
        segment_id=segment_id,
        flag_id=flag_id,
        actor=actor,
        channel=channel,
        detected_by=flag.source,
        confidence=flag.confidence,
    )


def get_flag(session: Session, principal: Principal, flag_id: str) -> Flag | None:
    """The flag if the principal may see it; None when missing or not theirs alike."""
    return session.scalar(visible_flags_query(principal).where(Flag.id == flag_id))


def list_flags(
    session: Session,
    principal: Principal,
    *,
    rep_id: str | None = None,
    category: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    call_id: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[Flag]:
    """The principal's visible flags matching every given filter, newest first
    (``since`` inclusive, ``until`` exclusive)."""
    query = visible_flags_query(principal)
    if rep_id is not None:
        query = query.where(Flag.rep_id == rep_id)
    if category is not None:
        query = query.where(Flag.category == category)
    if severity is not None:
        query = query.where(Flag.severity == severity)
    if status is not None:
        query = query.where(Flag.status == status)
    if since is not None:
        query = query.where(Flag.created_at >= since)
    if until is not None:
        query = query.where(Flag.created_at < until)
    if call_id is not None:
        query = query.where(Flag.call_id == call_id)
    query = query.order_by(Flag.created_at.desc(), Flag.id).limit(limit).offset(offset)
    return list(session.scalars(query))


def set_flag_status(
    session: Session,
    principal: Principal,
    flag_id: str,
    status: FlagStatus,
    comment: str | None = None,
    *,
    now: datetime | None = None,
) -> Flag:
    """Move a visible flag to ``status`` with the actor's comment; audited as
    ``flag.<status>``. Role checks (who may acknowledge) are the caller's.

    ``overridden`` needs the reason as ``comment``; an impossible step raises
    :class:`Conflict`, an unseen flag :class:`NotFound`.
    """
    if status not in FLAG_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(FLAG_STATUSES)}, not {status!r}")
    flag = get_flag(session, principal, flag_id)
    if flag is None:
        raise NotFound(f"no flag {flag_id!r}")
    if status not in TRANSITIONS[flag.status]:
        raise Conflict(f"flag {flag_id} is {flag.status}; it cannot become {status}")
    comment = (comment or "").strip() or None
    if status == "overridden":
        if comment is None:
            raise InvalidInput("overriding a flag needs a reason")
        flag.override_reason = comment
    else:
        flag.status_comment = comment
    previous = flag.status
    flag.status = status
    flag.updated_at = now or utcnow()
    session.flush()
    audit.append(
        session,
        flag.org_id,
        principal,
        f"flag.{status}",
        "flag",
        flag.id,
        {"from": previous, "comment": comment},
        now=now,
    )
    return flag


def withdraw_flag(session: Session, flag_id: str, reason: str) -> Flag | None:
    """The service takes back a flag it raised: an open flag becomes ``withdrawn`` with
    ``reason``, audited as ``flag.withdrawn`` (no verdict, so no labelled example). One
    somebody already handled stays as they left it; a missing one is None."""
    flag = session.get(Flag, flag_id)
    if flag is None or flag.status != "open":
        return None
    flag.status = "withdrawn"
    flag.status_comment = reason
    flag.updated_at = utcnow()
    session.flush()
    audit.append(session, flag.org_id, None, "flag.withdrawn", "flag", flag.id, {"comment": reason})
    return flag


def override_flags(
    session: Session, principal: Principal, flag_ids: Sequence[str], reason: str
) -> list[Flag]:
    """The rep sent the message anyway: every flag → ``overridden`` with the reason.
    All or nothing: one unseen or already-handled flag fails the lot."""
    return [set_flag_status(session, principal, fid, "overridden", reason) for fid in flag_ids]


def reveal_flag(
    session: Session, principal: Principal, flag_id: str, *, channel: str | None = None
) -> Flag | None:
    """The visible flag for showing unmasked, with the showing audited as ``flag.revealed``
    (None when missing or not theirs). Only admins may ask: the role check is the caller's,
    as for reviews."""
    flag = get_flag(session, principal, flag_id)
    if flag is None:
        return None
    audit.append(
        session, flag.org_id, principal, "flag.revealed", "flag", flag.id, {"channel": channel}
    )
    return flag


def set_flag_verdict(
    session: Session,
    principal: Principal,
    flag_id: str,
    verdict: Verdict,
    comment: str | None = None,
) -> Flag:
    """Rule on a visible flag: a violation or not (audited as ``flag.verdict``); an open or
    acknowledged flag is resolved with it. A flag is ruled on once (:class:`Conflict`);
    role checks are the caller's."""
    if verdict not in VERDICTS:
        raise InvalidInput(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
    flag = get_flag(session, principal, flag_id)
    if flag is None:
        raise NotFound(f"no flag {flag_id!r}")
    if flag.verdict is not None:
        raise Conflict(f"flag {flag_id} was already ruled {flag.verdict}")
    if "resolved" in TRANSITIONS[flag.status]:
        set_flag_status(session, principal, flag_id, "resolved", comment)
    flag.verdict = verdict
    flag.updated_at = utcnow()
    session.flush()
    audit.append(
        session,
        flag.org_id,
        principal,
        "flag.verdict",
        "flag",
        flag.id,
        {"verdict": verdict, "category": flag.category, "detected_by": flag.detected_by},
    )
    return flag
