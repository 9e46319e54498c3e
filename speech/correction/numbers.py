"""Numbers with a price unit whose unit was misheard: 打七德 -> 打七折, 五十完 -> 五十万.

The unit is recognised by its sound (any character read like 折: 德, 则, 哲, 者 …) right
after a numeral; price talk nearby, or a word that settles it (打 before a discount), makes
the sound the unit. A misheard numeral (录 for 六) is corrected only in the settled pattern
(打录则 -> 打六折).
"""

from __future__ import annotations

import re

from speech.correction import data
from speech.correction.context import Sentence, word_freq
from speech.correction.data import UnitPattern
from speech.correction.edits import Edit
from speech.correction.pinyin import char_sound, syllable_cost

# Toneless pinyin of each numeral: what a misheard numeral sounds like (录 lu ~ 六 liu).
NUMERAL_SOUNDS = {
    "yi": "一",
    "er": "二",
    "liang": "两",
    "san": "三",
    "si": "四",
    "wu": "五",
    "liu": "六",
    "qi": "七",
    "ba": "八",
    "jiu": "九",
    "shi": "十",
}
# A misheard numeral sounds at most this far from the real one (录 lu ~ 六 liu).
MAX_NUMERAL_COST = 0.3
# The heard pair is itself a word this common (两者, 一则): only 打 before it overrides.
PAIR_WORD_FREQ = 20
# The misheard unit starts a word this common with what follows (完成): not a unit.
NEXT_WORD_FREQ = 50


class UnitCorrector:
    """Finds misheard units after numerals; cheap enough for partials."""

    def __init__(self) -> None:
        spec = data.units()
        numerals = re.escape(spec.numerals)
        self._patterns = [
            (
                unit,
                re.compile(
                    rf"(?P<num>[{numerals}0-9]+(?:\.[0-9]+)?)"
                    + ("个" if unit.after_ge else "")
                    + r"(?P<unit>[\u4e00-\u9fff])"
                ),
            )
            for unit in spec.units
        ]
        self._settled_units = [unit for unit in spec.units if unit.strong_before]
        self._numerals = set(spec.numerals)

    def edits(self, sentence: Sentence, *, partial: bool = False) -> list[Edit]:
        text = sentence.text
        found: list[Edit] = []
        for unit, pattern in self._patterns:
            for match in pattern.finditer(text):
                heard = match.group("unit")
                if heard == unit.unit or char_sound(heard) not in unit.sounds:
                    continue
                strong = _settled(sentence, match.start("num"), unit)
                number = match.group("num")
                if not strong and re.search(r"[0-9]", number) and re.search(r"[^0-9.]", number):
                    continue  # 1580一晚: digits then a numeral word are not one number
                if heard in unit.only_settled and not strong:
                    continue
                cue_end = match.end() if not unit.cues_before_only else len(text)
                if not strong and not sentence.has_context(match.start(), cue_end, unit.context):
                    continue
                # 一则, 两者: one numeral and the heard character make a word of their own.
                single = match.end("num") - match.start("num") == 1
                pair = text[match.end("num") - 1] + heard
                if single and not strong and word_freq(pair) >= PAIR_WORD_FREQ:
                    continue
                if _starts_word(text, match.start("unit")):
                    continue
                at = match.start("unit")
                confidence = 0.95 if strong else 0.8
                found.append(Edit(at, at + 1, heard, unit.unit, "vocab", confidence))
        if not partial:
            found.extend(self._misheard_numerals(sentence))
            found.extend(self._misheard_round_numerals(sentence))
        return found

    def _misheard_round_numerals(self, sentence: Sentence) -> list[Edit]:
        """十 or 百 misheard before 来万/多万 (顶多时来万块钱 -> 十来万): the approximation and
        the unit settle it, with money talk nearby."""
        text = sentence.text
        found: list[Edit] = []
        for match in _ROUND_AMOUNT.finditer(text):
            heard, at = match.group("num"), match.start()
            if heard in self._numerals or (at and text[at - 1] in self._numerals):
                continue
            cost, numeral = _closest_numeral(heard, _ROUND_NUMERALS)
            if cost > MAX_NUMERAL_COST:
                continue
            if word_freq(heard + match.group("approx")) >= PAIR_WORD_FREQ:
                continue  # 起来万一: 起来 is a word
            if word_freq(text[max(0, at - 1) : at + 1]) >= PAIR_WORD_FREQ:
                continue  # 当时来万: the character ends a word before it
            if not sentence.has_context(at, len(text), _ROUND_CONTEXT):
                continue
            found.append(Edit(at, at + 1, heard, numeral, "vocab", round(0.9 - cost / 2, 3)))
        return found

    def _misheard_numerals(self, sentence: Sentence) -> list[Edit]:
        text = sentence.text
        found: list[Edit] = []
        for unit in self._settled_units:
            for word in unit.strong_before:
                for match in re.finditer(re.escape(word), text):
                    if not _alone(sentence, match.start(), match.end()):
                        continue
                    edit = self._misheard_numeral(text, match.end(), unit)
                    if edit is not None:
                        found.append(edit)
        return found

    def _misheard_numeral(self, text: str, at: int, unit: UnitPattern) -> Edit | None:
        """``text[at:]`` starts with a character sounding like a numeral, then the unit."""
        end = at + (3 if unit.after_ge else 2)
        heard = text[at:end]
        if len(heard) < end - at or (unit.after_ge and heard[1] != "个"):
            return None
        heard_num, heard_unit = heard[0], heard[-1]
        if heard_num in self._numerals or not _CJK_CHAR.match(heard_num):
            return None
        if heard_unit != unit.unit and (
            char_sound(heard_unit) not in unit.sounds or heard_unit in unit.only_settled
        ):
            return None
        cost, numeral = _closest_numeral(heard_num, NUMERAL_SOUNDS)
        if cost > MAX_NUMERAL_COST or word_freq(heard_num + heard[1]) >= PAIR_WORD_FREQ:
            return None
        if heard_unit != unit.unit and _starts_word(text, end - 1):
            return None
        replacement = numeral + heard[1:-1] + unit.unit
        return Edit(at, end, heard, replacement, "vocab", round(0.95 - cost / 2, 3))


_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_ROUND_AMOUNT = re.compile(r"(?P<num>[\u4e00-\u9fff])(?P<approx>来|多)万")
# Only these take 来/多 straight before 万 (十来万, 百多万; never 四多万).
_ROUND_NUMERALS = {"shi": "十", "bai": "百"}
# Money words after or around it: 十来万块钱, 预算十来万.
_ROUND_CONTEXT = ("块", "钱", "元", "预算", "费用", "价格", "报价", "顶多", "最多", "大概", "左右")


def _closest_numeral(heard: str, sounds: dict[str, str]) -> tuple[float, str]:
    """The numeral of ``sounds`` (pinyin -> numeral) nearest in sound to ``heard``, and how
    far it is."""
    sound = char_sound(heard)
    return min((syllable_cost(sound, pinyin), numeral) for pinyin, numeral in sounds.items())


def _settled(sentence: Sentence, start: int, unit: UnitPattern) -> bool:
    """A word that settles the unit stands right before the numeral (打七德), on its own
    (the 打 of 实打实 settles nothing)."""
    text = sentence.text
    return any(
        text.endswith(word, 0, start) and _alone(sentence, start - len(word), start)
        for word in unit.strong_before
    )


def _alone(sentence: Sentence, start: int, end: int) -> bool:
    """``text[start:end]`` is not the inside of a longer dictionary word."""
    token = sentence.token_around(start)
    return len(token) <= end - start or not sentence.word_at(start, start + len(token))


def _starts_word(text: str, at: int) -> bool:
    """The character at ``at`` begins a common word with what follows it."""
    return any(
        word_freq(text[at : at + length]) >= NEXT_WORD_FREQ
        for length in (2, 3)
        if at + length <= len(text)
    )
