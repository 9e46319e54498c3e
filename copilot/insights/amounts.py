"""Amounts of money in speech: 五十万, 三十到五十万, 十五个W, 八十来万, 一个亿, 500k, 1.2M, 60万,
五位数.

Only numbers that carry a money unit (or a 万/亿 and no counting word after them) are money:
三个月, 几百张照片, 72小时, 第一期, 两个人 and 打五折 are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from copilot.insights.lexicon import BudgetLexicon
from copilot.insights.numbers import (
    BIG_UNITS,
    DIGIT_CHARS,
    LEADING_CHARS,
    NUMERAL_CHARS,
    SMALL_UNITS,
    parse_number,
    parse_range,
)

_UNIT_CHARS = "".join(SMALL_UNITS) + "".join(BIG_UNITS)
# A number starts at a word boundary: Arabic digits not inside a word (U8, 5G), a Chinese
# numeral not inside another one (一百二十万 is never read from its 二十万).
# Bounded lengths: nothing longer is an amount of money, and a run of 2,000 digits must not
# become a 2,000-digit budget.
_NUMERAL = (
    # Digits and units mixed, as recognised speech writes them: 12万8, 7万6千8, 1百50万.
    rf"(?:(?<![A-Za-z\d.])\d{{1,4}}(?:[{_UNIT_CHARS}]{{1,2}}\d{{1,4}})+[{_UNIT_CHARS}]{{0,2}}(?![\d.])"
    rf"|(?<![A-Za-z\d.])\d{{1,13}}(?:,\d{{3}}){{0,4}}(?:\.\d{{1,4}})?[{_UNIT_CHARS}]{{0,3}}"
    # A Chinese decimal before 万 or 亿 (一点二亿, 三点五个亿, 一点五到两个亿), never 十二点
    # (the hour).
    rf"|(?<![{NUMERAL_CHARS}])[{LEADING_CHARS}][{NUMERAL_CHARS}]{{0,3}}点[{DIGIT_CHARS}]{{1,3}}"
    rf"(?:[万亿]|(?=个[万亿]|(?:到|至)[{LEADING_CHARS}]))"
    # About one of a unit: 百把万, 千把块, 万把块钱, 个把亿.
    rf"|(?<![{NUMERAL_CHARS}])(?:[百千万]|个)把(?=[万亿块元])"
    # Half of one: 半个亿.
    rf"|(?<![{NUMERAL_CHARS}])半(?=个?[万亿])"
    rf"|(?<![{NUMERAL_CHARS}])[{LEADING_CHARS}][{NUMERAL_CHARS}]{{0,15}})"
)
# What 百把万, 千把块 and 个把亿 are about one of.
_ABOUT_ONE = {"百": "一百", "千": "一千", "万": "一万", "个": "一"}
# 、 between two numbers is how recognised speech writes an approximation (五、六十万).
_RANGE_SEPARATORS = "到|至|~|～|-|—|或者|或|、"


@dataclass(frozen=True)
class MoneyMention:
    """One amount as said, in CNY. ``low == high`` unless a range was said."""

    start: int
    end: int
    low: Decimal
    high: Decimal
    ranged: bool  # two numbers (三十到五十万) or a range numeral (二三十万, 十几万)
    modifier: str  # 多 / 来 / 余 after the number, 把 in 百把万, or ""
    bare: bool  # no money unit at all (每个月三千): money only next to a budget word
    digit_count: bool = False  # 五位数: a count of digits, not a number

    @property
    def value(self) -> Decimal:
        return (self.low + self.high) / 2


class MoneyFinder:
    def __init__(self, lexicon: BudgetLexicon) -> None:
        self._units = lexicon.units
        units = "|".join(re.escape(u) for u in sorted(self._units, key=len, reverse=True))
        # A Latin unit (W, k, M) must not be the start of a word (5Mbps, 2kg).
        self._pattern = re.compile(
            rf"(?P<a>{_NUMERAL})"
            rf"(?:(?P<sep>{_RANGE_SEPARATORS})(?P<b>{_NUMERAL}))?"
            rf"(?P<mod>多|来|余)?(?P<ge>个)?(?P<half>半)?(?P<late>来|多)?"
            rf"(?P<unit>(?:{units})(?![A-Za-z]))?"
        )
        self._classifiers = tuple(lexicon.classifiers_after)
        self._not_counting = tuple(lexicon.not_counting_after)
        self._per_one = tuple(lexicon.counted_by_one_after)
        # 个 for 万 before an approximation that qualifies no noun (五十个左右的座席 counts).
        words = "|".join(map(re.escape, lexicon.ge_for_wan_before))
        self._ge_for_wan = re.compile(f"(?:{words})(?!的)")
        self._foreign = tuple(lexicon.foreign_currency_after)

    def find(self, text: str) -> list[MoneyMention]:
        mentions: list[MoneyMention] = []
        for match in self._pattern.finditer(text):
            mention = self._mention(text, match)
            if mention is not None:
                mentions.append(_in_wan_of(text, mention, mentions))
        return mentions

    def _mention(self, text: str, match: re.Match[str]) -> MoneyMention | None:
        first, second = _no_trillions(match["a"]), match["b"] and _no_trillions(match["b"])
        unit, counted = match["unit"], match["ge"]
        about = ""
        if first.endswith("把"):
            first, about = _ABOUT_ONE[first[:-1]], "把"
        end = match.end()
        last = second or first
        numeral_end = match.end("b") if second else match.end("a")
        if (
            not unit
            and len(last) > 2
            and last[-2] in BIG_UNITS
            and last[-1] == "一"
            and text.startswith(self._per_one, numeral_end)
        ):
            # 三十万一年, 二十万一个月: the 一 counts the year or month, it is no 300,001.
            end = numeral_end - 1
            counted = None
            if second:
                second = second[:-1]
            else:
                first = first[:-1]
        following = text[end : end + 4]
        if match.start() > 0 and text[match.start() - 1] == "第":
            return None  # an ordinal: 第一期
        if not unit and not second and following.startswith("位数"):
            return _digits_long(match.start(), end + 2, first)
        has_big_unit = any(ch in BIG_UNITS for ch in first + (second or ""))
        # 预算五十个左右: sales talk's 个 for 万, only before an approximation and (bare)
        # next to a budget word; 十几个销售, 一万个客户 count things.
        slang = bool(
            counted and not unit and not has_big_unit and self._ge_for_wan.match(text, end)
        )
        if counted and not unit and not slang:
            return None
        if following.startswith(self._foreign):
            return None  # not CNY
        if (
            not unit
            and following.startswith(self._classifiers)
            # 350万年初定的: recognised speech without its comma; a time word, not 万年.
            and not (has_big_unit and following.startswith(self._not_counting))
        ):
            return None  # 十万用户, 两万条数据
        first_range = (Decimal("0.5"),) * 2 if first == "半" else parse_range(first)
        if first_range is None:
            return None
        low, high = first_range
        if match["half"] and not second:
            if not unit:
                return None  # 一个半小时
            low, high = low + Decimal("0.5"), high + Decimal("0.5")  # 一个半亿
        if second:
            second_range = parse_range(second)
            if second_range is None:
                return None
            if match["sep"] == "、" and low == high < 10:
                # 五、六十万 and 2、300万 say 五六十万 and 二三百万: the lone digit stands in
                # the second number's leading place.
                low *= _leading_place(second)
            # 三十到五十万: the first number borrows the second one's 万/亿.
            if not any(ch in BIG_UNITS for ch in first) and second[-1] in BIG_UNITS:
                low *= BIG_UNITS[second[-1]]
            high = second_range[1]
        multiplier = Decimal(self._units[unit]) if unit else Decimal(10_000 if slang else 1)
        # 一亿到两个亿: the unit after the range is the second number's; the first has its own.
        own_unit = bool(second) and any(ch in BIG_UNITS for ch in first)
        low, high = low * (1 if own_unit else multiplier), high * multiplier
        if second and low > high:
            # 95万到20万: one end misheard (十五万到二十万); which one is unknown, so the
            # budget is reported as the span between them rather than lost.
            low, high = high, low
        if low > high or high <= 0:
            return None
        bare = (not unit and not has_big_unit) or slang
        modifier = match["mod"] or match["late"] or about  # 八十来万, 一个来亿, 百把万
        if modifier in ("多", "余") and not second:
            # 五十多万: between 50 and 60 (the last stated place plus one).
            place = _last_place(first) * multiplier
            high = low + place
        return MoneyMention(
            start=match.start(),
            end=end,
            low=low,
            high=high,
            ranged=low != high and not modifier,
            modifier=modifier,
            bare=bare,
        )


# A bare number this close after an amount in 万 (报的一百八十万，批下来一百五) is in 万 too …
_INHERIT_REACH = 30
# … when it ends its phrase (一百五。, 一百五就一百五吧), not when it counts days or people.
_INHERIT_ENDS = "，。！？、；,.!?：:吧就了啊呀嘛呢"


def _in_wan_of(text: str, mention: MoneyMention, before: list[MoneyMention]) -> MoneyMention:
    """``mention`` in 万 when it is a small bare number said right after an amount in 万 of
    about its size (一百八十万 … 一百五 is 150万); else as it is."""
    if not mention.bare or mention.digit_count or mention.high >= 1000 or not before:
        return mention
    previous = before[-1]
    following = text[mention.end : mention.end + 1]
    wan = previous.value / 10_000
    if (
        previous.bare
        or mention.start - previous.end > _INHERIT_REACH
        or (following and following not in _INHERIT_ENDS)
        or previous.value % 10_000
        or not 1 <= wan < 10_000
        or not wan / 3 <= mention.value <= wan * 3
    ):
        return mention
    return replace(mention, low=mention.low * 10_000, high=mention.high * 10_000, bare=False)


def _digits_long(start: int, end: int, count: str) -> MoneyMention | None:
    """五位数: an amount of that many digits (10,000 to 99,999), money only next to a budget
    word (六位数的密码 is no money)."""
    digits = parse_number(count)
    if digits is None or not 1 <= digits <= 12 or digits != int(digits):
        return None
    low = Decimal(10) ** (int(digits) - 1)
    return MoneyMention(
        start, end, low, low * 10 - 1, ranged=True, modifier="", bare=True, digit_count=True
    )


def _no_trillions(numeral: str) -> str:
    """万亿 in a sales call is speech recognition adding 亿 to 万 (十到十五万亿 for 十到十五万。
    一…): nobody budgets trillions."""
    return numeral[:-1] if numeral.endswith("万亿") else numeral


def _leading_place(numeral: str) -> Decimal:
    """The place of a round number's leading digit, below its 万/亿: 六十万 -> 10, 300万 ->
    100; 1 when it is not round (六十五万) or a single digit."""
    small = parse_range(numeral.rstrip("".join(BIG_UNITS)))
    if small is None or small[0] != small[1] or small[0] < 10:
        return Decimal(1)
    value = int(small[0])
    place = 10 ** (len(str(value)) - 1)
    return Decimal(place if value % place == 0 else 1)


def _last_place(numeral: str) -> Decimal:
    """The value of the lowest stated place: 50 -> 10, 100 -> 100, 3千 -> 1000, 一百五 -> 10."""
    value = parse_range(numeral)
    if value is None or value[0] == 0:
        return Decimal(1)
    number = int(value[0])
    place = 1
    while number % (place * 10) == 0:
        place *= 10
    return Decimal(place)
