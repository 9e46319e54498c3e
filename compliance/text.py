"""Text preparation for matching: one normalised string, its map back to the input, and the
clause and sentence boundaries that context windows must not cross.

Normalisation makes rules simpler to write and harder to dodge: full-width forms become
ASCII (``７折`` → ``7折``, ``，`` → ``,``), ASCII letters lower-case, and spaces and
zero-width characters disappear (``转 我 个 人 微 信``, ``138 0013 8000``, ASR output with
stray spaces). Every output character keeps the index of its input character, so flags
point into the text the caller gave us.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Literal

Scope = Literal["clause", "sentence", "text"]

_DROPPED = " \t\r\f\v\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff"
_FOLD: dict[str, str] = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
_FOLD.update({chr(code): chr(code).lower() for code in range(ord("A"), ord("Z") + 1)})
_FOLD.update({chr(ord("Ａ") + i): chr(ord("a") + i) for i in range(26)})  # full-width capitals
_FOLD.update({ch: "" for ch in _DROPPED})
# Most characters of a Chinese message need no change: substituting only the few that do is
# several times faster than str.translate over every character.
_TO_FOLD = re.compile("[" + re.escape("".join(_FOLD)) + "]")
_TO_DROP = re.compile("[" + re.escape(_DROPPED) + "]+")

# Sentences end at these; clauses also at commas, colons and brackets. Context such as
# 「（写在 SLA 里）」 belongs to its sentence, a negation such as 「不能」 only to its clause.
_SENTENCE_END = re.compile(r"[。!?;\n]")
_CLAUSE_END = re.compile(r"[。!?;\n…,、:()【】《》]")
# A window never reaches further than this from its anchor, even in a sentence that never
# ends (a transcript without punctuation): it keeps the work per hit bounded.
MAX_REACH = 120


def normalize(text: str) -> tuple[str, list[int] | None]:
    """The normalised text and, when characters were dropped, each output character's index
    in ``text`` (None means the identity)."""
    normal = _TO_FOLD.sub(lambda m: _FOLD[m.group()], text)
    if len(normal) == len(text):
        return normal, None
    origin: list[int] = []
    kept_from = 0
    for dropped in _TO_DROP.finditer(text):
        origin.extend(range(kept_from, dropped.start()))
        kept_from = dropped.end()
    origin.extend(range(kept_from, len(text)))
    return normal, origin


@dataclass(frozen=True)
class Document:
    """A normalised message with its boundaries; spans here index :attr:`text`."""

    original: str
    text: str
    origin: list[int] | None
    sentence_ends: list[int]
    clause_ends: list[int]
    # Rules ask for the same bounds many times per message (every condition of every hit).
    _bounds_cache: dict[tuple[Scope, int, int], tuple[int, int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def of(cls, original: str) -> Document:
        text, origin = normalize(original)
        return cls(
            original=original,
            text=text,
            origin=origin,
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
        if self.origin is None:
            return start, end
        if start >= end:
            position = self.origin[start] if start < len(self.origin) else len(self.original)
            return position, position
        return self.origin[start], self.origin[end - 1] + 1
