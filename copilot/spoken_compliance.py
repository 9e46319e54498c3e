"""The compliance scanner applied to what the rep says on a call.

Outgoing messages are scanned as they are; spoken words arrive as final transcript
segments, and each flag keeps the segment it came from as its evidence (CONTRACT:
``compliance_flags`` = flag + evidence).
"""

from __future__ import annotations

from collections.abc import Iterable

from compliance import Flag, Scanner
from copilot.insights.models import Evidence
from speech.types import Segment


class SpokenFlag(Flag):
    """A flag raised by something said on a call."""

    evidence: Evidence


def scan_segment(scanner: Scanner, segment: Segment) -> list[SpokenFlag]:
    """Flags in one final segment of the rep; other speakers' words are never flagged
    (a customer saying 「你们保证不延期吗」 is asking, not promising)."""
    if segment.speaker != "rep" or not segment.text.strip():
        return []
    evidence = Evidence(utterance_id=segment.id, text=segment.text)
    return [
        SpokenFlag(**flag.model_dump(), evidence=evidence)
        for flag in scanner.scan(segment.text).flags
    ]


def scan_transcript(scanner: Scanner, segments: Iterable[Segment]) -> list[SpokenFlag]:
    return [flag for segment in segments for flag in scan_segment(scanner, segment)]
