"""Which checklist items the rep's words tick, robust to what speech recognition does.

Only the rep's segments count (on a mono call, the side the diarizer inferred as the rep):
the customer saying 「你们录音吗」 does not tell them the call is recorded.

A segment's text is made canonical first (the compliance library's ``normalize``:
simplified characters, full-width folded, lower case), then stripped of punctuation and
spaces, since the recogniser punctuates at random. Each cue is a small pattern (literal
Chinese, ``.``, ``(a|b)``, ``[字字]``, ``?``, ``*``, ``+``, ``{m,n}``, ``(?!…)``) tried:

1. on those characters (``words``);
2. on their sounds (``sound``): the same pattern rewritten over toneless pinyin syllables,
   with the initials and finals Mandarin speakers and recognisers confuse folded together
   (zh/z, ch/c, sh/s, l/n, -ing/-in, -eng/-en). 「本次通话会被路音」 still ticks 录音告知.
   A sound match must keep at least one of the cue's own characters, so a different word
   that merely sounds alike (加微信 for 价位) does not count.

Every match keeps its evidence: the segment's id and text and the span that matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pypinyin import lazy_pinyin

from compliance.normalize import normalize
from copilot.scorecards.items import ScorecardItem

MatchedBy = Literal["words", "sound"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# After normalising, everything that is not a letter, digit or character goes.
_NOT_WORD = re.compile(r"[\W_]+")
_ALNUM = re.compile(r"[a-z0-9]+")


class CueError(ValueError):
    """A cue uses pattern syntax the matcher does not support."""


@dataclass(frozen=True)
class Line:
    """One thing said: the segment's id (``seg-0003``), its speaker and its text."""

    id: str
    speaker: str
    text: str


@dataclass(frozen=True)
class ItemMatch:
    """An item ticked by a line: the evidence and how it was found."""

    key: str
    segment_id: str
    text: str
    span: str
    by: MatchedBy


def canonical(text: str) -> str:
    """The text as cues see it: canonical characters, no punctuation or spaces."""
    return _NOT_WORD.sub("", normalize(text).text.lower())


def _fold(syllable: str) -> str:
    """One spelling for the sounds that are commonly confused."""
    if syllable[:2] in ("zh", "ch", "sh"):
        syllable = syllable[0] + syllable[2:]
    if syllable.startswith("l"):
        syllable = "n" + syllable[1:]
    if len(syllable) >= 3 and syllable.endswith(("ing", "eng")):
        syllable = syllable[:-1]
    return syllable


def _sounds(text: str) -> list[tuple[str, int, int]]:
    """``(token, start, end)`` per character (a run of letters or digits is one token)."""
    tokens: list[tuple[str, int, int]] = []
    position = 0
    for item in lazy_pinyin(text):
        if position < len(text) and _CJK.match(text[position]):
            tokens.append((_fold(item), position, position + 1))
            position += 1
        else:  # a non-Chinese run comes back as it was
            tokens.append((item.lower(), position, position + len(item)))
            position += len(item)
    return tokens


def _token(syllable: str) -> str:
    return f"(?:{re.escape(syllable)} )"


def _sound_pattern(cue: str) -> str:
    """The cue rewritten over the space-separated sounds of :func:`_sounds`."""
    out: list[str] = []
    i = 0
    while i < len(cue):
        char = cue[i]
        if _CJK.match(char):
            end = i
            while end < len(cue) and _CJK.match(cue[end]):
                end += 1
            # The whole run at once, so a character that reads two ways reads as in context.
            out += [_token(token) for token, _, _ in _sounds(cue[i:end])]
            i = end
        elif char == "[":
            close = cue.find("]", i)
            chars = cue[i + 1 : close] if close > i else ""
            if not chars or not all(_CJK.match(c) for c in chars):
                raise CueError("a [...] class may only list Chinese characters")
            options = dict.fromkeys(_fold(lazy_pinyin(c)[0]) for c in chars)
            out.append("(?:" + "|".join(f"{re.escape(o)} " for o in options) + ")")
            i = close + 1
        elif char == "{":
            close = cue.find("}", i)
            if close < 0 or not re.fullmatch(r"\{\d*,?\d*\}", cue[i : close + 1]):
                raise CueError("a {…} must be a count such as {0,6}")
            out.append(cue[i : close + 1])
            i = close + 1
        elif cue.startswith(("(?!", "(?:", "(?="), i):
            out.append(cue[i : i + 3])
            i += 3
        elif char in "()|?*+":
            out.append(char)
            i += 1
        elif char == ".":
            out.append(r"(?:\S+ )")
            i += 1
        elif match := _ALNUM.match(cue.lower(), i):
            out.append(_token(match.group()))
            i = match.end()
        else:
            raise CueError(f"{char!r} is not supported in a cue")
    return "(?<![^ ])(?:" + "".join(out) + ")"


@dataclass(frozen=True)
class CompiledCue:
    source: str
    words: re.Pattern[str]
    sound: re.Pattern[str]
    # The cue's own characters: a sound match must keep one of them.
    chars: frozenset[str]


@lru_cache(maxsize=1024)
def compile_cue(cue: str) -> CompiledCue:
    """Both forms of a cue; :class:`CueError` when it cannot be matched."""
    text = cue.lower()
    try:
        words = re.compile(text)
        sound = re.compile(_sound_pattern(text))
    except re.error as exc:
        raise CueError(str(exc)) from exc
    return CompiledCue(cue, words, sound, frozenset(_CJK.findall(text)))


class Checklist:
    """An org's items, compiled once; matches lines of a call against them."""

    def __init__(self, items: Sequence[ScorecardItem]) -> None:
        self.items = tuple(sorted(items, key=lambda item: item.position))
        self._cues = {item.key: [compile_cue(cue) for cue in item.cues] for item in self.items}

    def find(self, text: str) -> list[tuple[str, str, MatchedBy]]:
        """``(item key, matched span, how)`` for each item ``text`` ticks."""
        canon = canonical(text)
        if not canon:
            return []
        found: list[tuple[str, str, MatchedBy]] = []
        sounds: tuple[str, list[tuple[str, int, int]]] | None = None
        for item in self.items:
            hit = _first_words(self._cues[item.key], canon)
            if hit is not None:
                found.append((item.key, hit, "words"))
                continue
            if sounds is None:
                tokens = _sounds(canon)
                sounds = ("".join(f"{t} " for t, _, _ in tokens), tokens)
            hit = _first_sound(self._cues[item.key], canon, *sounds)
            if hit is not None:
                found.append((item.key, hit, "sound"))
        return found

    def match_line(self, line: Line) -> list[ItemMatch]:
        """The items a line ticks; none unless the rep said it."""
        if line.speaker != "rep":
            return []
        return [
            ItemMatch(key, line.id, line.text, span, by) for key, span, by in self.find(line.text)
        ]

    def score(self, lines: Iterable[Line]) -> dict[str, ItemMatch | None]:
        """Per item, the first line that ticked it (None: never said)."""
        result: dict[str, ItemMatch | None] = {item.key: None for item in self.items}
        for line in lines:
            for match in self.match_line(line):
                if result[match.key] is None:
                    result[match.key] = match
        return result


def _first_words(cues: list[CompiledCue], canon: str) -> str | None:
    for cue in cues:
        found = cue.words.search(canon)
        if found is not None:
            return found.group()
    return None


def _first_sound(
    cues: list[CompiledCue], canon: str, spoken: str, tokens: list[tuple[str, int, int]]
) -> str | None:
    # Where each token starts and ends in ``spoken``, to map a match back to characters.
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    offset = 0
    for index, (token, _, _) in enumerate(tokens):
        starts[offset] = index
        offset += len(token) + 1
        ends[offset] = index
    for cue in cues:
        for found in cue.sound.finditer(spoken):
            first, last = starts.get(found.start()), ends.get(found.end())
            if first is None or last is None or last < first:
                continue
            span = canon[tokens[first][1] : tokens[last][2]]
            if cue.chars & set(span):
                return span
    return None


class LiveChecklist:
    """A live call's checklist: which items are ticked so far; each is reported once."""

    def __init__(self, checklist: Checklist) -> None:
        self.checklist = checklist
        self.ticked: dict[str, ItemMatch] = {}

    def hear(self, line: Line) -> list[ItemMatch]:
        """Items this line ticks for the first time."""
        new = [m for m in self.checklist.match_line(line) if m.key not in self.ticked]
        for match in new:
            self.ticked[match.key] = match
        return new

    def restore(self, lines: Iterable[Line]) -> None:
        """Tick what a resumed call had said before, without reporting it again."""
        for line in lines:
            self.hear(line)
