"""Objections and pain points: CONTRACT categories, several per utterance, negation."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from copilot.insights import Insights

Extract = Callable[[str], Insights]


def objections(insights: Insights) -> set[str]:
    return {o.type for o in insights.objections}


def pains(insights: Insights) -> set[str]:
    return {p.category for p in insights.pain_points}


@pytest.mark.parametrize(
    ("said", "kind"),
    [
        ("你们这个价格我们实在接受不了，太贵了。", "price"),
        ("能不能再便宜点？", "price"),
        ("说白了就是钱的问题，这个报价我们扛不住。", "price"),
        ("这个价位超出我们的心理预期了。", "price"),
        ("每年维护费还要再交一笔。", "price"),
        ("销售易给的方案比你们完整多了。", "competitor"),
        ("分享销客那边说可以免费送半年。", "competitor"),
        ("我们也在看进品，他们的功能比你们全。", "competitor"),
        ("我们跟Salesforce签了三年，现在切换成本太高。", "competitor"),
        ("我们老板一直在看HubSpot。", "competitor"),
        ("最近公司在调整架构，这个项目先放一放。", "timing"),
        ("过完年再说吧。", "timing"),
        ("今年预算已经用完了，明年再看吧。", "timing"),
        ("这个要等我们李总回来再定。", "authority"),
        ("这个我做不了主。", "authority"),
        ("我还得问问我们老板。", "authority"),
        ("我们规模不大，感觉用不上这么复杂的东西。", "need"),
        ("用Excel记记账就够了。", "need"),
        ("你们有没有在医疗器械行业落地的客户？", "trust"),
        ("说实话你们这个品牌我之前都没听说过。", "trust"),
        ("我们之前就吃过这个亏。", "trust"),
        ("合同里要写清楚数据归属。", "risk"),
        ("要是数据迁移过程中丢了，你们怎么赔？", "risk"),
        ("延期了你们赔不赔？", "risk"),
    ],
)
def test_objection_types(customer: Extract, said: str, kind: str) -> None:
    assert kind in objections(customer(said))


@pytest.mark.parametrize(
    ("said", "not_kind"),
    [
        ("其实不是价格的问题，主要是没必要折腾。", "price"),
        ("价格我们倒是能接受，就是担心数据迁移的时候丢东西。", "price"),
        ("价格高一点也能接受。", "price"),
        ("数据安全方面我们倒不担心，你们是大厂。", "risk"),
        ("不是说明年再说，我们今年就想上。", "timing"),
        ("不是我们不想换，是合同还没到期。", "need"),
        ("这个我自己就能拍板。", "authority"),
        ("也不是不需要。", "need"),
    ],
)
def test_negated_cues_do_not_count(customer: Extract, said: str, not_kind: str) -> None:
    assert not_kind not in objections(customer(said))


def test_several_objections_in_one_utterance(customer: Extract) -> None:
    insights = customer("太贵了，而且这个我还得问问我们老板。")
    assert objections(insights) == {"price", "authority"}


def test_content_with_the_current_product_is_need_not_competitor(customer: Extract) -> None:
    insights = customer("我们用的是Zoho，用得还行，没有特别强的换系统的理由。")
    assert objections(insights) == {"need"}
    assert [c.name for c in insights.competitors] == ["Zoho"]


def test_a_competitor_they_complain_about_is_a_pain_not_an_objection(customer: Extract) -> None:
    insights = customer("现在用的那个纷享销客太卡了经常登不上去")
    assert objections(insights) == set()
    assert pains(insights) == {"quality"}


@pytest.mark.parametrize(
    "said",
    [
        "一年二十万左右是能接受的。",
        "一般是部门经理先提需求，然后分管副总审批，最后财务付款。",
        "线索进来以后七十二小时都没人跟进。",
        "交付周期能不能压缩到一个月？",
        "",
    ],
)
def test_no_objection(customer: Extract, said: str) -> None:
    assert objections(customer(said)) == set()


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("线索进来以后七十二小时都没人跟进，好多客户就这么流失了。", {"efficiency"}),
        ("我们车间现在排产全靠Excel，计划员每天加班到很晚。", {"efficiency"}),
        ("现在的系统跟我们的用友U8对不上，数据要导来导去，经常出错。", {"integration", "data"}),
        ("门店的数据都是各报各的，总部根本看不到真实的销售情况。", {"data"}),
        ("交付周期能不能压缩到一个月？我们三月份就要用。", {"delivery"}),
        ("上次升级系统停了一整天，客户电话都打不进来。", {"quality"}),
        ("系统用起来特别卡，一到月底结算就崩。", {"quality"}),
        ("你们的服务响应太慢了，工单提了三天都没人回。", {"service"}),
        ("每年维护费还要再交一笔，算下来成本比自己开发还高。", {"cost"}),
        ("报表每个月要人工汇总三天，老板想看个漏斗都看不到。", {"efficiency", "data"}),
        ("我们的客户资料都在销售自己的微信里，人一走客户就带走了。", {"data"}),
    ],
)
def test_pain_categories(customer: Extract, said: str, expected: set[str]) -> None:
    assert pains(customer(said)) == expected


@pytest.mark.parametrize(
    "said",
    [
        "效率倒不是问题。",
        "如果上线延期了，违约金怎么算？",  # a worry (risk), not a delay they live with
        "你们这个价格我们实在接受不了，太贵了。",  # price objection, no cost pain
        "合同里要写清楚数据归属。",
    ],
)
def test_no_pain(customer: Extract, said: str) -> None:
    assert pains(customer(said)) == set()


def test_items_carry_their_clause_and_evidence(customer: Extract) -> None:
    insights = customer("我们规模不大，就十几个销售，感觉用不上这么复杂的东西。")
    need = insights.objections[0]
    assert need.type == "need"
    assert need.text == "我们规模不大"
    assert need.evidence.text.startswith("我们规模不大")
    assert need.evidence.utterance_id == "u1"
