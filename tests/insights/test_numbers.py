"""The Chinese numeral parser, by example and by property (round trip through cn2an)."""

from __future__ import annotations

from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from copilot.insights.numbers import (
    parse_arabic,
    parse_chinese,
    parse_number,
    parse_range,
)


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("五", 5),
        ("十", 10),
        ("十五", 15),
        ("一百零五", 105),
        ("一百五", 150),  # colloquial: the last digit is one place lower
        ("两万五", 25000),
        ("一万五千三", 15300),
        ("二十万", 200000),
        ("两百万", 2000000),
        ("一亿二", 120000000),
        ("一亿三千万零五", 130000005),
        ("壹拾万", 100000),
        ("二零二四", 2024),  # digits in a row are positional
    ],
)
def test_chinese_numerals(said: str, value: int) -> None:
    assert parse_chinese(said) == value


@pytest.mark.parametrize("said", ["", "万一", "千万", "百", "五十十", "五十百", "十十", "一个"])
def test_words_that_are_not_numerals(said: str) -> None:
    assert parse_chinese(said) is None


@given(st.integers(min_value=0, max_value=10**12))
def test_round_trip_through_cn2an(value: int) -> None:
    assert parse_chinese(cn2an.an2cn(value)) == value


@given(st.integers(min_value=1, max_value=10**12))
def test_financial_numerals(value: int) -> None:
    assert parse_chinese(cn2an.an2cn(value, "up")) == value


@given(st.integers(min_value=2, max_value=10**8))
def test_liang_reads_like_er_before_a_unit(value: int) -> None:
    spoken = cn2an.an2cn(value)
    colloquial = "".join(
        "两" if ch == "二" and nxt in "百千万亿" else ch
        for ch, nxt in zip(spoken, spoken[1:] + " ", strict=True)
    )
    assert parse_chinese(colloquial) == value


@given(st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=9))
def test_colloquial_tail_after_wan(whole: int, tail: int) -> None:
    said = cn2an.an2cn(whole) + "万" + cn2an.an2cn(tail)
    assert parse_chinese(said) == whole * 10000 + tail * 1000


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False))
def test_arabic_with_units(value: Decimal) -> None:
    assert parse_arabic(f"{value}万") == value * 10000
    assert parse_number(f"{value}") == value


@pytest.mark.parametrize(
    ("said", "low", "high"),
    [
        ("二三十万", 200000, 300000),
        ("三五十万", 300000, 500000),
        ("一两百万", 1000000, 2000000),
        ("十几万", 110000, 190000),
        ("八十万", 800000, 800000),
    ],
)
def test_ranges_said_as_one_numeral(said: str, low: int, high: int) -> None:
    assert parse_range(said) == (low, high)
