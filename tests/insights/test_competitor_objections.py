"""A competitor the customer compares us with is a `competitor` objection, however the name is
heard (ASR misspellings, any filler before it) and whatever kind of product it is (CRM or
platform); denied use (没有在用别家) and denied price talk (不是价格的问题) are not objections."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from copilot.insights import Insights

Extract = Callable[[str], Insights]


def objections(insights: Insights) -> list[str]:
    return [o.type for o in insights.objections]


def names(insights: Insights) -> list[str]:
    return [c.name for c in insights.competitors]


# A competitor cheaper, better, free, already in use or also bidding: competitor objection only.
@pytest.mark.parametrize(
    ("said", "name"),
    [
        # how much cheaper, in any wording
        ("纷享销客便宜两成", "纷享销客"),
        ("销售议便宜三成。", "销售易"),
        ("ZOHO便宜不少。", "Zoho"),
        ("Salesforce便宜了一大截。", "Salesforce"),
        ("纷享销客便宜将近两万块。", "纷享销客"),
        # their quote is lower
        ("纷享消客报价低一些。", "纷享销客"),
        ("zoho的报价低很多。", "Zoho"),
        ("销售易那边给的价格低。", "销售易"),
        ("Zoho的价格比你们低。", "Zoho"),
        ("八百客的折扣力度大多了。", "八百客"),
        # more complete, easier to use
        ("hubspot功能更全。", "HubSpot"),
        ("而且纷享销客给的方案更完整。", "纷享销客"),
        ("你们没销售易好用。", "销售易"),
        ("说实话你们还不如红圈。", "红圈"),
        ("HubSpot功能挺丰富的。", "HubSpot"),
        # free
        ("像销售议这种都免费。", "销售易"),
        ("钉钉的CRM免费用。", "钉钉"),
        ("HubSpot有免费版。", "HubSpot"),
        # already in use, before or after the name
        ("已经在用销售易了。", "销售易"),
        ("Salesforce我们已经在用了。", "Salesforce"),
        ("纷享销客我们一直在用。", "纷享销客"),
        # also bidding
        ("ZOHO也在谈。", "Zoho"),
        ("销售易也在谈。", "销售易"),
        ("用友那边也在报价。", "用友"),
    ],
)
def test_competitor_offer_is_a_competitor_objection(
    customer: Extract, said: str, name: str
) -> None:
    insights = customer(said)
    assert names(insights) == [name]
    assert objections(insights) == ["competitor"]


# The name is found whatever precedes it: a filler that forms a word with its first character
# (不过分享 -> 过分) must not hide it.
@pytest.mark.parametrize(
    "said",
    [
        "不过分享销客便宜两成。",
        "但是分享销客报价低。",
        "听说分享销客便宜一半。",
        "而且分享销客功能更全。",
        "像分享销客这种都免费送。",
        "其实纷享消客也在谈。",
        "不过纷享销客更便宜。",
    ],
)
def test_name_after_any_filler(customer: Extract, said: str) -> None:
    insights = customer(said)
    assert names(insights) == ["纷享销客"]
    assert objections(insights) == ["competitor"]


@pytest.mark.parametrize(
    "said",
    [
        "不过销售议报价比你们低。",
        "但是销售议更便宜。",
        "而且销售议免费送半年。",
    ],
)
def test_misheard_name_after_filler(customer: Extract, said: str) -> None:
    insights = customer(said)
    assert names(insights) == ["销售易"]
    assert objections(insights) == ["competitor"]


# Platforms (ERP, office suites) compared with us on price or features are competitors too.
@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("你们的价格比用友贵了不少。", "用友"),
        ("你们比金蝶贵。", "金蝶"),
        ("你们比钉钉贵太多了。", "钉钉"),
        ("你们没有金蝶好用。", "金蝶"),
        ("你们还不如钉钉。", "钉钉"),
        ("企业微信免费。", "企业微信"),
        ("企业微信那边更便宜。", "企业微信"),
        ("钉钉价格低一半。", "钉钉"),
        ("金蝶报价低。", "金蝶"),
        ("金蝶的报价比你们低。", "金蝶"),
        ("用友比较贵我们没买。", "用友"),
        ("飞书更好用。", "飞书"),
    ],
)
def test_platform_in_a_comparison(customer: Extract, said: str, name: str) -> None:
    insights = customer(said)
    assert names(insights) == [name]
    assert objections(insights) == ["competitor"]


# Platforms only integrated with or used for something else stay out.
@pytest.mark.parametrize(
    "said",
    [
        "我们用钉钉打卡。",
        "金蝶我们用来做财务。",
        "用友的接口收费吗？",
        "跟用友对接要额外收费吗？",
        "我们是用友的老客户。",
    ],
)
def test_platform_not_compared(customer: Extract, said: str) -> None:
    assert names(customer(said)) == []


# Denied: no objection of that kind.
@pytest.mark.parametrize(
    "said",
    [
        "我们没有在用别家。",
        "没有在看其他家。",
        "我们没在用销售易。",
        "销售易我们没在用。",
        "我们并没有在看Salesforce。",
        "我们以前没用过CRM。",
    ],
)
def test_denied_use_is_no_competitor_objection(customer: Extract, said: str) -> None:
    assert "competitor" not in objections(customer(said))


@pytest.mark.parametrize(
    "said",
    ["不是价格的问题。", "价格倒不是问题。", "倒不是因为贵。", "价格不是主要的。"],
)
def test_denied_price_is_no_price_objection(customer: Extract, said: str) -> None:
    assert "price" not in objections(customer(said))


def test_competitor_without_our_price_is_competitor_only(customer: Extract) -> None:
    insights = customer("销售易给的方案比你们完整多了，价格还差不多")
    assert objections(insights) == ["competitor"]
