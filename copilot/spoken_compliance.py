"""The compliance scanner applied to what the rep says on a call.

Outgoing messages are scanned as they are; spoken words arrive as final transcript
segments, and each flag keeps the segment it came from as its evidence (CONTRACT:
``compliance_flags`` = flag + evidence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Generic, NamedTuple, Protocol, TypeVar

from pypinyin import lazy_pinyin

from compliance import Flag, Scanner
from copilot.insights.models import Evidence
from speech.correction.numbers import NUMERAL_SOUNDS
from speech.types import Segment


class SpokenFlag(Flag):
    """A flag raised by something said on a call."""

    evidence: Evidence


# A discount's number (十折 is none): the speech library's table of numeral sounds.
_NUMBER_SOUNDS = {sound: digit for sound, digit in NUMERAL_SOUNDS.items() if digit != "十"}
_DISCOUNT_VERB = re.compile("打(?:个|到)?$")


def repair_misheard_discounts(text: str) -> str:
    """Discounts as speech recognition mishears them, written back: 「打个舞者」 → 「打个五折」.

    Only after 打 and only for a number sound followed by the sound of 折, so ordinary words
    stay; the length never changes, so flag offsets still point into the original text."""
    chars = list(text)
    for i in range(1, len(chars) - 1):
        if chars[i + 1] == "折" and chars[i] in _NUMBER_SOUNDS.values():
            continue
        number = _NUMBER_SOUNDS.get(lazy_pinyin(chars[i])[0])
        if number and lazy_pinyin(chars[i + 1])[0] == "zhe" and _DISCOUNT_VERB.search(text[:i]):
            chars[i], chars[i + 1] = number, "折"
    return "".join(chars)


# Words of a seller to a buyer: an offer (给您, 帮您), reassurance (您放心), the seller's
# company and claims for it (我们公司, 我们是行业唯一), a side deal (私下). Customers say them
# rarely: 3 of 11,260 customer lines in the corpus that the scanner flags hold one.
_SELLERS_WORDS = re.compile(
    r"给您|折给你|帮您|您放心|我们公司|我们是.{0,15}(?:唯一|第一家|最好|最大|最专业|最低|最全)"
    r"|私下|没有之一"
    # Warning the customer off a rival (您千万别跟他们签): only the seller does.
    r"|您千万别|千万别(?:跟|信|选|签|用|找)他们|别上(?:他们的)?当"
)


def scan_segment(scanner: Scanner, segment: Segment) -> list[SpokenFlag]:
    """Flags in one final segment of the rep; other speakers' words are never flagged
    (a customer saying 「你们保证不延期吗」 is asking, not promising). On a mono recording the
    speaker is inferred from the voice and can be wrong: a segment given to the customer, or
    left ``unknown`` when the words did not tell the voices apart, is scanned too, and its
    flags kept when it speaks as a seller (按六折给您, 返点给您个人)."""
    text = segment.text
    if not text.strip() or not _said_by_rep(segment):
        return []
    evidence = Evidence(utterance_id=segment.id, text=text)
    return [
        SpokenFlag(**flag.model_dump(), evidence=evidence)
        for flag in scanner.scan(repair_misheard_discounts(text)).flags
    ]


def _said_by_rep(segment: Segment) -> bool:
    """The rep's segment, or one of a mono recording that the diariser gave the customer or
    nobody and that speaks as a seller."""
    if segment.speaker == "rep":
        return True
    inferred_customer = segment.speaker == "customer" and segment.speaker_source == "inferred"
    undecided = segment.speaker == "unknown"
    return (inferred_customer or undecided) and _SELLERS_WORDS.search(segment.text) is not None


class RaisedFlag(Protocol):
    """A flag already raised on a segment, as the service holds it (a payload or a row)."""

    @property
    def rule_id(self) -> str: ...

    @property
    def match(self) -> str: ...


Standing = TypeVar("Standing", bound=RaisedFlag)


class Rescan(NamedTuple, Generic[Standing]):
    """A segment scanned again: the flags it raises that were not standing, the standing
    flags it still raises and those it no longer raises."""

    new: list[SpokenFlag]
    kept: list[Standing]
    gone: list[Standing]


def rescan_segment(
    scanner: Scanner, segment: Segment, standing: Sequence[Standing]
) -> Rescan[Standing]:
    """Scan a segment again against the flags already raised on it after its speaker or
    words changed. The same rule on the same words still stands wherever in the text they
    moved."""
    found = scan_segment(scanner, segment)
    raised = {_same_flag(flag) for flag in found}
    known = {_same_flag(flag) for flag in standing}
    return Rescan(
        new=[flag for flag in found if _same_flag(flag) not in known],
        kept=[flag for flag in standing if _same_flag(flag) in raised],
        gone=[flag for flag in standing if _same_flag(flag) not in raised],
    )


def _same_flag(flag: RaisedFlag) -> tuple[str, str]:
    """What makes two flags of a segment the same one: the rule and the words it matched."""
    return flag.rule_id, flag.match


def scan_transcript(scanner: Scanner, segments: Iterable[Segment]) -> list[SpokenFlag]:
    return [flag for segment in segments for flag in scan_segment(scanner, segment)]
