from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from speech.normalize import (
    character_error_rate,
    collapse_loops,
    is_hallucination,
    normalize_for_scoring,
    normalize_text,
)


def test_traditional_becomes_simplified_with_chinese_punctuation() -> None:
    assert normalize_text("你好,我們門店現在的問題是陳列檢查 全靠拍照.") == (
        "你好，我们门店现在的问题是陈列检查全靠拍照。"
    )


def test_latin_and_numbers_keep_their_own_punctuation() -> None:
    assert normalize_text("預算 1.2M 左右, OK?") == "预算1.2M左右，OK?"
    assert normalize_text("hello, world") == "hello, world"


def test_repetition_loops_are_undone_but_real_repeats_kept() -> None:
    looped = "而且区域经理每天要看几百张照片。而且区域经理每天要看几百张照片。而且区域经理每天"
    assert collapse_loops(looped) == "而且区域经理每天要看几百张照片。"
    assert collapse_loops("好的好的好的好的好的好的") == "好的好的"
    assert collapse_loops("好的好的") == "好的好的"
    assert collapse_loops("没问题没问题") == "没问题没问题"


def test_known_hallucinations_are_recognised() -> None:
    assert is_hallucination("字幕由Amara.org社群提供")
    assert is_hallucination("請不吝點贊 訂閱 轉發 打賞支持明鏡與點點欄目")
    assert is_hallucination("。")
    assert not is_hallucination("谢谢您，我们下周再聊。")


def test_scoring_treats_digits_and_chinese_numerals_alike() -> None:
    assert normalize_for_scoring("大概60万吧。") == normalize_for_scoring("大概六十万吧")
    assert character_error_rate("我们一年最多十万", "我们一年最多10万。") == 0.0
    assert character_error_rate("价格太高了", "价格太贵了") == 0.2
    assert character_error_rate("", "") == 0.0


cjk_text = st.text(
    alphabet=st.sampled_from(list("我们的价格太高了预算万元好吧，。？ ,.?abc123")), max_size=60
)


@given(cjk_text)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(cjk_text, cjk_text)
def test_error_rate_is_zero_only_for_equal_scoring_forms(ref: str, hyp: str) -> None:
    rate = character_error_rate(ref, hyp)
    assert rate >= 0
    assert (rate == 0) == (normalize_for_scoring(ref) == normalize_for_scoring(hyp))


@pytest.mark.parametrize(
    ("said", "scored"),
    [
        ("188-1855-3316", "一八八一八五五三三一六"),  # a phone number, digit by digit
        ("13740052246", "一三七四零零五二二四六"),
        ("一三八零八五五三三幺六", "一三八零八五五三三一六"),  # the telephone 幺 is 一
        ("0712", "零七一二"),  # a leading zero: a code
        ("2018年", "二零一八年"),
        ("60万", "六十万"),  # a quantity stays one
        ("3.5万", "三点五万"),
    ],
)
def test_numbers_are_scored_as_people_read_them(said: str, scored: str) -> None:
    assert normalize_for_scoring(said) == scored
