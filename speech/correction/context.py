"""What the words around a heard span say: dictionary words, boundaries, cue words.

A span that cuts through a dictionary word (和同 in 和同事) is never replaced; a span made
only of ordinary words (拥有, 分享, 油箱) is replaced only with cue words nearby. jieba's
dictionary (with its frequencies) decides what a word is.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cached_property

import jieba

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# A dictionary word at least this frequent is not cut by a correction.
CUT_FREQ = 5
# ... unless all it holds beyond the span is one of these (育|算是: the segmenter's word).
_RUN_ON_PARTICLES = frozenset("是的了")
# Words at least this frequent are ordinary Chinese: kept unless context says otherwise.
ORDINARY_FREQ = 3
CONTEXT_CHARS = 6
# A character standing alone this often is a word of its own (的, 是, 跟, 比): two of them
# side by side are ordinary speech, two rarer ones (选 皮, 销 课) look like a garbled word.
COMMON_SINGLE_FREQ = 20000
_ready = threading.Lock()
_initialised = False


def warm() -> None:
    """Load jieba's dictionary now (about half a second, once per process)."""
    global _initialised
    with _ready:
        if not _initialised:
            jieba.setLogLevel(60)
            jieba.initialize()
            _initialised = True


def _runs_on(t_start: int, t_end: int, token: str, start: int, end: int) -> bool:
    """育|算是两三百万: a word that only runs on into a copula or particle after the span
    (算是, 算了) is the segmenter's, not the speaker's."""
    return t_start >= start and t_end == end + 1 and token[-1] in _RUN_ON_PARTICLES


def word_freq(word: str) -> int:
    warm()
    return int(jieba.dt.FREQ.get(word, 0) or 0)


class Sentence:
    """One recognised text with its dictionary segmentation, computed on first need."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def _tokens(self) -> list[tuple[int, int, str]]:
        warm()
        # No HMM: unknown runs stay single characters instead of becoming guessed words.
        tokens, offset = [], 0
        for token in jieba.lcut(self.text, HMM=False):
            tokens.append((offset, offset + len(token), token))
            offset += len(token)
        return tokens

    @cached_property
    def _word_inside(self) -> list[int]:
        """Per position: the token it lies strictly inside of (not at its start) when that
        token is a dictionary word of at least :data:`CUT_FREQ`, else -1."""
        inside = [-1] * (len(self.text) + 1)
        for index, (t_start, t_end, token) in enumerate(self._tokens):
            if t_end - t_start > 1 and word_freq(token) >= CUT_FREQ:
                inside[t_start + 1 : t_end] = [index] * (t_end - t_start - 1)
        return inside

    def cuts_word(self, start: int, end: int) -> bool:
        """The span starts or ends inside a dictionary word."""
        for at in (start, end):
            index = self._word_inside[at]
            if index >= 0 and not _runs_on(*self._tokens[index], start, end):
                return True
        return False

    def is_ordinary(self, start: int, end: int) -> bool:
        """What was heard reads as plain Chinese (拥有8, 油箱, 的是): not a garbled name,
        which shows as two rare characters side by side that make no word (选皮, 销课)."""
        previous_rare = False
        for t_start, t_end, token in self._tokens:
            if t_end <= start or t_start >= end:
                continue
            rare = (
                len(token) == 1
                and _CJK.match(token) is not None
                and word_freq(token) < COMMON_SINGLE_FREQ
            )
            if rare and previous_rare:
                return False
            previous_rare = rare
        return True

    def token_around(self, at: int) -> str:
        """The dictionary token holding the character at ``at``."""
        for t_start, t_end, token in self._tokens:
            if t_start <= at < t_end:
                return token
        return ""

    def word_at(self, start: int, end: int) -> bool:
        """``text[start:end]`` is a dictionary word of at least :data:`CUT_FREQ`."""
        return word_freq(self.text[start:end]) >= CUT_FREQ

    @cached_property
    def _boundaries(self) -> set[int]:
        return {t_start for t_start, _, _ in self._tokens} | {len(self.text)}

    def cue_distances(self, start: int, end: int, words: Iterable[str]) -> dict[str, int]:
        """The cue ``words`` standing as whole words (付 counts, the 付 of 支付 does not)
        within :data:`CONTEXT_CHARS` of the span, each with its distance in characters."""
        text, bounds = self.text, self._boundaries
        lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
        found: dict[str, int] = {}
        for word in words:
            if not word:
                continue
            at = text.find(word, lo)
            while at != -1 and at + len(word) <= hi:
                outside = at + len(word) <= start or at >= end
                if outside and at in bounds and at + len(word) in bounds:
                    distance = start - (at + len(word)) if at < start else at - end
                    found[word] = min(distance, found.get(word, distance))
                at = text.find(word, at + 1)
        return found

    def has_context(self, start: int, end: int, words: Iterable[str]) -> bool:
        """One of ``words`` stands as a word near the span."""
        return bool(self.cue_distances(start, end, words))
