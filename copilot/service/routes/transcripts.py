"""A call's stored transcript, and a manager's correction of it.

``GET /v1/calls/{id}/segments`` lists the persisted segments; ``raw_text`` (the recogniser's
own words where correction or a manager changed them) is shown to managers and admins only,
as an audit of what was heard.

``PATCH /v1/calls/{id}/segments/{segment_id}`` with ``{"text": "…"}`` stores a manager's
correction: the new text, the recogniser's words kept in ``raw_text``, an audit record
(``transcript.corrected``), and the names the correction put in (拥有八 → 用友U8) learned as
terms of the org's vocabulary (copilot/vocabulary_learning.py), which its next calls are
heard with (docs/speech-correction.md, "An organisation's vocabulary"). The corrected words
are analysed again: the segment's insights and flags, and an ended call's summary
(copilot/service/corrections.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, field_validator

from copilot.principal import Principal
from copilot.service.corrections import Reanalysis, reanalyse_segment
from copilot.service.deps import ApiError, Permit, StateDep, call_for
from copilot.service.routes.models import Body
from copilot.store import audit, repo
from copilot.store.models import Segment
from copilot.store.vocabulary import VocabularyTerm, add_terms
from copilot.vocabulary_learning import terms_from_correction

router = APIRouter(tags=["transcripts"])

# Who sees what the recogniser heard before it was corrected (an audit view).
SEES_RAW_TEXT = ("manager", "admin")
MAX_SEGMENT_CHARS = 2000


class SegmentInfo(BaseModel):
    """A stored segment in the CONTRACT's shape (optional keys only when set)."""

    id: str
    start: float
    end: float
    speaker: str
    text: str
    speaker_source: str | None = None
    speaker_confidence: float | None = None
    raw_text: str | None = None


class CorrectedSegment(SegmentInfo):
    # Terms the correction added to the org's vocabulary (empty: none new).
    learned: list[str] = Field(default_factory=list)
    # What the corrected words changed (copilot/service/corrections.py): the segment was
    # analysed again (not while the call is live or being analysed), the flags its new words
    # raise and those they no longer raise (ids), and whether the summary was written again.
    reanalysed: bool = False
    flags_raised: list[str] = Field(default_factory=list)
    flags_withdrawn: list[str] = Field(default_factory=list)
    summary_updated: bool = False


class SegmentEdit(Body):
    text: str = Field(min_length=1, max_length=MAX_SEGMENT_CHARS)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the text cannot be blank")
        return value.strip()


@router.get("/calls/{call_id}/segments", response_model_exclude_none=True)
def list_segments(
    call_id: str,
    principal: Annotated[Principal, Depends(Permit("calls.read"))],
    state: StateDep,
) -> list[SegmentInfo]:
    with state.sessions() as session:
        call = call_for(session, principal, call_id, "calls.read")
        return [segment_info(row, principal) for row in repo.list_segments(session, call.id)]


@router.patch("/calls/{call_id}/segments/{segment_id}", response_model_exclude_none=True)
def correct_segment_text(
    call_id: str,
    segment_id: str,
    body: SegmentEdit,
    principal: Annotated[Principal, Depends(Permit("transcripts.correct"))],
    state: StateDep,
) -> CorrectedSegment:
    # Calls are seen only within the caller's org; its engines load outside the transaction.
    engines = state.engines_for(principal.org_id)
    with state.sessions.begin() as session:
        call = call_for(session, principal, call_id, "transcripts.correct")
        row = repo.get_segment(session, call.id, segment_id)
        if row is None:
            raise ApiError(404, "not_found", "segment not found")
        before = row.text
        learned: list[str] = []
        changed = Reanalysis()
        if body.text != before:
            if row.raw_text is None:
                row.raw_text = before  # what the recogniser heard, kept for audit
            row.text = body.text
            found = terms_from_correction(before, body.text)
            learned = add_terms(
                session,
                call.org_id,
                [VocabularyTerm(term) for term in found],
                source="correction",
                actor=principal,
            )
            detail = {
                "segment_id": segment_id,
                "before": before,
                "after": body.text,
                "learned": learned,
            }
            audit.append(
                session, call.org_id, principal, "transcript.corrected", "call", call.id, detail
            )
            changed = reanalyse_segment(session, engines, call, row)
        info = segment_info(row, principal)
    return CorrectedSegment(
        **info.model_dump(),
        learned=learned,
        reanalysed=changed.reanalysed,
        flags_raised=changed.raised,
        flags_withdrawn=changed.withdrawn,
        summary_updated=changed.summary_updated,
    )


def segment_info(row: Segment, principal: Principal) -> SegmentInfo:
    return SegmentInfo(
        id=row.segment_id,
        start=row.start,
        end=row.end,
        speaker=row.speaker,
        text=row.text,
        speaker_source=row.speaker_source,
        speaker_confidence=row.speaker_confidence,
        raw_text=row.raw_text if principal.role in SEES_RAW_TEXT else None,
    )
