"""Numbers in price talk: 七折, 六五折, 六点五折, 6.5折, 85折, 对折, 半价, 三成, 20%, 百分之二十.

This is the grammar of Chinese numerals, so its character tables live here, not in YAML.
A discount is expressed everywhere as ``off``, the fraction taken off the list price
(七折 → 0.30, 九折 → 0.10, 降价20% → 0.20, 便宜三成 → 0.30).
"""

from __future__ import annotations

DIGITS: dict[str, int] = {
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
    **{str(d): d for d in range(10)},
}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10**4, "亿": 10**8}
DECIMAL_POINTS = "点."
_CHINESE_DIGITS = "零一二三四五六七八九"


def parse_integer(numeral: str) -> int | None:
    """一万二千零五 → 12005, 二十五 → 25, 十五 → 15, 六五 → 65 (digits in a row are
    positional), 一百五 → 150 (a trailing digit after 百/千 is read one place lower, as
    people say it). None if ``numeral`` is not a whole number."""
    if not numeral or any(
        ch not in DIGITS and ch not in SMALL_UNITS and ch not in BIG_UNITS for ch in numeral
    ):
        return None
    if all(ch in DIGITS for ch in numeral):
        return int("".join(str(DIGITS[ch]) for ch in numeral))
    total = section = 0
    digit: int | None = None
    last_unit = 0
    saw_zero = False
    for ch in numeral:
        if ch in DIGITS and DIGITS[ch] == 0:
            saw_zero = True  # 一百零五: a place holder, not a digit
        elif ch in DIGITS:
            if digit is not None:  # two digits in a row inside a unit numeral: not a number
                return None
            digit = DIGITS[ch]
        elif ch in SMALL_UNITS:
            section += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit, last_unit, saw_zero = None, SMALL_UNITS[ch], False
        else:
            section += digit or 0
            if section == 0:
                return None
            total += section * BIG_UNITS[ch]
            section, digit, last_unit, saw_zero = 0, None, BIG_UNITS[ch], False
    if digit is not None:
        # 一百五 is 150 and 一万五 is 15000, but 一百零五 is 105 and 二十五 is 25.
        colloquial = last_unit >= 100 and not saw_zero and digit != 0
        section += digit * (last_unit // 10) if colloquial else digit
    return total + section


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
