"""Numbers as people say them: 一百二十万, 两万五, 1.2, 3千, 二三十, 十几.

The numeral grammar itself (character tables, :func:`parse_chinese`) lives in
compliance.numbers; this module reads amounts and ranges with it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from compliance.numbers import BIG_UNITS, SMALL_UNITS, parse_chinese, spell_mixed
from compliance.numbers import CHINESE_DIGITS as DIGITS
from compliance.numbers import parse_number as parse_decimal

VAGUE = "几"  # 十几, 几十: "some"
NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + VAGUE
# A numeral may only start with a digit, 十 or 几: 「万一」, 「千万别」 and 「百分之」 are words.
LEADING_CHARS = "".join(DIGITS) + "十拾" + VAGUE
DIGIT_CHARS = "".join(DIGITS)


def parse_arabic(numeral: str) -> Decimal | None:
    """1,200 / 1.5 / 3千 / 1.2万 (Arabic digits, optionally followed by Chinese units)."""
    digits = numeral.rstrip("".join(SMALL_UNITS) + "".join(BIG_UNITS))
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None
    return _times_units(value, numeral[len(digits) :])


def _times_units(value: Decimal, units: str) -> Decimal:
    """``value`` followed by the unit characters ``units`` (1.2 and 万 -> 12000)."""
    for ch in units:
        value *= SMALL_UNITS.get(ch) or BIG_UNITS[ch]
    return value


def parse_number(numeral: str) -> Decimal | None:
    """An exact number, Arabic or Chinese; None for anything vague (十几) or malformed."""
    if not numeral:
        return None
    if "点" in numeral:  # 一点二, 一点二亿
        digits = numeral.rstrip("".join(BIG_UNITS))
        decimal = parse_decimal(digits)
        if decimal is None:
            return None
        return _times_units(Decimal(str(decimal)), numeral[len(digits) :])
    numeral = spell_mixed(numeral)
    if numeral[0].isdigit():
        return parse_arabic(numeral)
    value = parse_chinese(numeral)
    return None if value is None else Decimal(value)


def parse_range(numeral: str) -> tuple[Decimal, Decimal] | None:
    """The bounds of a numeral that names a range: 二三十 (20–30), 三五十万 (30万–50万),
    十几 (11–19), 几十 (20–90). An exact numeral gives equal bounds."""
    if not numeral:
        return None
    numeral = spell_mixed(numeral)
    if VAGUE in numeral:
        low = parse_number(numeral.replace(VAGUE, "一" if numeral.startswith("十") else "二"))
        high = parse_number(numeral.replace(VAGUE, "九"))
        return (low, high) if low is not None and high is not None and low < high else None
    if len(numeral) == 2 and 0 < DIGITS.get(numeral[0], 0) < DIGITS.get(numeral[1], 0):
        # 两三个亿, 七八个W: two digits before the unit say a range, not 23.
        return Decimal(DIGITS[numeral[0]]), Decimal(DIGITS[numeral[1]])
    exact = parse_number(numeral)
    if exact is not None:
        return exact, exact
    # Two digits in a row before a unit: 二三十万 = 二十万 to 三十万.
    for i in range(len(numeral) - 2):
        first, second = numeral[i], numeral[i + 1]
        if first in DIGITS and second in DIGITS and numeral[i + 2] not in DIGITS:
            low = parse_number(numeral[: i + 1] + numeral[i + 2 :])
            high = parse_number(numeral[:i] + numeral[i + 1 :])
            if low is not None and high is not None and low < high:
                return low, high
            return None
    return None
