"""What a manager's correction of a stored segment changes besides its text.

The corrected words are analysed again as if they had been heard so (打七德 corrected to
打七折 is a discount beyond authority): the segment's insights are extracted anew, the rep's
words are scanned anew (a flag the new words raise is stored; an open flag of the segment
the new words no longer raise is withdrawn), and an ended call's summary is written again
from the corrected transcript, unless the rep has edited it. A confirmed call's summary was
filed as it stood and stays so; a call still live or being analysed gets the new text only
(its pipeline writes the summary).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.analysis import build_summary, segment_insights
from copilot.events import FlagPayload
from copilot.insights import merge_insights
from copilot.service.pipeline import Engines
from copilot.service.recorder import load_progress, store_spoken_flags, stored_segment
from copilot.spoken_compliance import rescan_segment
from copilot.store import repo
from copilot.store.flags import STANDING
from copilot.store.models import AuditRecord, Call, Flag
from copilot.store.models import Segment as SegmentRow

logger = logging.getLogger(__name__)
WITHDRAWN = "withdrawn: the corrected transcript no longer says it"
_SETTLED = ("live", "analysing")


@dataclass
class Reanalysis:
    """What the corrected text changed: flags raised and withdrawn (ids), and whether the
    call's summary was written again."""

    reanalysed: bool = False
    raised: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    summary_updated: bool = False


def reanalyse_segment(
    session: Session, engines: Engines, call: Call, row: SegmentRow
) -> Reanalysis:
    """Analyse a corrected segment again, in the caller's transaction."""
    if call.status in _SETTLED:
        return Reanalysis()
    segment = stored_segment(row)
    insights = segment_insights(engines.extractor, segment)
    payload = None if insights.is_empty() else insights.model_dump(mode="json")
    repo.replace_insight(session, call.id, segment.id, payload)

    standing = list(
        session.scalars(
            select(Flag).where(
                Flag.call_id == call.id,
                Flag.segment_id == segment.id,
                Flag.source == "speech",
                STANDING,
            )
        )
    )
    rescan = rescan_segment(engines.scanner, segment, standing)
    new = [FlagPayload(**flag.model_dump(), flag_id=uuid.uuid4().hex) for flag in rescan.new]
    store_spoken_flags(
        session,
        org_id=call.org_id,
        rep_id=call.rep_id,
        call_id=call.id,
        segment=segment,
        flags=new,
    )
    withdrawn = [
        flag.id
        for flag in rescan.gone
        if repo.withdraw_flag(session, flag.id, WITHDRAWN) is not None
    ]
    raised = [flag.flag_id for flag in new if flag.flag_id]
    return Reanalysis(True, raised, withdrawn, _rewrite_summary(session, engines, call))


def _rewrite_summary(session: Session, engines: Engines, call: Call) -> bool:
    if call.status != "ended" or call.summary is None or _edited_by_rep(session, call):
        return False
    segments, records, flags = load_progress(session, call.id)

    def fell_back(_: Exception) -> None:
        logger.warning("call %s: the summary writer failed; the template wrote it", call.id)

    summary = build_summary(
        call.id, segments, call.duration_s, merge_insights(records), flags,
        engines.write_summary, fell_back,
    )  # fmt: skip
    repo.update_call(session, call, summary=summary.model_dump(mode="json"))
    return True


def _edited_by_rep(session: Session, call: Call) -> bool:
    edit = session.scalar(
        select(AuditRecord.id).where(
            AuditRecord.org_id == call.org_id,
            AuditRecord.action == "call.summary_edited",
            AuditRecord.subject_id == call.id,
        )
    )
    return edit is not None
