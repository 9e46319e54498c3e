"""Which terms a manager's correction of a transcript teaches: the span they changed.

A manager writes 用友U8 where the recogniser heard 拥有八: the words that replaced what was
heard become a term of the org's vocabulary (copilot/store/vocabulary.py), so its next calls
are corrected towards them. Only names are learned: 2–12 characters that jieba's dictionary
does not know as common Chinese (邮箱 for 油箱 is a plain word the shipped vocabulary already
covers; a rewritten sentence is no name).
"""

from __future__ import annotations

import difflib
import re

import jieba

from speech.correction.context import warm, word_freq

MIN_CHARS, MAX_CHARS = 2, 12
# A word jieba's dictionary holds this often is ordinary Chinese, not a name to learn
# (用友 83, 金蝶 110, 审批 973; new product and company names are 0).
COMMON_FREQ = 50
# A character standing alone this often (的, 是, 上, 用) is a word of its own, not part of
# the name next to it.
COMMON_SINGLE_FREQ = 20000
# Below this similarity the manager rewrote the sentence rather than fixing words in it.
MIN_SIMILARITY = 0.5
# Two changes this close (云番软接 → 云帆软件: 番→帆, 接→件) are one corrected name.
JOIN_GAP = 1
_NAME_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9]")


def terms_from_correction(heard: str, corrected: str) -> list[str]:
    """The names ``corrected`` puts where ``heard`` had other words, in order."""
    spans = _changed_spans(heard, corrected)
    if not spans:
        return []
    warm()
    tokens = [(start, end) for _, start, end in jieba.tokenize(corrected)]
    learned: list[str] = []
    for changed in spans:
        start, end = _name_around(corrected, tokens, changed)
        term = corrected[start:end]
        if _is_name(term) and term not in learned:
            learned.append(term)
    return learned


def _changed_spans(heard: str, corrected: str) -> list[tuple[int, int]]:
    """Where ``corrected`` replaced words of ``heard`` (not pure insertions or deletions:
    added or dropped words are no mishearing), joined when close together."""
    matcher = difflib.SequenceMatcher(None, heard, corrected, autojunk=False)
    if matcher.ratio() < MIN_SIMILARITY:
        return []
    spans: list[tuple[int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace" or i1 == i2 or j1 == j2:
            continue
        if spans and j1 - spans[-1][1] <= JOIN_GAP:
            spans[-1] = (spans[-1][0], j2)
        else:
            spans.append((j1, j2))
    return spans


def _name_around(
    text: str, tokens: list[tuple[int, int]], changed: tuple[int, int]
) -> tuple[int, int]:
    """The changed span grown to whole words, then over neighbouring words that are not
    common Chinese (a new name is cut into pieces jieba does not know: 上慧|销通), then
    without unchanged single common characters at its edges (上 of 上慧)."""
    start, end = changed
    inside = [i for i, (s, e) in enumerate(tokens) if s < end and e > start]
    if not inside:
        return start, end
    first, last = inside[0], inside[-1]
    while first > 0 and _joins(text, tokens[first - 1]):
        first -= 1
    while last + 1 < len(tokens) and _joins(text, tokens[last + 1]):
        last += 1
    start, end = min(start, tokens[first][0]), max(end, tokens[last][1])
    while start < changed[0] and _common_single(text[start]):
        start += 1
    while end > changed[1] and _common_single(text[end - 1]):
        end -= 1
    return start, end


def _joins(text: str, token: tuple[int, int]) -> bool:
    word = text[token[0] : token[1]]
    return (
        all(_NAME_CHAR.match(char) for char in word)
        and len(word) > 1
        and word_freq(word) < COMMON_FREQ
    )


def _common_single(char: str) -> bool:
    return not _NAME_CHAR.match(char) or word_freq(char) >= COMMON_SINGLE_FREQ


def _is_name(term: str) -> bool:
    if not MIN_CHARS <= len(term) <= MAX_CHARS:
        return False
    if not all(_NAME_CHAR.match(char) for char in term) or term.isdigit():
        return False
    if word_freq(term) >= COMMON_FREQ:
        return False
    # Made of common words only (在家 开会 吧), it is a phrase, not a name.
    return not all(word_freq(word) >= COMMON_FREQ for word in jieba.lcut(term))
