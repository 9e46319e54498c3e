"""The number and discount grammar, with property tests (cn2an is the oracle for numerals)."""

from __future__ import annotations

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.detectors.discount import find_discounts, find_excess_discounts
from compliance.numbers import (
    parse_discount_name,
    parse_integer,
    parse_number,
    percent_off,
    render_rate,
    zhe_rate,
)

ZH_DIGITS = "零一二三四五六七八九"


@given(st.integers(min_value=0, max_value=10**9))
def test_chinese_integers_match_cn2an(value: int) -> None:
    assert parse_integer(cn2an.an2cn(value)) == value


@given(st.integers(min_value=0, max_value=10**9))
def test_arabic_integers(value: int) -> None:
    assert parse_integer(str(value)) == value


@given(st.integers(min_value=0, max_value=99), st.integers(min_value=1, max_value=9))
def test_decimals_in_both_scripts(whole: int, tenth: int) -> None:
    expected = whole + tenth / 10
    assert parse_number(f"{whole}.{tenth}") == pytest.approx(expected)
    assert parse_number(f"{cn2an.an2cn(whole)}点{ZH_DIGITS[tenth]}") == pytest.approx(expected)


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("一百五", 150), ("一万五", 15000), ("一百零五", 105), ("两万", 20000), ("六五", 65)],
)
def test_spoken_forms(numeral: str, value: int) -> None:
    assert parse_integer(numeral) == value


@pytest.mark.parametrize("junk", ["", "折", "万", "五五五五五十", "a1", "点"])
def test_not_numbers(junk: str) -> None:
    assert parse_number(junk) is None


@given(st.integers(min_value=1, max_value=9), st.integers(min_value=0, max_value=9))
def test_zhe_in_every_spelling(tens: int, ones: int) -> None:
    rate = (tens * 10 + ones) / 100
    if ones:
        spellings = [f"{ZH_DIGITS[tens]}{ZH_DIGITS[ones]}", f"{tens}{ones}", f"{tens}.{ones}"]
        spellings.append(f"{ZH_DIGITS[tens]}点{ZH_DIGITS[ones]}")
    else:
        spellings = [ZH_DIGITS[tens], str(tens)]
    for spelling in spellings:
        assert zhe_rate(spelling) == pytest.approx(rate), spelling
        found = list(find_discounts(f"我给您打{spelling}折"))
        assert [d.off for d in found] == [pytest.approx(1 - rate)], spelling


@given(st.integers(min_value=1, max_value=99))
def test_render_and_parse_round_trip(hundredths_off: int) -> None:
    off = hundredths_off / 100
    name = render_rate(off)
    assert name.endswith("折")
    assert parse_discount_name(name) == pytest.approx(off)


@given(st.integers(min_value=1, max_value=99))
def test_percentages(value: int) -> None:
    assert percent_off(f"{value}%") == pytest.approx(value / 100)
    assert percent_off(f"百分之{cn2an.an2cn(value)}") == pytest.approx(value / 100)
    assert [d.off for d in find_discounts(f"价格再降价{value}%")] == [pytest.approx(value / 100)]


@given(st.integers(min_value=1, max_value=99), st.integers(min_value=1, max_value=99))
def test_excess_is_exactly_deeper_than_the_limit(off_pct: int, limit_pct: int) -> None:
    text = f"给您{off_pct}%off"  # detectors see normalised text: no spaces
    excess = list(find_excess_discounts(text, 0, len(text), limit_pct / 100))
    assert bool(excess) == (off_pct > limit_pct)


@pytest.mark.parametrize(
    ("text", "off"),
    [
        ("打个对折", 0.5),
        ("今天下单享受半价", 0.5),
        ("价格上我再让三成", 0.3),
        ("便宜一成半", 0.15),
        ("报价再下浮25%", 0.25),
        ("按原价的六成收", 0.4),
        ("原价十万，给您六万", 0.4),
        ("十五万的报价，我给您算八万五", 1 - 85 / 150),
        ("总价砍一半", 0.5),
    ],
)
def test_discount_phrasings(text: str, off: float) -> None:
    assert [d.off for d in find_discounts(text)] == [pytest.approx(off, abs=1e-3)]


@pytest.mark.parametrize(
    "text",
    ["减少30%的人工录入", "效率提升20%", "这个折扣不错", "500美元折合人民币", "完成八成"],
)
def test_not_discounts(text: str) -> None:
    assert [d.name for d in find_discounts(text) if d.off > 0.1] == []
