"""Text analysis shared by the hashed embedder and BM25: normalisation, jieba words and
character n-grams.

Chinese has no spaces and jieba's segmentation of spoken, ASR-written text is unreliable
(「太贵了」 may come out as one token or three), so words are complemented by character
bigrams and trigrams, which match whatever the segmentation did.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[.'-][a-z0-9]+)*")
_WORDLIKE = re.compile(rf"[{_CJK}a-z0-9]")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


def normalize(text: str) -> str:
    """NFKC (full-width letters and digits to ASCII) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    import jieba  # a required dependency, imported late: loading its dictionary takes ~0.7 s

    jieba.setLogLevel(logging.WARNING)
    # jieba's default tokenizer: the insight extractor loads the same dictionary, so a process
    # running both pays for it once. Nothing here adds words to it.
    jieba.initialize()
    return jieba.dt


def warm_up() -> None:
    """Load jieba's dictionary now rather than on the first query."""
    _tokenizer()


def words(normalized: str) -> list[str]:
    """jieba tokens of an already normalised text, without punctuation and spaces.

    HMM is off: new-word discovery costs time and makes the same phrase segment differently
    in different contexts, which hurts matching more than unknown words do."""
    return [
        token
        for token in _tokenizer().lcut(normalized, HMM=False)
        if _WORDLIKE.search(token) is not None
    ]


def char_ngrams(normalized: str, sizes: Iterable[int] = (2, 3)) -> list[str]:
    """Character n-grams inside runs of Chinese characters (never across punctuation)."""
    grams: list[str] = []
    for run in _RUNS.findall(normalized):
        if not ("\u3400" <= run[0] <= "\ufaff"):
            continue  # Latin words are already whole tokens
        for size in sizes:
            grams.extend(run[i : i + size] for i in range(len(run) - size + 1))
    return grams


def tail_window(text: str, limit: int) -> str:
    """The last ``limit`` characters of ``text``, starting at a sentence boundary when one is
    near: in a long transcript the newest words are at the end, and a query must stay fast."""
    if len(text) <= limit:
        return text
    window = text[-limit:]
    # Drop a cut-off first sentence if the next one starts within the first fifth.
    match = _SENTENCE_END.search(window, 0, max(1, limit // 5))
    return window[match.end() :] if match is not None else window
