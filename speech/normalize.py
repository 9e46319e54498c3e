"""Chinese text clean-up for recognised speech: script, punctuation, hallucinations, loops."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import cn2an
import opencc
import yaml

_HALLUCINATIONS = Path(__file__).parent / "data" / "hallucinations.yaml"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HALF_TO_FULL = str.maketrans({",": "，", "?": "？", "!": "！", ":": "：", ";": "；"})
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}，。？！：；、])\s+|\s+(?=[{_CJK}，。？！：；、])")
# A full stop is ambiguous next to digits (1.2M) so only CJK-adjacent ones are converted.
_CJK_PERIOD = re.compile(rf"(?<=[{_CJK}])\.(?!\d)")
_CJK_HALF_PUNCT = re.compile(rf"(?<=[{_CJK}])[,?!:;]|[,?!:;](?=\s*[{_CJK}])")
_REPEATED_PUNCT = re.compile(r"([，。？！：；、])[，。？！：；、]+")
# Decoding loops, not speech: a short unit said 4+ times in a row (「好的好的」 is speech,
# eight times is not), or a phrase of 5+ characters said twice or more back to back.
_SHORT_LOOP = re.compile(r"(.{1,4}?)\1{3,}")
_PHRASE_LOOP = re.compile(r"(.{5,}?)\1+")
_NON_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


def collapse_loops(text: str) -> str:
    """Undo Whisper's repetition loops, including the cut-off copy a loop often ends in."""
    text = _SHORT_LOOP.sub(lambda m: m.group(1) * 2, text)
    pieces: list[str] = []
    while match := _PHRASE_LOOP.search(text):
        unit, rest = match.group(1), text[match.end() :]
        overlap = next((k for k in range(len(unit) - 1, 1, -1) if rest.startswith(unit[:k])), 0)
        pieces.append(text[: match.start()] + unit)
        text = rest[overlap:]
    return "".join(pieces) + text


def normalize_text(text: str) -> str:
    """Simplified characters, Chinese punctuation, no stray spaces, no repetition loops."""
    text = to_simplified(text.replace("\ufffd", "").strip())
    text = _SPACE_BETWEEN_CJK.sub("", text)
    text = _CJK_PERIOD.sub("。", text)
    text = _CJK_HALF_PUNCT.sub(_full_width, text)
    text = _SPACE_BETWEEN_CJK.sub("", text)  # again: 「OK, 我们」 only now has a 「，」
    text = _REPEATED_PUNCT.sub(r"\1", text)
    text = collapse_loops(text)
    return text.strip("，、；： ")


def _full_width(match: re.Match[str]) -> str:
    return match.group(0).translate(_HALF_TO_FULL)


@lru_cache(maxsize=1)
def _hallucination_lists() -> tuple[frozenset[str], tuple[str, ...]]:
    data = yaml.safe_load(_HALLUCINATIONS.read_text(encoding="utf-8"))
    exact = frozenset(_bare(to_simplified(line)) for line in data["exact"])
    contains = tuple(_bare(to_simplified(line)) for line in data["contains"])
    return exact, contains


def _bare(text: str) -> str:
    return _NON_WORD.sub("", text)


def is_hallucination(text: str) -> bool:
    """True for empty text and the credit lines Whisper invents on silence or noise."""
    bare = _bare(to_simplified(text))
    if not bare:
        return True
    exact, contains = _hallucination_lists()
    return bare in exact or any(fragment in bare for fragment in contains)


_DIGIT_NAMES = "零一二三四五六七八九"
# Digits read one by one: a phone number (138-0855-3316, 13740052246), a code with a leading
# zero (0712), a year (2018年); anything else is a quantity (60万 -> 六十万).
_NUMBER = re.compile(r"\d+(?:[-\s]\d+)+|\d+(?:\.\d+)?")


def _said(number: str, year: bool) -> str:
    digits = [c for c in number if c.isdigit()]
    one_by_one = (
        not number.replace(".", "").isdigit()
        or (len(digits) >= 5 and "." not in number)
        or (number.startswith("0") and len(number) > 1 and "." not in number)
        or (year and len(digits) == 4)
    )
    if one_by_one:
        return "".join(_DIGIT_NAMES[int(c)] for c in digits)
    return str(cn2an.an2cn(number))


def normalize_for_scoring(text: str) -> str:
    """Canonical form for character error rate: simplified, no punctuation, numerals in
    Chinese (so 「60万」 and 「六十万」 count as the same words, and a phone number, a code or a
    year is read digit by digit as people say it: 138-0855 is 一三八零八五五), the telephone
    幺 as 一, Latin lower-cased."""
    text = to_simplified(text).replace("幺", "一")
    text = _NUMBER.sub(lambda m: _said(m.group(0), text.startswith("年", m.end())), text)
    return _bare(text).lower()


def character_error_rate(reference: str, hypothesis: str) -> float:
    """Edit distance between the scoring forms, divided by the reference length."""
    ref, hyp = normalize_for_scoring(reference), normalize_for_scoring(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return edit_distance(ref, hyp) / len(ref)


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]
