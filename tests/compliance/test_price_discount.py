"""Discounts written as two prices (原价 88 万按 50 万给您): judged against the rep's
discount authority like 打五折, flagged with a span over both amounts."""

from __future__ import annotations

import pytest

from compliance import ComplianceConfig, Scanner
from compliance.detectors.discount import find_discounts
from compliance.normalize import normalize


@pytest.mark.parametrize(
    ("text", "off", "span"),
    [
        ("原价 88 万按 50 万给您", 0.4318, "原价 88 万按 50 万给您"),
        ("报价120万，给您做到90万", 0.25, "报价120万，给您做到90万"),
        ("原价88万，一口价60万给您", 0.3182, "原价88万，一口价60万"),
        ("这套系统原价100万，成交价70万", 0.30, "原价100万，成交价70万"),
        ("标准版88万，今天一口价50万拿走", 0.4318, "88万，今天一口价50万"),
        ("原价12万现价8万", 0.3333, "原价12万现价8万"),
        ("原价十二万，现价八万", 0.3333, "原价十二万，现价八万"),
        ("原价88万，按50万成交", 0.4318, "原价88万，按50万成交"),
        ("官网价99万，给您签70万", 0.2929, "官网价99万，给您签70万"),
        ("一口价50万，原价88万", 0.4318, "一口价50万，原价88万"),
        ("原价捌拾捌万，给您伍拾万", 0.4318, "原价捌拾捌万，给您伍拾万"),
        ("原價88萬，給您50萬", 0.4318, "原價88萬，給您50萬"),
    ],
)
def test_two_prices_are_a_discount_beyond_authority(
    scanner: Scanner, text: str, off: float, span: str
) -> None:
    flags = [f for f in scanner.scan(text).flags if f.category == "unauthorized_discount"]
    assert len(flags) == 1, flags
    assert flags[0].rule_id == "unauthorized_discount.depth"
    assert flags[0].match == span == text[flags[0].start : flags[0].end]
    # The detector reads the same depth off the normalised text.
    found = list(find_discounts(normalize(text).text))
    assert [round(d.off, 4) for d in found] == [off]


@pytest.mark.parametrize("text", ["给您打了个对折", "全部按半价算"])
def test_half_price_forms(scanner: Scanner, text: str) -> None:
    assert any(f.category == "unauthorized_discount" for f in scanner.scan(text).flags)


@pytest.mark.parametrize(
    "text",
    [
        "您预算50万，我们标准版88万。",  # a budget and a price
        "标准版50万，旗舰版88万。",  # two editions
        "标准版50万，旗舰版一口价88万。",
        "原价100万按95万给您。",  # within authority (九五折)
        "原价100万，给您95万。",
        "报价120万，您预算90万的话可以先上标准版。",  # 预算, not 算
        "报价120万，计算下来每年30万。",
        "您预算88万，我们一口价50万就能上。",
        "去年报价120万，今年涨到130万。",
        "我们一口价88万，不打折。",
        "原价88万，这个价格不能再低了。",
    ],
)
def test_look_alikes_do_not_flag(scanner: Scanner, text: str) -> None:
    assert not [f for f in scanner.scan(text).flags if f.category == "unauthorized_discount"]


def test_authority_comes_from_the_organisation() -> None:
    # 原价100万按75万 is 25 % off: beyond 九折, within an organisation allowing 30 %.
    text = "原价100万，按75万给您。"
    assert not Scanner(ComplianceConfig()).scan(text).compliant
    generous = Scanner(ComplianceConfig(max_discount_off=0.30))
    assert generous.scan(text).compliant
