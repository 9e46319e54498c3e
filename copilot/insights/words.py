"""How common a two-character word is, and which words are place names, from jieba's
dictionary.

Names found inside running text must not cut through an ordinary word: 「八百客户」 is 800
customers, not the vendor 八百客; 「价钱总是」 is no Mr 钱. jieba's word frequencies tell us which
character pairs are ordinary words.
"""

from __future__ import annotations

import logging
from functools import lru_cache


@lru_cache(maxsize=1)
def _frequencies() -> dict[str, int]:
    import jieba  # a required dependency; imported late because loading it takes ~0.7 s

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    frequencies: dict[str, int] = jieba.dt.FREQ
    return frequencies


def frequency(word: str) -> int:
    return _frequencies().get(word, 0)


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    import jieba

    places = set()
    with jieba.get_dict_file() as lines:  # "word frequency tag" per line
        for raw in lines:
            parts = raw.decode("utf-8").split()
            if len(parts) == 3 and parts[2] == "ns":
                places.add(parts[0])
    return frozenset(places)


def is_place(word: str) -> bool:
    """Whether jieba's dictionary tags ``word`` as a place name (兰陵, 长沙)."""
    return word in _places()


def cuts_word(
    text: str, start: int, end: int, min_frequency: int, rebind_left: bool = False
) -> bool:
    """Whether text[start:end] starts or ends in the middle of a common word: the character
    before it plus its first one, or its last one plus the character after it.

    With ``rebind_left`` the character before is not counted as cut off when it ends a word
    at least as common with the character before it: in 「不过分享销客」 the 过 belongs to 不过,
    not to 过分, so 分享销客 starts a word whatever filler precedes it."""
    left = text[start - 1 : start + 1] if start > 0 else ""
    right = text[end - 1 : end + 1] if end < len(text) else ""
    if len(right) == 2 and frequency(right) >= min_frequency:
        return True
    if len(left) != 2 or frequency(left) < min_frequency:
        return False
    return not (
        rebind_left and start >= 2 and frequency(text[start - 2 : start]) >= frequency(left)
    )


def warm_up() -> None:
    """Load the dictionary now (at start-up) rather than on the first utterance."""
    _frequencies()
    _places()
