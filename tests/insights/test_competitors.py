"""Competitor names as written, as misheard by speech recognition, and ordinary words that
only sound like them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from copilot.insights import InsightConfig, Insights, RuleExtractor
from copilot.insights.competitors import CompetitorMatcher
from copilot.insights.lexicon import CompetitorEntry

Extract = Callable[[str], Insights]


def names(insights: Insights) -> list[str]:
    return [c.name for c in insights.competitors]


@pytest.mark.parametrize(
    ("said", "expected", "heard"),
    [
        ("销售易给的方案比你们完整多了。", "销售易", None),
        ("分享销客那边说可以免费送半年。", "纷享销客", "分享销客"),  # homophone
        ("纷享消客的报价低一些。", "纷享销客", "纷享消客"),
        ("销售议的报价比你们低了快三成。", "销售易", "销售议"),
        ("我们用的是Zoho，用得还行。", "Zoho", None),
        ("我们用的是zoho crm。", "Zoho", "zoho crm"),
        ("卓豪的价格挺便宜。", "Zoho", "卓豪"),
        ("Sales force之前用过，太贵了。", "Salesforce", "Sales force"),
        ("Salesfroce我们也看过。", "Salesforce", "Salesfroce"),  # a typo in a transcript
        ("HubSpot我们试过。", "HubSpot", None),
        ("我们现在用红圈，用得还可以。", "红圈", None),
        ("八百客的系统太老了。", "八百客", None),
        ("明源云客那边也来谈过。", "明源云", "明源云客"),
        ("金蝶也给我们报了一个CRM方案。", "金蝶", None),
        ("钉钉自带的那个客户管理也够用了。", "钉钉", None),
    ],
)
def test_competitors(customer: Extract, said: str, expected: str, heard: str | None) -> None:
    found = customer(said).competitors
    assert [c.name for c in found] == [expected]
    assert found[0].heard == heard


@pytest.mark.parametrize(
    "said",
    [
        "我们销售一直用Excel管客户。",  # 销售一直 sounds like 销售易
        "销售意向也没人统计。",
        "销售议价能力比较弱。",
        "我们有八百客户，每个人都要定期回访。",
        "我们使用友商的产品。",
        "分享一下你们的案例。",
        "现在的系统跟我们的用友U8对不上。",  # an ERP they integrate with
        "我们用企业微信跟客户沟通。",
        "你们能跟钉钉打通吗？",
        "我们也在看竞品。",  # generic, not a name
        "",
    ],
)
def test_not_competitors(customer: Extract, said: str) -> None:
    assert names(customer(said)) == []


def test_several_competitors_once_each(customer: Extract) -> None:
    insights = customer("我们对比了销售易和纷享销客，销售易便宜一点。")
    assert names(insights) == ["销售易", "纷享销客"]


def test_the_list_is_data(tmp_path: Path) -> None:
    custom = tmp_path / "competitors.yaml"
    custom.write_text(
        "competitors:\n  - name: 云之家\n    aliases: [Yunzhijia]\n    kind: crm\n",
        encoding="utf-8",
    )
    extractor = RuleExtractor(InsightConfig(competitors_path=custom))
    assert names(extractor.extract("我们在看云之家，比你们便宜。")) == ["云之家"]
    assert names(extractor.extract("销售易比你们便宜。")) == []


def test_matcher_offsets() -> None:
    matcher = CompetitorMatcher((CompetitorEntry(name="销售易"),))
    (hit,) = matcher.find("他们说销售议更便宜")
    assert (hit.start, hit.end, hit.heard) == (3, 6, "销售议")
