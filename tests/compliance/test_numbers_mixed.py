"""Numbers as speech recognition writes them, half in digits: read as they were said."""

from __future__ import annotations

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance import Scanner
from compliance.numbers import parse_integer, spell_mixed


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("12万8", "十二万八"),
        ("7万6千8", "七万六千八"),
        ("1百50万", "一百五十万"),
        ("56十万", "五六十万"),
        ("1005万3", "一千零五万三"),
        # Read well as they are: left alone.
        ("60万", "60万"),
        ("1.2万", "1.2万"),
        ("3千", "3千"),
        ("2023", "2023"),
    ],
)
def test_digits_mixed_with_units_are_spelt_as_said(written: str, said: str) -> None:
    assert spell_mixed(written) == said


@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=1, max_value=9))
def test_a_digit_after_wan_is_read_one_place_lower(wan: int, tail: int) -> None:
    assert parse_integer(f"{wan}万{tail}") == wan * 10_000 + tail * 1_000
    assert parse_integer(f"{wan}万{tail}") == parse_integer(cn2an.an2cn(wan) + "万" + str(tail))


def test_a_deal_price_written_in_mixed_digits_is_judged_against_the_list_price() -> None:
    # 76,800 of 128,000 is 40 % off: beyond a rep's authority.
    flags = Scanner().scan("原价12万8，按7万6千8给您").flags
    assert [f.category for f in flags] == ["unauthorized_discount"]
    assert not Scanner().scan("原价12万8，按11万5千2给您").flags  # 10 % off: allowed
