"""English names read out as Chinese syllables: speech recognition writes what it hears, so
Zendesk comes out as 赞迪斯克, Workday as 沃克戴, Oracle as 奥瑞口.

Both sides are reduced to a consonant skeleton, the part a transliteration keeps: vowels go,
consonants fall into the classes Mandarin can tell apart (b/p, d/t, g/k, the sibilants, l/r),
a nasal closing a syllable is one ``n``, and a leading vowel is kept as ``_``. English r that
no vowel follows is silent in the Chinese rendering (Work -> 沃克), and so is a final l
(Oracle -> 奥拉克). Zendesk and 赞迪斯克 are then both ``sntsk``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, TypeVar

from pypinyin import Style, lazy_pinyin

T = TypeVar("T")

_VOWELS = "aeiouy"
# English letters (after the digraphs below) to consonant classes; vowels map to "".
_LATIN_CLASS = {
    "b": "p", "p": "p", "d": "t", "t": "t", "g": "k", "k": "k", "q": "k", "f": "f", "v": "w",
    "w": "w", "m": "m", "n": "n", "l": "l", "r": "l", "s": "s", "z": "s", "j": "s", "h": "h",
}  # fmt: skip
_DIGRAPHS = (
    ("tion", "sn"), ("gn", "n"), ("ph", "f"), ("ck", "k"), ("sh", "s"), ("ch", "s"),
    ("th", "s"), ("qu", "k"), ("wh", "w"), ("x", "ks"), ("ng", "n"),
)  # fmt: skip
# Pinyin initials to the same classes; y, w and none open with a vowel sound (优 for U).
_INITIALS = (
    ("zh", "s"), ("ch", "s"), ("sh", "s"), ("b", "p"), ("p", "p"), ("d", "t"), ("t", "t"),
    ("g", "k"), ("k", "k"), ("f", "f"), ("m", "m"), ("n", "n"), ("l", "l"), ("r", "l"),
    ("j", "s"), ("q", "s"), ("x", "s"), ("z", "s"), ("c", "s"), ("s", "s"), ("h", "h"),
    ("w", "w"),
)  # fmt: skip
_LATIN_WORD = re.compile(r"^[a-z]+$")


def latin_key(spelling: str, closing_m: str = "n") -> str:
    """The skeleton of an English name: 「Zendesk」 -> 「sntsk」, 「Oracle」 -> 「_lkl」.
    ``closing_m``: what an m before a consonant becomes, a final (Campaign -> 坎, ``n``) or
    a syllable of its own (Teamcenter -> 提姆森特, ``m``)."""
    word = spelling.lower()
    word = re.sub(r"c(?=[eiy])", "s", word).replace("c", "k")
    for long, short in _DIGRAPHS:
        word = word.replace(long, short)
    key = ["_"] if word[:1] in _VOWELS else []
    for i, ch in enumerate(word):
        following = word[i + 1 : i + 2]
        if ch in _VOWELS:
            continue
        if ch in "rh" and not (following and following in _VOWELS):
            continue  # Work -> 沃克: an r closing a syllable is not heard
        if ch == "m" and following and following not in _VOWELS:
            ch = closing_m
        key.append(_LATIN_CLASS.get(ch, ""))
    return _merge("".join(key))


def _without_liquids(key: str) -> str:
    """Salesforce -> 赛福斯: l and r are the sounds a quick reading drops first."""
    return (
        key[:1] + _merge(key[1:].replace("l", ""))
        if key.startswith("_")
        else _merge(key.replace("l", ""))
    )


def _without_final_l(key: str) -> str | None:
    """Oracle -> 奥拉克: a final l is often not said at all."""
    return key[:-1] if key.endswith("l") and consonants(key) > 2 else None


@lru_cache(maxsize=8192)
def _syllable_key(char: str) -> str:
    sound = lazy_pinyin(char, style=Style.NORMAL)[0]
    if sound == "er":
        return "l"  # 尔 renders a final l or r
    initial = next((cls for head, cls in _INITIALS if sound.startswith(head)), "_")
    nasal = "n" if sound.endswith(("n", "ng")) and sound not in ("n", "ng") else ""
    return initial + nasal


def heard_key(chars: str) -> str:
    """The skeleton of Chinese characters as heard: 「赞迪斯克」 -> 「sntsk」."""
    parts = [_syllable_key(ch) for ch in chars]
    key = parts[0] + "".join(p.lstrip("_") for p in parts[1:])
    return _merge(key)


def _merge(key: str) -> str:
    out: list[str] = []
    for ch in key:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def consonants(key: str) -> int:
    return len(key.lstrip("_"))


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


@dataclass(frozen=True)
class Reading(Generic[T]):
    """An English spelling as its skeleton, with a literal tail that must follow (FineBI:
    「凡恩」 then 「BI」)."""

    item: T
    key: str
    tail: str


class ReadingIndex(Generic[T]):
    """English spellings by skeleton: exact, or one consonant apart for long names."""

    def __init__(self, spellings: Iterable[tuple[str, T]], tails: tuple[str, ...]) -> None:
        self._exact: dict[str, list[tuple[Reading[T], bool]]] = {}
        self._near: dict[str, list[Reading[T]]] = {}
        for spelling, item in spellings:
            word = spelling.lower().replace(" ", "")
            tail = next((t for t in tails if word.endswith(t) and len(word) - len(t) >= 3), "")
            if tail:
                self._add(item, word[: len(word) - len(tail)], tail)
            # Read out whole too: a tail is not always said in English (赛尔斯福斯).
            self._add(item, word, "")

    def _add(self, item: T, base: str, tail: str) -> None:
        if not _LATIN_WORD.match(base) or len(base) < 4 and not tail:
            return
        key = latin_key(base)
        if consonants(key) < 2:
            return
        reading = Reading(item, key, tail)
        self._exact.setdefault(key, []).append((reading, True))
        variants = {_without_final_l(key), _without_liquids(key), latin_key(base, "m")}
        for short in variants - {None, key}:
            if short is not None and consonants(short) >= 2:
                self._exact.setdefault(short, []).append((reading, False))
        if consonants(key) >= 4:
            for near in _deletions(key) | {key}:
                self._near.setdefault(near, []).append(reading)

    def lookup(self, key: str) -> list[tuple[Reading[T], bool]]:
        """Readings whose skeleton is ``key`` (True: exactly) or one edit from it."""
        found = list(self._exact.get(key, ()))
        if consonants(key) >= 3:
            # Sorted: a set's order changes from one process to the next (string hashing),
            # and the first reading found wins a tie.
            keys = (key, *sorted(_deletions(key)))
            near = {id(r): r for k in keys for r in self._near.get(k, ())}
            found += [(r, False) for r in near.values() if r.key != key]
        return found

    def __bool__(self) -> bool:
        return bool(self._exact)


__all__ = ["ReadingIndex", "Reading", "consonants", "heard_key", "latin_key"]
