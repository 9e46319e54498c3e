"""Retention: delete recordings, transcripts and message texts older than an org keeps them.

What goes, for calls started before the cutoff: the transcript (segments), the insights, the
event log (which repeats both), delivered CRM webhooks (copies of the summary), the quoted
words behind scorecard items and follow-ups; personal numbers in the summary, in scorecard
disputes and in follow-up subjects are masked. Flags raised before the cutoff lose the message or
transcript window they kept (the match stays, masked), as do their free-text comments. The
flag rows themselves, their review state and the audit trail stay: the audit trail holds no
personal numbers (keyed references only), so it never needs erasing and its chain stays
whole. Each org's purge is itself one audit record with counts and no content.

:func:`erase_number` answers a data subject's erasure request before the cutoff: one number
masked everywhere in the org.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from copilot.principal import Principal
from copilot.privacy import (
    find_pii,
    map_json_strings,
    mask_json,
    mask_text,
    mask_value,
    pii_key,
    pii_ref,
)
from copilot.store import audit
from copilot.store import recordings as kept_recordings
from copilot.store.errors import InvalidInput
from copilot.store.models import (
    Call,
    CallEvent,
    CrmOutbox,
    Flag,
    FollowUp,
    InsightRecord,
    Org,
    OrgLabel,
    ScorecardResult,
    Segment,
    utcnow,
)

# Calls still streaming or being analysed are never purged, however old.
_BUSY = ("live", "analysing")


@dataclass
class PurgeCounts:
    """What a purge removed (or, dry, would remove) in one org."""

    calls: int = 0
    recordings: int = 0
    segments: int = 0
    insights: int = 0
    events: int = 0
    crm_webhooks: int = 0
    flags: int = 0

    def total(self) -> int:
        return sum(asdict(self).values())


def retention_days(org: Org, default: int) -> int:
    """The org's policy (``retention_days``), else the service default."""
    value = (org.policy or {}).get("retention_days")
    return int(value) if isinstance(value, int) and value > 0 else default


def _count(session: Session, model: type[object], *where: object) -> int:
    query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
    return int(session.scalar(query) or 0)


def purge_org(
    session: Session,
    org_id: str,
    cutoff: datetime,
    *,
    dry_run: bool = False,
    actor: Principal | None = None,
    older_than_days: int | None = None,
    upload_root: Path | None = None,
) -> PurgeCounts:
    """Purge the org's content from before ``cutoff``; audited as ``data.purged`` unless
    ``dry_run`` (then nothing changes and the counts say what would go).

    ``upload_root``: the service's upload directory, where a recording whose analysis
    never finished may remain (named after its call)."""
    call_ids = select(Call.id).where(
        Call.org_id == org_id,
        Call.started_at < cutoff,
        Call.purged_at.is_(None),
        Call.status.not_in(_BUSY),
    )
    ids = set(session.scalars(call_ids))
    recordings = _recordings(upload_root, ids)
    # Kept recordings (the org's keep_recordings) go at their own, possibly shorter, period.
    org = session.get(Org, org_id)
    kept = kept_recordings.expired_recordings(
        session,
        org_id,
        kept_recordings.recording_cutoff(org.policy if org else None, cutoff, utcnow()),
    )
    counts = PurgeCounts(
        calls=len(ids),
        recordings=len(recordings) + len(kept),
        segments=_count(session, Segment, Segment.call_id.in_(call_ids)),
        insights=_count(session, InsightRecord, InsightRecord.call_id.in_(call_ids)),
        events=_count(session, CallEvent, CallEvent.call_id.in_(call_ids)),
    )
    outbox_done = (
        CrmOutbox.org_id == org_id,
        CrmOutbox.created_at < cutoff,
        CrmOutbox.status.in_(("delivered", "dead")),
    )
    counts.crm_webhooks = _count(session, CrmOutbox, *outbox_done)
    old_flags = (Flag.org_id == org_id, Flag.created_at < cutoff, Flag.redacted_at.is_(None))
    counts.flags = _count(session, Flag, *old_flags)
    if dry_run:
        return counts
    now = utcnow()
    for model, column in (
        (Segment, Segment.call_id),
        (InsightRecord, InsightRecord.call_id),
        (CallEvent, CallEvent.call_id),
    ):
        session.execute(delete(model).where(column.in_(call_ids)))
    session.execute(delete(CrmOutbox).where(*outbox_done))
    for call in session.scalars(select(Call).where(Call.id.in_(sorted(ids)))):
        call.summary = mask_json(call.summary) if call.summary is not None else None
        call.purged_at = now
    for result in session.scalars(
        # By id: the calls are marked purged above, so ``call_ids`` no longer selects them.
        select(ScorecardResult).where(ScorecardResult.call_id.in_(sorted(ids)))
    ):
        # The card's pass/fail and its dispute history stay; the quoted words go.
        result.evidence_text = None
        result.evidence_segment_id = None
        result.dispute_reason = mask_text(result.dispute_reason) or None
        result.decision_comment = mask_text(result.decision_comment) or None
    for task in session.scalars(select(FollowUp).where(FollowUp.call_id.in_(sorted(ids)))):
        task.evidence = ""
        task.subject = mask_text(task.subject)
    for flag in session.scalars(select(Flag).where(*old_flags)):
        flag.text = ""
        flag.start = flag.end = 0
        flag.match = mask_text(flag.match)
        flag.override_reason = mask_text(flag.override_reason) or None
        flag.status_comment = mask_text(flag.status_comment) or None
        flag.redacted_at = now
    session.flush()
    for path in recordings:
        path.unlink(missing_ok=True)
    kept_root = kept_recordings.recordings_root(upload_root) if upload_root else None
    kept_recordings.forget(kept_root, kept)
    session.flush()
    audit.append(
        session,
        org_id,
        actor,
        "data.purged",
        "org",
        org_id,
        {**asdict(counts), "cutoff": cutoff.isoformat(), "older_than_days": older_than_days},
    )
    return counts


def _recordings(upload_root: Path | None, call_ids: set[str]) -> list[Path]:
    """Uploaded recordings of these calls still on disk (``<call id><suffix>[.part]``)."""
    if upload_root is None or not upload_root.is_dir():
        return []
    return [
        path
        for path in upload_root.iterdir()
        if path.is_file() and path.name.split(".")[0] in call_ids
    ]


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


# --- erasure requests -------------------------------------------------------------------


def _mask_number(value: Any, digits: str) -> Any:
    """``value`` (text or JSON) with the personal number ``digits`` masked wherever it is."""

    def mask(text: str) -> str:
        spans = [s for s in find_pii(text) if _digits_of(s.value(text)) == digits]
        for span in spans:
            masked = mask_value(span.kind, span.value(text))
            text = text[: span.start] + masked + text[span.end :]  # same length: spans hold
        return text

    return map_json_strings(value, mask)


def _digits_of(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() or ch in "xX").upper()


def erase_number(
    session: Session, org_id: str, number: str, *, actor: Principal | None = None
) -> int:
    """A data subject's erasure request: mask ``number`` (a phone, ID or card number) in
    every flag, transcript, insight, event, summary and webhook of the org; how many rows
    changed. Audited as ``data.erased`` with the number's keyed reference, never the number."""
    spans = find_pii(number)
    if len(spans) != 1:
        raise InvalidInput(f"{number!r} is not one phone, ID-card or bank-card number")
    digits = _digits_of(spans[0].value(number))
    # The last four digits are never split by a separator: a cheap SQL filter first.
    hint = f"%{digits[-4:]}%"
    calls = select(Call.id).where(Call.org_id == org_id)
    targets: list[tuple[Any, tuple[Any, ...], tuple[str, ...]]] = [
        (Flag, (Flag.org_id == org_id,), ("text", "match", "override_reason", "status_comment")),
        (Segment, (Segment.call_id.in_(calls),), ("text",)),
        (InsightRecord, (InsightRecord.call_id.in_(calls),), ("payload",)),
        (CallEvent, (CallEvent.call_id.in_(calls),), ("payload",)),
        (Call, (Call.org_id == org_id,), ("summary",)),
        (CrmOutbox, (CrmOutbox.org_id == org_id,), ("payload",)),
        (OrgLabel, (OrgLabel.org_id == org_id,), ("text",)),
        (
            ScorecardResult,
            (ScorecardResult.org_id == org_id,),
            ("evidence_text", "dispute_reason", "decision_comment"),
        ),
        (FollowUp, (FollowUp.org_id == org_id,), ("subject", "evidence")),
    ]
    changed = 0
    for model, where, columns in targets:
        near = or_(*(cast(getattr(model, c), Text).like(hint) for c in columns))
        for row in session.scalars(select(model).where(*where, near)):
            touched = False
            for column in columns:
                old = getattr(row, column)
                new = _mask_number(old, digits)
                if new != old:
                    setattr(row, column, new)
                    touched = True
            changed += touched
    session.flush()
    audit.append(
        session,
        org_id,
        actor,
        "data.erased",
        "org",
        org_id,
        {"subject": pii_ref(spans[0].kind, digits, pii_key()), "rows": changed},
    )
    return changed
