"""Text → sparse TF-IDF vector, the same way at training and at run time (numpy only).

Three kinds of tokens, chosen on the dev split (see docs/learning.md):

- character n-grams (1…``char_max``) of the canonical text (full-width folded, lower-case,
  simplified, spaces dropped: :func:`compliance.normalize.normalize`), which need no
  segmentation and survive typos and split words;
- jieba words (``w:``), for whole-word cues;
- pinyin syllables and syllable pairs without tones (``p:``), so that speech recognition's
  homophones (回扣 / 回口, 保证 / 保正) share features.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from compliance.normalize import normalize

# Punctuation and spaces end a character run: n-grams do not reach across them.
_BREAK = re.compile(r"[\s,.!?;:、。！？；：，…()（）【】《》“”\"'~\-—]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class FeatureSpec:
    """Which tokens a model reads; stored in its artefact so run time reads the same."""

    char_max: int = 4
    words: bool = True
    pinyin: bool = True

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def canonical(text: str) -> str:
    return normalize(text).text


@lru_cache(maxsize=8192)
def _syllable(char: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(char, style=Style.NORMAL)[0]


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import jieba  # loads its dictionary (~0.7 s) on first use

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


# Training segments each text a dozen times (every fold's vocabulary, then its vectors and
# its scores): while it runs (:func:`remembered_words`) each run's words are kept here. A
# context variable, so only the training's own thread keeps them: the service retrains an
# org in a thread of its own while request threads cut texts that seldom repeat.
_remembered: ContextVar[dict[str, tuple[tuple[str, int], ...]] | None] = ContextVar(
    "remembered_words", default=None
)


def _words(run: str) -> tuple[tuple[str, int], ...]:
    """jieba's words of ``run`` with where each starts."""
    memo = _remembered.get()
    if memo is not None and (known := memo.get(run)) is not None:
        return known
    words = tuple((word, start) for word, start, _end in _jieba().tokenize(run))
    if memo is not None:
        memo[run] = words
    return words


@contextmanager
def remembered_words() -> Iterator[None]:
    """Keep every run's segmentation in this thread until the outermost of these ends
    (jieba is deterministic: the same words, cut once)."""
    if _remembered.get() is not None:
        yield
        return
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def tokens(text: str, spec: FeatureSpec) -> list[str]:
    """Every token of ``text`` (repeated tokens repeat)."""
    normal = canonical(text)
    runs = [run for run in _BREAK.split(normal) if run]
    out: list[str] = []
    for run in runs:
        length = len(run)
        for n in range(1, spec.char_max + 1):
            out.extend(run[i : i + n] for i in range(length - n + 1))
    if spec.words:
        for run in runs:
            out.extend("w:" + word for word, _start in _words(run) if len(word) > 1)
    if spec.pinyin:
        for run in runs:
            syllables = [_syllable(char) if _HAN.match(char) else "" for char in run]
            previous = ""
            for syllable in syllables:
                if syllable:
                    out.append("p:" + syllable)
                    if previous:
                        out.append(f"p:{previous}_{syllable}")
                previous = syllable
    return out


# Characters are packed 16 bits each into an n-gram key (n ≤ 4 fits 64 bits); the rare
# character beyond the BMP shares the top code. Training and run time both go through the
# keys, so they always agree.
_TOP = 0xFFFF


@lru_cache(maxsize=1)
def _break_table() -> np.ndarray:
    every = "".join(chr(code) for code in range(_TOP + 1) if not 0xD800 <= code <= 0xDFFF)
    table = np.zeros(_TOP + 1, dtype=bool)
    for match in _BREAK.finditer(every):
        for char in match.group():
            table[ord(char)] = True
    return table


def code_points(text: str) -> np.ndarray:
    """Each character's code point, those beyond the BMP as :data:`_TOP` (lone surrogates
    too are characters here, never an encoding error)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    return np.minimum(codes, _TOP)


# Keys of different kinds (n-grams of each length, syllable pairs) share one sorted array:
# each kind is XOR-ed with its own 64-bit constant. A clash between kinds is as unlikely as a
# 64-bit hash collision, and training and run time would share it anyway.
_PAIR = 0
_TAGS = {
    kind: np.uint64((0x9E3779B97F4A7C15 * (kind + 1)) & 0xFFFFFFFFFFFFFFFF) for kind in range(9)
}


def _tagged(key: int, kind: int) -> int:
    return key ^ int(_TAGS[kind])


def _key(chunk: str) -> int:
    key = 0
    for char in chunk:
        key = (key << 16) | min(ord(char), _TOP)
    return key


# Two multipliers: a key lives in one of the two slots they give (cuckoo hashing).
_MIXES = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


class KeyIndex:
    """64-bit key -> vocabulary index, for thousands of keys at once.

    Cuckoo hashing: every key sits in one of two slots of one table holding each slot's key
    beside its index, so a lookup is two reads per key and no loop; at under half full the
    table stays small (~0.8 MB for 20,000 keys) and in cache. Binary search reads ~15
    places per key, and linear probing needs rounds for keys that meet another."""

    def __init__(self, pairs: list[tuple[int, int]]) -> None:
        unique = sorted(dict(reversed(pairs)).items())  # one index per key (the first)
        bits = max(10, (len(unique) * 5 // 2).bit_length())
        while True:  # a table that cannot be built is doubled: rare, and deterministic
            table = self._build([key for key, _ in unique], bits)
            if table is not None:
                break
            bits += 1
        self.shift = np.uint64(64 - bits)
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.indices = np.full(1 << bits, -1, dtype=np.int32)
        if unique:
            slots = np.array(list(table), dtype=np.intp)
            order = np.array(list(table.values()), dtype=np.intp)
            self.keys[slots] = np.array([key for key, _ in unique], np.uint64)[order]
            self.indices[slots] = np.array([index for _, index in unique], np.int32)[order]

    @staticmethod
    def _slots_of(keys: np.ndarray, bits: int) -> tuple[list[int], list[int]]:
        shift = np.uint64(64 - bits)
        with np.errstate(over="ignore"):
            first, second = (((keys * mix) >> shift).astype(np.intp).tolist() for mix in _MIXES)
        return first, second

    @classmethod
    def _build(cls, keys: list[int], bits: int) -> dict[int, int] | None:
        """Slot -> position in ``keys``; None when the keys do not fit at this size."""
        first, second = cls._slots_of(np.array(keys, dtype=np.uint64), bits)
        table: dict[int, int] = {}
        for position in range(len(keys)):
            slot = first[position]
            for _ in range(500):
                evicted = table.get(slot)
                table[slot] = position
                if evicted is None:
                    break
                position = evicted
                slot = second[position] if slot == first[position] else first[position]
            else:
                return None
        return table

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Vocabulary index per key, -1 where unknown."""
        # Array arithmetic wraps around without a warning (only scalar arithmetic warns).
        first = ((keys * _MIXES[0]) >> self.shift).astype(np.intp)
        second = ((keys * _MIXES[1]) >> self.shift).astype(np.intp)
        result = np.where(self.keys[first] == keys, self.indices[first], -1)
        there = self.keys[second] == keys
        result[there] = self.indices[second[there]]
        return result


@dataclass(frozen=True)
class Occurrences:
    """Every known token of a text, in the order of where they start in the canonical
    text: its vocabulary index and that position (so a clause or a chunk takes its own
    tokens with a binary search). Tokens never reach across punctuation, so a unit cut at
    punctuation holds whole tokens."""

    indices: np.ndarray
    positions: np.ndarray


_NONE = Occurrences(np.zeros(0, np.intp), np.zeros(0, np.intp))


class Vectorizer:
    """Token weights over a fixed vocabulary, computed with array operations over integer
    keys (a 500-character message in well under a millisecond).

    A text's vector is the sum of its tokens' IDF weights, divided by the square root of
    the sum of their squares (an L2 norm that counts a repeated token as many times as it
    occurs). Every piece of that is a sum over occurrences, so any span of a text (a chunk,
    a clause) is scored from prefix sums without counting its tokens again; sublinear TF
    with an exact norm scored the same on the dev split (mean AP within 0.002) at twice the
    cost."""

    def __init__(self, spec: FeatureSpec, vocabulary: list[str], idf: np.ndarray) -> None:
        if len(vocabulary) != len(idf):
            raise ValueError("vocabulary and idf differ in length")
        self.spec = spec
        self.vocabulary = vocabulary
        self.idf = idf.astype(np.float32)
        keyed: list[tuple[int, int]] = []
        self._words: dict[str, int] = {}
        syllables: dict[str, int] = {}
        pairs: list[tuple[str, str, int]] = []
        for index, token in enumerate(vocabulary):
            if token.startswith("w:"):
                self._words[token[2:]] = index
            elif token.startswith("p:"):
                first, _, second = token[2:].partition("_")
                if second:
                    pairs.append((first, second, index))
                else:
                    syllables[first] = index
            elif 0 < len(token) <= spec.char_max:
                keyed.append((_tagged(_key(token), len(token)), index))
        # Syllable ids: position in the vocabulary's unigram list; vocabulary index per id.
        self._syllable_id = {syllable: n for n, syllable in enumerate(sorted(syllables))}
        self._syllable_index = np.array([syllables[s] for s in sorted(syllables)], dtype=np.intp)
        self._pair_base = len(self._syllable_id) + 1
        keyed.extend(
            (_tagged(self._syllable_id[a] * self._pair_base + self._syllable_id[b], _PAIR), index)
            for a, b, index in pairs
            if a in self._syllable_id and b in self._syllable_id
        )
        # Every n-gram and syllable pair in one table: one lookup per text.
        self._index = KeyIndex(keyed)
        self._tags = np.array([_TAGS[n] for n in range(1, spec.char_max + 1)], dtype=np.uint64)
        # Code point -> syllable id (-1: none or not in the vocabulary; -2: not looked up yet).
        self._pinyin = np.full(_TOP + 1, -2, dtype=np.intp)

    @classmethod
    def fit(cls, texts: list[str], spec: FeatureSpec, min_df: int = 2) -> Vectorizer:
        """Vocabulary of tokens in at least ``min_df`` texts, sorted (so the same corpus
        gives the same artefact bytes)."""
        df: Counter[str] = Counter()
        for text in texts:
            df.update(set(tokens(text, spec)))
        vocabulary = sorted(token for token, count in df.items() if count >= min_df)
        n = len(texts)
        idf = np.array(
            [math.log((1 + n) / (1 + df[token])) + 1.0 for token in vocabulary], dtype=np.float32
        )
        return cls(spec, vocabulary, idf)

    def occurrences(self, text: str) -> Occurrences:
        """The known tokens of ``text``'s canonical form (positions index that form)."""
        return self.occurrences_of(canonical(text))

    def occurrences_of(self, canonical_text: str, codes: np.ndarray | None = None) -> Occurrences:
        """As :meth:`occurrences`, of a text already canonical (``codes``: its
        :func:`code_points`, when the caller has them)."""
        length = len(canonical_text)
        if not length:
            return _NONE
        codes = (code_points(canonical_text) if codes is None else codes).astype(np.uint64)
        inside = ~_break_table()[codes]
        # (position, n) keys, position-major, so the tokens found come out in text order; an
        # n-gram across a break is key 0, which no token has (an empty slot of the index).
        width = self.spec.char_max
        keys = np.zeros((length, width), dtype=np.uint64)
        key = codes
        ok = inside
        for n in range(1, width + 1):
            count = length - n + 1
            if count <= 0:
                break
            if n > 1:
                key = (key[:count] << np.uint64(16)) | codes[n - 1 :]
                ok = ok[:count] & inside[n - 1 :]
            keys[:count, n - 1] = (key ^ self._tags[n - 1]) * ok
        indices = self._index.find(keys.ravel())
        hit = np.flatnonzero(indices >= 0)
        found = indices[hit]
        positions = hit // width
        if not (self.spec.pinyin or self.spec.words):
            return Occurrences(found, positions)
        more_found = [found]
        more_where = [positions]
        if self.spec.pinyin:
            self._pinyin_tokens(codes.astype(np.intp), more_found, more_where)
        if self.spec.words:
            self._word_tokens(canonical_text, more_found, more_where)
        positions = np.concatenate(more_where)
        order = np.argsort(positions, kind="stable")
        return Occurrences(np.concatenate(more_found)[order], positions[order])

    def _pinyin_tokens(
        self, codes: np.ndarray, found: list[np.ndarray], where: list[np.ndarray]
    ) -> None:
        ids = self._pinyin[codes]
        if (ids == -2).any():
            for code in np.unique(codes[ids == -2]).tolist():
                char = chr(code)
                syllable = _syllable(char) if _HAN.match(char) else ""
                self._pinyin[code] = self._syllable_id.get(syllable, -1)
            ids = self._pinyin[codes]
        known = np.flatnonzero(ids >= 0)
        found.append(self._syllable_index[ids[known]])
        where.append(known)
        both = np.flatnonzero((ids[:-1] >= 0) & (ids[1:] >= 0))
        keys = (ids[both] * self._pair_base + ids[both + 1]).astype(np.uint64) ^ _TAGS[_PAIR]
        indices = self._index.find(keys)
        hit = indices >= 0
        found.append(indices[hit])
        where.append(both[hit])

    def _word_tokens(self, text: str, found: list[np.ndarray], where: list[np.ndarray]) -> None:
        indices: list[int] = []
        starts: list[int] = []
        offset = 0
        for run in _BREAK.split(text):
            at = text.find(run, offset) if run else offset
            if run:
                for word, start in _words(run):
                    index = self._words.get(word) if len(word) > 1 else None
                    if index is not None:
                        indices.append(index)
                        starts.append(at + start)
                offset = at + len(run)
        found.append(np.array(indices, dtype=np.intp))
        where.append(np.array(starts, dtype=np.intp))

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(indices, weights) of the whole text's known tokens (training reads texts so)."""
        occurrences = self.occurrences(text)
        if not len(occurrences.indices):
            return occurrences.indices, np.zeros(0, np.float32)
        weights = self.idf[occurrences.indices]
        columns, inverse = np.unique(occurrences.indices, return_inverse=True)
        summed = np.bincount(inverse, weights=weights).astype(np.float32)
        norm = np.float32(np.sqrt(np.dot(weights, weights)))
        return columns, summed / norm
