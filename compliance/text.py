"""Text preparation for matching: one normalised string, its map back to the input, and the
clause and sentence boundaries that context windows must not cross.

Normalisation (:mod:`compliance.normalize`) makes rules simpler to write and harder to
dodge: full-width forms become ASCII (``７折`` → ``7折``, ``，`` → ``,``), Latin letters
lower-case, traditional characters simplified, spaces, emoji and in-word punctuation
disappear (``转 我 个 人 微 信``, ``保-证``), vx/zfb become 微信/支付宝. Every output
character keeps the index of its input character, so flags point into the text the caller
gave us.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Literal

from compliance.normalize import Normalized
from compliance.normalize import normalize as canonical

Scope = Literal["clause", "sentence", "text"]

# Sentences end at these; clauses also at commas, colons and brackets. Context such as
# 「（写在 SLA 里）」 belongs to its sentence, a negation such as 「不能」 only to its clause.
_SENTENCE_END = re.compile(r"[。!?;\n]")
_CLAUSE_END = re.compile(r"[。!?;\n…,、:()【】《》]")
# A window never reaches further than this from its anchor, even in a sentence that never
# ends (a transcript without punctuation): it keeps the work per hit bounded.
MAX_REACH = 120


def normalize(text: str) -> tuple[str, list[int] | None]:
    """The canonical text (:func:`compliance.normalize.normalize`) and each output
    character's index in ``text`` (None means the identity)."""
    normal = canonical(text)
    return normal.text, normal.origin


@dataclass(frozen=True)
class Document:
    """A normalised message with its boundaries; spans here index :attr:`text`."""

    original: str
    text: str
    normalized: Normalized
    sentence_ends: list[int]
    clause_ends: list[int]
    # Rules ask for the same bounds many times per message (every condition of every hit).
    _bounds_cache: dict[tuple[Scope, int, int], tuple[int, int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, original: str) -> Document:
        normal = canonical(original)
        text = normal.text
        return cls(
            original=original,
            text=text,
            normalized=normal,
            sentence_ends=[m.start() for m in _SENTENCE_END.finditer(text)],
            clause_ends=[m.start() for m in _CLAUSE_END.finditer(text)],
        )

    def bounds(self, scope: Scope, start: int, end: int) -> tuple[int, int]:
        """The clause, sentence or whole text around ``[start, end)``, at most
        :data:`MAX_REACH` characters either side."""
        key = (scope, start, end)
        cached = self._bounds_cache.get(key)
        if cached is not None:
            return cached
        if scope == "text":
            lo, hi = 0, len(self.text)
        else:
            ends = self.clause_ends if scope == "clause" else self.sentence_ends
            before = bisect_left(ends, start)  # boundaries strictly before start
            lo = ends[before - 1] + 1 if before else 0
            after = bisect_right(ends, max(start, end - 1))
            hi = ends[after] if after < len(ends) else len(self.text)
        result = (max(lo, start - MAX_REACH), min(hi, end + MAX_REACH))
        self._bounds_cache[key] = result
        return result

    def sentence_of(self, position: int) -> int:
        """The index of the sentence holding ``position``."""
        return bisect_left(self.sentence_ends, position)

    def sentence_span(self, index: int) -> tuple[int, int]:
        lo = self.sentence_ends[index - 1] + 1 if index else 0
        hi = self.sentence_ends[index] if index < len(self.sentence_ends) else len(self.text)
        return lo, hi

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the normalised text back onto the original text."""
        return self.normalized.to_original(start, end)
