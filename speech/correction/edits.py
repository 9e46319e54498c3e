"""What a correction did: records that travel with the corrected text."""

from __future__ import annotations

from dataclasses import dataclass, field

from speech.correction.data import TermKind


@dataclass(frozen=True)
class Edit:
    """``raw[start:end]`` (offsets in the recognised text) became ``replacement``."""

    start: int
    end: int
    raw: str
    replacement: str
    term_kind: TermKind | None
    confidence: float

    def __str__(self) -> str:
        return f"{self.raw}→{self.replacement} ({self.term_kind}, {self.confidence:.2f})"


@dataclass(frozen=True)
class Corrected:
    """The corrected text, the recogniser's own, and the edits between them."""

    text: str
    raw_text: str
    edits: list[Edit] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.text != self.raw_text


def apply(raw: str, candidates: list[Edit]) -> Corrected:
    """The most confident edits that do not overlap, applied right to left."""
    chosen: list[Edit] = []
    for edit in sorted(candidates, key=lambda e: (-e.confidence, -(e.end - e.start), e.start)):
        if all(edit.end <= c.start or edit.start >= c.end for c in chosen):
            chosen.append(edit)
    chosen.sort(key=lambda e: e.start)
    text = raw
    for edit in reversed(chosen):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return Corrected(text, raw, chosen)
