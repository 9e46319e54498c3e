"""Competitor names in speech, also when recognition misspells them.

Three ways to match, cheapest first: the name or an alias as written (case-insensitive for
Latin letters, spaces optional: 「sales force」); the same pinyin as a Chinese name of three or
more characters, with the confusions of accented Mandarin folded (分享销客 -> 纷享销客, 销售议 ->
销售易); and a close spelling of a Latin name (Salesfroce). A match that cuts through an
ordinary word is dropped (销售意向, 八百客户).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from copilot.insights.lexicon import CompetitorEntry
from copilot.insights.words import cuts_word

# A literal name is dropped only inside a very common word (八百客户); a sound-alike already
# when the pair is any dictionary word (销售议价).
_LITERAL_BOUNDARY_FREQ = 1000
_SOUNDALIKE_BOUNDARY_FREQ = 10
_SOUNDALIKE_MIN_CHARS = 3
_LATIN_MIN_CHARS = 5
_LATIN_MIN_RATIO = 85.0
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9]*(?: [A-Za-z][A-Za-z0-9]*)?")
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@dataclass(frozen=True)
class CompetitorHit:
    name: str
    kind: str
    start: int
    end: int
    heard: str


@lru_cache(maxsize=4096)
def fold(syllable: str) -> str:
    """A toneless syllable with the common regional confusions merged (zh/z, n/l, ing/in)."""
    for long, short in _INITIALS:
        if syllable.startswith(long):
            syllable = short + syllable[len(long) :]
            break
    for long, short in _FINALS:
        if syllable.endswith(long):
            return syllable[: -len(long)] + short
    return syllable


@lru_cache(maxsize=8192)
def _sound(char: str) -> str:
    # Character by character (names do not hinge on the few context-dependent readings), so
    # one cached lookup each and text positions stay aligned with syllables.
    return fold(lazy_pinyin(char)[0]) if _CJK.match(char) else char


def syllables(text: str) -> list[str]:
    """One folded syllable per character; other characters stand for themselves."""
    return [_sound(char) for char in text]


class CompetitorMatcher:
    def __init__(self, entries: tuple[CompetitorEntry, ...]) -> None:
        self._entries = {entry.name: entry for entry in entries}
        spellings: dict[str, str] = {}
        for entry in entries:
            for spelling in (entry.name, *entry.aliases):
                spellings.setdefault(_squash(spelling), entry.name)
        self._literal = re.compile(
            "|".join(
                _literal_pattern(spelling)
                for spelling in sorted(
                    {s for entry in entries for s in (entry.name, *entry.aliases)},
                    key=len,
                    reverse=True,
                )
            ),
            re.IGNORECASE,
        )
        self._spellings = spellings
        # Sound-alike index: first folded syllable -> (syllables, canonical name).
        self._by_sound: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
        self._latin: list[tuple[str, str]] = []
        for spelling, name in spellings.items():
            if len(spelling) >= _SOUNDALIKE_MIN_CHARS and all(_CJK.match(c) for c in spelling):
                sound = tuple(syllables(spelling))
                self._by_sound.setdefault(sound[0], []).append((sound, spelling, name))
            elif spelling.isascii() and len(spelling) >= _LATIN_MIN_CHARS:
                self._latin.append((spelling, name))
        for bucket in self._by_sound.values():
            bucket.sort(key=lambda item: len(item[0]), reverse=True)  # longest name first

    def find(self, text: str) -> list[CompetitorHit]:
        # Sound-alikes first: they also cover Chinese names heard right, and a longer name
        # (纷享消客) must win over a short alias inside it (纷享).
        taken: list[tuple[int, int]] = []
        hits = self._soundalikes(text, taken)
        for match in self._literal.finditer(text):
            if _overlaps(match.start(), match.end(), taken):
                continue
            if _CJK.match(match.group()[0]) and cuts_word(
                text, match.start(), match.end(), _LITERAL_BOUNDARY_FREQ, rebind_left=True
            ):
                continue
            name = self._spellings[_squash(match.group())]
            hits.append(self._hit(name, match.start(), match.end(), text))
            taken.append((match.start(), match.end()))
        hits.extend(self._latin_lookalikes(text, taken))
        return _first_per_name(hits)

    def _hit(self, name: str, start: int, end: int, text: str) -> CompetitorHit:
        return CompetitorHit(name, self._entries[name].kind, start, end, text[start:end])

    def _soundalikes(self, text: str, taken: list[tuple[int, int]]) -> list[CompetitorHit]:
        if not self._by_sound or not _CJK.search(text):
            return []
        sounds = syllables(text)
        hits = []
        for start, first in enumerate(sounds):
            for sound, spelling, name in self._by_sound.get(first, ()):
                end = start + len(sound)
                if tuple(sounds[start:end]) != sound or _overlaps(start, end, taken):
                    continue
                heard = text[start:end]
                if not all(_CJK.match(c) for c in heard):
                    continue
                exact = heard == spelling
                boundary = _LITERAL_BOUNDARY_FREQ if exact else _SOUNDALIKE_BOUNDARY_FREQ
                if cuts_word(text, start, end, boundary, rebind_left=True):
                    continue
                hits.append(self._hit(name, start, end, text))
                taken.append((start, end))
        return hits

    def _latin_lookalikes(self, text: str, taken: list[tuple[int, int]]) -> list[CompetitorHit]:
        hits = []
        for match in _LATIN_WORDS.finditer(text):
            word = match.group().replace(" ", "").lower()
            if len(word) < _LATIN_MIN_CHARS or _overlaps(match.start(), match.end(), taken):
                continue
            for spelling, name in self._latin:
                if fuzz.ratio(word, spelling) >= _LATIN_MIN_RATIO:
                    hits.append(self._hit(name, match.start(), match.end(), text))
                    break
        return hits


def _literal_pattern(spelling: str) -> str:
    """A spelling as a pattern: spaces optional, and Latin ends must not run into a word."""
    pattern = r"\s*".join(re.escape(part) for part in spelling.split())
    if spelling[0].isascii() and spelling[0].isalnum():
        pattern = r"(?<![A-Za-z0-9])" + pattern
    if spelling[-1].isascii() and spelling[-1].isalnum():
        pattern += r"(?![A-Za-z0-9])"
    return pattern


def _squash(spelling: str) -> str:
    """The lookup key of a spelling or of what was heard: 「Sales Force」 -> 「salesforce」."""
    return "".join(spelling.split()).lower()


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)


def _first_per_name(hits: list[CompetitorHit]) -> list[CompetitorHit]:
    seen: set[str] = set()
    ordered = []
    for hit in sorted(hits, key=lambda h: h.start):
        if hit.name not in seen:
            seen.add(hit.name)
            ordered.append(hit)
    return ordered
