"""Numbers as people say them: 一百二十万, 两万五, 1.2, 3千, 二三十, 十几.

This is the grammar of Chinese numerals, not a lexicon, so the character tables live here.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    # Financial forms, as on invoices and in some transcripts.
    "壹": 1,
    "贰": 2,
    "叁": 3,
    "肆": 4,
    "伍": 5,
    "陆": 6,
    "柒": 7,
    "捌": 8,
    "玖": 9,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10**4, "亿": 10**8}
VAGUE = "几"  # 十几, 几十: "some"
NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(BIG_UNITS) + VAGUE
# A numeral may only start with a digit, 十 or 几: 「万一」, 「千万别」 and 「百分之」 are words.
LEADING_CHARS = "".join(DIGITS) + "十拾" + VAGUE


def parse_chinese(numeral: str) -> int | None:
    """The value of a Chinese numeral such as 一亿三千万零五 or 两万五, or None if it is not one.

    Digits written in a row without units are positional (二零二四 -> 2024). A digit after the
    last unit is read colloquially, one place lower (一万五 -> 15000, 一百五 -> 150), unless a
    零 says otherwise (一百零五 -> 105).
    """
    if not numeral or any(
        ch not in DIGITS and ch not in SMALL_UNITS and ch not in BIG_UNITS for ch in numeral
    ):
        return None
    if all(ch in DIGITS for ch in numeral):
        return int("".join(str(DIGITS[ch]) for ch in numeral))
    total = 0  # whole 亿 groups
    wan = 0  # the 万 group inside the current 亿 group
    section = 0  # 十/百/千 inside the current 万 group
    digit: int | None = None
    last_small = 10**4  # places inside a group must go down: 五千三百, never 五十百
    last_unit = 1
    zero_since_unit = False
    for ch in numeral:
        if ch in DIGITS:
            value = DIGITS[ch]
            if value == 0:
                zero_since_unit = True
            elif digit is not None:
                return None  # two digits in a row inside a numeral (二三十 is a range)
            else:
                digit = value
        elif ch in SMALL_UNITS:
            unit = SMALL_UNITS[ch]
            if unit >= last_small:
                return None
            if digit is None and unit != 10:
                return None  # only 十 stands alone (十五, 一百十)
            section += (digit or 1) * unit
            digit, last_small, last_unit, zero_since_unit = None, unit, unit, False
        else:
            unit = BIG_UNITS[ch]
            group = section + (digit or 0)
            if group == 0 and not (unit == BIG_UNITS["亿"] and wan):  # 一万亿 is fine
                return None
            if unit == BIG_UNITS["万"]:
                if wan:
                    return None
                wan = group * unit
            else:
                if total:
                    return None
                total = (wan + group) * unit
                wan = 0
            section, digit, last_small, last_unit = 0, None, 10**4, unit
            zero_since_unit = False
    tail = 0
    if digit is not None:
        tail = digit if zero_since_unit or last_unit == 1 else digit * last_unit // 10
    return total + wan + section + tail


def parse_arabic(numeral: str) -> Decimal | None:
    """1,200 / 1.5 / 3千 / 1.2万 (Arabic digits, optionally followed by Chinese units)."""
    digits = numeral.rstrip("".join(SMALL_UNITS) + "".join(BIG_UNITS))
    units = numeral[len(digits) :]
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation:
        return None
    for ch in units:
        value *= SMALL_UNITS.get(ch) or BIG_UNITS[ch]
    return value


def parse_number(numeral: str) -> Decimal | None:
    """An exact number, Arabic or Chinese; None for anything vague (十几) or malformed."""
    if not numeral:
        return None
    if numeral[0].isdigit():
        return parse_arabic(numeral)
    value = parse_chinese(numeral)
    return None if value is None else Decimal(value)


def parse_range(numeral: str) -> tuple[Decimal, Decimal] | None:
    """The bounds of a numeral that names a range: 二三十 (20–30), 三五十万 (30万–50万),
    十几 (11–19), 几十 (20–90). An exact numeral gives equal bounds."""
    if not numeral:
        return None
    if VAGUE in numeral:
        low = parse_number(numeral.replace(VAGUE, "一" if numeral.startswith("十") else "二"))
        high = parse_number(numeral.replace(VAGUE, "九"))
        return (low, high) if low is not None and high is not None and low < high else None
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
