"""Numbers in price talk: 七折, 六五折, 六点五折, 6.5折, 85折, 对折, 半价, 三成, 20%, 百分之二十.

This is the grammar of Chinese numerals, so its character tables live here, not in YAML.
It is the one place for that grammar: copilot.insights reads amounts with the same tables
and :func:`parse_chinese`.
A discount is expressed everywhere as ``off``, the fraction taken off the list price
(七折 → 0.30, 九折 → 0.10, 降价20% → 0.20, 便宜三成 → 0.30).
"""

from __future__ import annotations

import re

CHINESE_DIGITS = {
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
# Discount numerals mix scripts (85折, 6.5折), so digits here include the Arabic ones.
DIGITS: dict[str, int] = {**CHINESE_DIGITS, **{str(d): d for d in range(10)}}
DECIMAL_POINTS = "点."
_CHINESE_DIGITS = "零一二三四五六七八九"
_TO_CHINESE = str.maketrans("0123456789", _CHINESE_DIGITS)


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


def parse_integer(numeral: str) -> int | None:
    """:func:`parse_chinese` that also takes Arabic digits: 二十五 → 25, 65 → 65, 2万 → 20000,
    7万6千8 → 76800. None if ``numeral`` is not a whole number."""
    return parse_chinese(spell_mixed(numeral).translate(_TO_CHINESE))


_UNIT_CHARS = "".join(SMALL_UNITS) + "".join(BIG_UNITS)
_ARABIC_RUN = re.compile(r"\d+")
# Digits after a unit (12万8, 7万6千8, 1百50万), or two digits before 十/百/千 (56十万): how
# speech recognition writes 十二万八, 七万六千八, 一百五十万 and 五六十万.
_MIXED = re.compile(rf"[{_UNIT_CHARS}]\d|^\d\d[{''.join(SMALL_UNITS)}]")


def spell_mixed(numeral: str) -> str:
    """A numeral written half in Arabic digits as speech recognition writes what was said,
    in Chinese numerals as it was said: 12万8 -> 十二万八 (128,000), 1百50万 -> 一百五十万,
    56十万 -> 五六十万 (a range, 50万 to 60万). Anything else comes back as it is (60万, 1.2万,
    3千 read well as they are)."""
    if not _MIXED.search(numeral) or "." in numeral or "," in numeral:
        return numeral

    def spelt(match: re.Match[str]) -> str:
        digits = match.group()
        if match.start() == 0 and len(digits) == 2 and numeral[2:3] in SMALL_UNITS:
            return "".join(_CHINESE_DIGITS[int(d)] for d in digits)  # 56十万: two digits, a range
        return _chinese(int(digits)) if len(digits) <= 4 else digits

    return _ARABIC_RUN.sub(spelt, numeral)


def _chinese(number: int) -> str:
    """0–9999 in Chinese numerals: 12 -> 十二, 50 -> 五十, 105 -> 一百零五, 3000 -> 三千."""
    if number < 10:
        return _CHINESE_DIGITS[number]
    out: list[str] = []
    zero = False
    for unit, place in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit = number // place % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(("" if unit == "十" and number < 20 else _CHINESE_DIGITS[digit]) + unit)
    return "".join(out)


def parse_number(numeral: str) -> float | None:
    """Whole or decimal numbers in Chinese or Arabic digits: 六点五 → 6.5, 6.5 → 6.5,
    二十五 → 25. None if ``numeral`` is not a number."""
    for point in DECIMAL_POINTS:
        if point in numeral:
            whole, _, fraction = numeral.partition(point)
            whole_value = parse_integer(whole) if whole else 0
            if whole_value is None or not fraction or any(ch not in DIGITS for ch in fraction):
                return None
            digits = "".join(str(DIGITS[ch]) for ch in fraction)
            return whole_value + int(digits) / 10 ** len(digits)
    value = parse_integer(numeral)
    return None if value is None else float(value)


def zhe_rate(numeral: str) -> float | None:
    """The price multiplier of ``<numeral>折``: 七 → 0.7, 六五/65 → 0.65, 六点五/6.5 → 0.65,
    九五 → 0.95, 对/半 → 0.5. None when it is not a discount (十折, 零折, 三十折…)."""
    if numeral in ("对", "半"):
        return 0.5
    if any(point in numeral for point in DECIMAL_POINTS):
        value = parse_number(numeral)
        return value / 10 if value is not None and 0 < value < 10 else None
    if not numeral or any(ch not in DIGITS for ch in numeral) or DIGITS[numeral[0]] == 0:
        return None
    if len(numeral) == 1:
        return DIGITS[numeral] / 10
    if len(numeral) == 2:  # 六五折, 85折: two positional digits are hundredths
        return (DIGITS[numeral[0]] * 10 + DIGITS[numeral[1]]) / 100
    return None


def percent_off(numeral: str) -> float | None:
    """``20%`` / ``20`` / ``百分之二十`` / ``百分之十二点五`` → 0.2 / 0.2 / 0.2 / 0.125."""
    numeral = numeral.removeprefix("百分之").removesuffix("%")
    value = parse_number(numeral)
    return value / 100 if value is not None and 0 < value <= 100 else None


def cheng_off(numeral: str) -> float | None:
    """``三`` of 便宜三成 → 0.3; ``一成半`` is handled by the caller adding 0.05."""
    value = parse_number(numeral)
    return value / 10 if value is not None and 0 < value <= 10 else None


def render_rate(off: float) -> str:
    """The 折 name of a discount: 0.10 → 九折, 0.15 → 八五折, 0.35 → 六五折, 0 → 原价."""
    hundredths = round((1 - off) * 100)
    if hundredths >= 100:
        return "原价"
    tens, ones = divmod(max(hundredths, 1), 10)
    if ones == 0:
        return f"{_CHINESE_DIGITS[tens]}折"
    if tens == 0:
        return f"零点{_CHINESE_DIGITS[ones]}折"
    return f"{_CHINESE_DIGITS[tens]}{_CHINESE_DIGITS[ones]}折"


def parse_discount_name(name: str) -> float | None:
    """The inverse of :func:`render_rate` for an organisation's setting: 八五折 → 0.15,
    8.5折 → 0.15, 15% → 0.15."""
    name = name.strip()
    if name.endswith("折"):
        rate = zhe_rate(name[:-1])
        return None if rate is None else round(1 - rate, 4)
    if name.endswith("%") or name.startswith("百分之"):
        return percent_off(name)
    return None
