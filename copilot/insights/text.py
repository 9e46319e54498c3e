"""Text helpers shared by the extractors: normalisation, clauses, sentences, negation."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# Clause and sentence ends. 「、」 separates list items inside a clause and 「.」 is a decimal
# point (1.2M), so neither ends anything.
CLAUSE_BREAKS = "，,。！？!?；;\n…"
SENTENCE_BREAKS = "。！？!?；;\n"
# `~` in lexicon patterns: any character that stays inside the clause.
IN_CLAUSE = f"[^{re.escape(CLAUSE_BREAKS)}]"

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
# Speech recognition sometimes spaces out Chinese (销 售 易) or digits and units (80 万).
_SPACE_INSIDE_CJK = re.compile(
    rf"(?<=[{_CJK}\d])[ \t\u3000]+(?=[{_CJK}])|(?<=[{_CJK}])[ \t\u3000]+(?=\d)"
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Full-width letters and digits (６０万, ＣＲＭ) to ASCII; punctuation stays as it is because
# evidence quotes the customer's words.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF5B) if chr(code).isalnum()}


def normalize(text: str) -> str:
    return _SPACE_INSIDE_CJK.sub("", text.translate(_FULL_WIDTH)).strip()


def normalize_marking_pauses(text: str) -> tuple[str, frozenset[int]]:
    """:func:`normalize`, and the positions in its result where a space stood between two
    runs of two or more Chinese characters: a pause in a transcript (天才商龙 门店), where
    words end, unlike the spaces of 销 售 易."""
    text = text.translate(_FULL_WIDTH)
    lead = len(text) - len(text.lstrip())
    out: list[str] = []
    pauses: set[int] = set()
    kept = lead
    for match in _SPACE_INSIDE_CJK.finditer(text):
        out.append(text[kept : match.start()])
        if _run(text, match.start(), -1) >= 2 and _run(text, match.end(), 1) >= 2:
            pauses.add(sum(map(len, out)))
        kept = match.end()
    out.append(text[kept:])
    normal = "".join(out)
    stripped = normal.strip()
    return stripped, frozenset(p for p in pauses if 0 < p < len(stripped))


def _run(text: str, at: int, step: int) -> int:
    """How many Chinese characters run from ``at`` (leftwards from ``at - 1`` when ``step``
    is -1)."""
    count, i = 0, at - 1 if step < 0 else at
    while 0 <= i < len(text) and _CJK_CHAR.match(text[i]):
        count += 1
        i += step
    return count


def expand(pattern: str) -> str:
    """A lexicon pattern as a regular expression (`~` -> any character of the clause)."""
    return pattern.replace("~", IN_CLAUSE)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


class Segmenter:
    """Clause and sentence boundaries of one text, found once and looked up by position."""

    def __init__(self, text: str, pauses: frozenset[int] = frozenset()) -> None:
        self.text = text
        # Where a transcript paused between words (normalize_marking_pauses).
        self.pauses = pauses
        self._clause_ends = [i for i, ch in enumerate(text) if ch in CLAUSE_BREAKS]
        self._sentence_ends = [i for i, ch in enumerate(text) if ch in SENTENCE_BREAKS]

    @staticmethod
    def _around(ends: list[int], position: int, length: int) -> Span:
        index = bisect.bisect_left(ends, position)
        start = ends[index - 1] + 1 if index > 0 else 0
        end = ends[index] if index < len(ends) else length
        return Span(start, end)

    def clause(self, position: int) -> Span:
        return self._around(self._clause_ends, position, len(self.text))

    def sentence(self, position: int) -> Span:
        return self._around(self._sentence_ends, position, len(self.text))

    def clause_text(self, position: int) -> str:
        span = self.clause(position)
        return self.text[span.start : span.end].strip()

    def sentence_text(self, position: int) -> str:
        span = self.sentence(position)
        return self.text[span.start : span.end].strip()

    def clauses(self) -> list[Span]:
        return _spans(self._clause_ends, len(self.text))

    def sentences(self) -> list[Span]:
        return _spans(self._sentence_ends, len(self.text))


def _spans(ends: list[int], length: int) -> list[Span]:
    bounds = [-1, *ends, length]
    return [Span(a + 1, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a + 1]


def contains_any(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


@dataclass(frozen=True)
class Negation:
    """Words that cancel a cue in its clause: before it (不是价格的问题) or after it
    (数据安全倒不担心).

    A negation word that is only part of a question or of a double negative cancels nothing:
    an A-not-A question (是不是太贵, 担不担心) asks rather than denies, and an `after` word
    turned round by what precedes it (不能接受, 不太放心) or asked about (能接受吗) is still
    the customer's concern."""

    before: tuple[str, ...]
    after: tuple[str, ...]
    window_before: int
    window_after: int
    reversed_by: tuple[str, ...] = ()
    asked_by: tuple[str, ...] = ()

    def negates(self, segmenter: Segmenter, start: int, end: int) -> bool:
        text = segmenter.text
        clause = segmenter.clause(start)
        low = max(clause.start, start - self.window_before)
        high = min(clause.end, end + self.window_after)
        return any(
            not _a_not_a(text, at) for at, _ in _occurrences(text, self.before, low, start)
        ) or any(
            not self._turned(text, at, clause.start, clause.end)
            for at in _occurrences(text, self.after, end, high)
        )

    def _turned(self, text: str, at: tuple[int, int], floor: int, ceiling: int) -> bool:
        """Whether the `after` word at ``at`` is negated again (不能接受) or asked (放心吗)."""
        start, end = at
        if _a_not_a(text, start):
            return True
        before = text[max(floor, start - 3) : start]
        after = text[end : min(ceiling, end + 1)]
        return any(before.endswith(word) for word in self.reversed_by) or after in self.asked_by


def _occurrences(text: str, words: tuple[str, ...], low: int, high: int) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of ``words`` inside text[low:high]."""
    found = []
    for word in words:
        at = text.find(word, low, high)
        while at != -1:
            found.append((at, at + len(word)))
            at = text.find(word, at + 1, high)
    return found


def _a_not_a(text: str, start: int) -> bool:
    """Whether the negation word starting at ``start`` is the middle of an A-not-A question:
    是不是, 有没有, 担不担心 (the character before 不/没 repeats the one after it)."""
    return (
        text[start] in "不没"
        and 0 < start
        and start + 1 < len(text)
        and text[start - 1] == text[start + 1]
    )
