"""Text as syllables, and how far apart two syllables sound.

Recognised text and lexicon terms are both cut into *units*: one per Chinese character
(its tone-less pinyin), one per digit (the numeral's pinyin, since a recogniser writes 8
for 八), one per run of Latin letters (lower-cased). Punctuation and spaces end a run of
units: a term is never matched across them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from rapidfuzz.distance import Levenshtein

_DIGIT_SOUNDS = dict(
    zip(
        "0123456789", ["ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu"], strict=True
    )
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_UNIT_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9]+|[A-Za-z]+")
_INITIALS = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
)
# Pairs many Mandarin speakers merge, and so the recogniser confuses.
_NEAR_INITIALS = {
    frozenset(p)
    for p in [("z", "zh"), ("c", "ch"), ("s", "sh"), ("n", "l"), ("f", "h"), ("r", "l")]
}
# Further pairs Whisper mixes up on telephone audio (sibilants, aspiration, dropped onsets).
_FAR_INITIALS = {
    frozenset(p)
    for p in [
        ("zh", "j"),
        ("ch", "q"),
        ("sh", "x"),
        ("z", "j"),
        ("c", "q"),
        ("s", "x"),
        ("b", "p"),
        ("d", "t"),
        ("g", "k"),
        ("zh", "d"),
        ("z", "d"),
        ("h", ""),
        ("l", ""),
        ("m", "n"),
    ]
}
_NEAR_FINALS = {
    frozenset(p)
    for p in [
        ("en", "eng"),
        ("in", "ing"),
        ("an", "ang"),
        ("ian", "iang"),
        ("uan", "uang"),
        ("un", "ong"),
        ("o", "uo"),
        ("e", "o"),
        ("ui", "ei"),
        ("iu", "ou"),
    ]
}
_FAR_FINALS = {
    frozenset(p)
    for p in [
        ("iu", "u"),
        ("un", "eng"),
        ("ie", "ian"),
        ("u", "v"),
        ("e", "ei"),
        ("i", "ie"),
        ("ao", "ou"),
        ("an", "uan"),
        ("en", "un"),
        ("eng", "ong"),
        ("a", "e"),
        # ü blurs into i on the telephone line: 云 heard as 银, 营, 迎; 讯 as 性; 易 as 语.
        ("in", "vn"),
        ("ing", "vn"),
        ("i", "v"),
        ("van", "vn"),
        ("v", "vn"),
    ]
}
# Folding of the near pairs: two syllables with the same folded form sound alike.
_FOLD_INITIAL = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "r": "l", "f": "h"}
_FOLD_FINAL = {"eng": "en", "ing": "in", "ang": "an", "iang": "ian", "uang": "uan"}


@dataclass(frozen=True)
class Unit:
    """One matchable piece of text: ``text[start:end]`` sounds like ``sound``."""

    start: int
    end: int
    sound: str
    latin: bool = False


def units(text: str) -> list[list[Unit]]:
    """The text's units in runs; a new run starts wherever something unmatchable sits.
    Characters are read in their phrase (长期 chang, 长大 zhang)."""
    runs: list[list[Unit]] = []
    current: list[Unit] = []
    last_end = 0
    for match in _UNIT_RUN.finditer(text):
        if match.start() != last_end and current:
            runs.append(current)
            current = []
        piece = match.group()
        if _CJK.match(piece):
            readings = _phrase_sounds(piece)
            current.extend(
                Unit(match.start() + i, match.start() + i + 1, sound)
                for i, sound in enumerate(readings)
            )
        elif piece.isdigit():
            current.extend(
                Unit(match.start() + i, match.start() + i + 1, _DIGIT_SOUNDS[d])
                for i, d in enumerate(piece)
            )
        else:
            current.append(Unit(match.start(), match.end(), piece.lower(), latin=True))
        last_end = match.end()
    if current:
        runs.append(current)
    return runs


def _phrase_sounds(chinese: str) -> list[str]:
    readings = lazy_pinyin(chinese, style=Style.NORMAL, errors="ignore")
    if len(readings) != len(chinese):  # a character without a reading: read one by one
        readings = [char_sound(c) or c for c in chinese]
    return readings


def sounds(text: str) -> list[Unit]:
    """All units of a term, runs joined (a term's own spaces do not split it)."""
    return [unit for run in units(text) for unit in run]


@lru_cache(maxsize=16384)
def char_sound(char: str) -> str:
    """The tone-less pinyin of one character (its most common reading)."""
    readings = lazy_pinyin(char, style=Style.NORMAL, errors="ignore") if char else []
    return readings[0] if readings else ""


@lru_cache(maxsize=4096)
def split(syllable: str) -> tuple[str, str]:
    """(initial, final), with y/w spelling undone so that you~iu and wu~u compare."""
    for initial in _INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            final = syllable[len(initial) :]
            if initial in "jqx" and final.startswith("u"):
                final = "v" + final[1:]
            return initial, final
    if syllable.startswith("y"):
        rest = syllable[1:]
        if rest.startswith("u"):
            return "", "v" + rest[1:]
        rest = {"ou": "iu"}.get(rest, rest)
        return "", rest if rest.startswith("i") else "i" + rest
    if syllable.startswith("w"):
        rest = syllable[1:]
        return "", rest if rest.startswith("u") else "u" + rest
    return "", syllable


@lru_cache(maxsize=4096)
def fold(syllable: str) -> str:
    """The syllable with near pairs merged: the key lexicon look-ups use."""
    initial, final = split(syllable)
    return _FOLD_INITIAL.get(initial, initial) + "-" + _FOLD_FINAL.get(final, final)


def _initial_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    pair = frozenset((a, b))
    if pair in _NEAR_INITIALS:
        return 0.2
    return 0.5 if pair in _FAR_INITIALS else 1.0


def _final_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    pair = frozenset((a, b))
    if pair in _NEAR_FINALS:
        return 0.2
    if pair in _FAR_FINALS:
        return 0.45
    # Otherwise by spelling: uan and en still share their nasal ending.
    return min(1.0, 0.2 + Levenshtein.normalized_distance(a, b))


@lru_cache(maxsize=65536)
def syllable_cost(a: str, b: str) -> float:
    """0 for the same syllable, up to 1 for unrelated ones (initial and final weigh half)."""
    if a == b:
        return 0.0
    ia, fa = split(a)
    ib, fb = split(b)
    return 0.5 * _initial_cost(ia, ib) + 0.5 * _final_cost(fa, fb)
