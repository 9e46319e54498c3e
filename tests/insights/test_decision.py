"""The decision chain: people, roles, bodies, pairing and approval order."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from copilot.insights import Insights, RuleExtractor

Extract = Callable[[str], Insights]


def chain(insights: Insights) -> list[tuple[str, str | None]]:
    return [(d.name, d.role) for d in insights.decision_chain]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("这个要等我们李总回来再定。", [("李总", None)]),
        ("这事得回去跟我们王董汇报一下。", [("王董", None)]),
        ("陈经理说了，要先审批。", [("陈经理", None)]),
        ("最后还是我们老板说了算。", [("老板", "老板")]),
        ("大概六十万吧，要我们运营副总钱总同意才行。", [("钱总", "运营副总")]),
        # Speech recognition wrote the name by its sound: 前总 is 钱总 after a role.
        ("大概60万吧？要我们运营副总前总同意才行", [("钱总", "运营副总")]),
        ("运营副总前面说过了", [("运营副总", "运营副总")]),
        ("我们财务总监李总比较看重投入产出。", [("李总", "财务总监")]),
        ("CTO王总比较关注API开放性。", [("王总", "CTO")]),
        ("设备科的张主任比较关心维保。", [("张主任", "设备科")]),
        ("这个金额超过五十万就要走招标流程，由采购委员会来定。", [("采购委员会", None)]),
        ("最终拍板的是我们董事会。", [("董事会", None)]),
        ("这要分管副院长签字。", [("分管副院长", "分管副院长")]),
        ("得过法务那关。", [("法务", None)]),
        # A body after a comma is a second decider, not the next person's department.
        ("要上院长办公会，林院长还特别看重风险。", [("院长办公会", None), ("林院长", None)]),
        # Recognised speech without the comma: still two deciders.
        ("要上院长办公会林院长还特别看重风险", [("院长办公会", None), ("林院长", None)]),
        ("最后董事会王董拍板", [("董事会", None), ("王董", None)]),
        ("设备科张主任比较关心维保", [("张主任", "设备科")]),
        ("要冯所长点头，大一点的开支还得开合伙人会议。", [("冯所长", None), ("合伙人", "合伙人")]),
        ("超过十万的合同还要报投资方备案。", [("投资方", None)]),
        # Public bodies' meetings: a bureau's party group, a leadership team.
        ("最后拍板得王局长，还要上局党组会过一下。", [("王局长", None), ("党组会", None)]),
        ("这种项目要上班子会定。", [("班子会", None)]),
        # A foundation's board, a hospital's or an institute's own meeting, a scoring panel.
        ("这个我决定不了，得上理事会。", [("理事会", None)]),
        ("上院务会讨论，院务会一个月才开一次。", [("院务会", None)]),
        ("超过五十万的都得过评审小组，他们打分定供应商。", [("评审小组", None)]),
        # The authority above a public body, and the head of a family business.
        ("最终得局里批。", [("局里", None)]),
        ("最后还是我爸说了算。", [("我爸", None)]),
        ("我们是家族企业，最后还是老爷子说了算。", [("老爷子", None)]),
        # Heads of one site among many, and of a county, when the sentence is about deciding.
        ("最后还是我们园长拍板。", [("园长", "园长")]),
        ("矿上先要矿长同意，最后是集团定。", [("矿长", "矿长"), ("集团", None)]),
        ("还得分管副县长签字。", [("分管副县长", "分管副县长")]),
        # Who the customer says chooses (拿主意的还是…); a bureau or commission that acts in
        # a sentence about deciding; review meetings; the family's head; a teacher who signs.
        ("我们说了不算，拿主意的还是总部。", [("总部", None)]),
        ("这个项目要报市发改委审批。", [("市发改委", None)]),
        ("钱是县卫健局拨的，得县卫健局批了才能买。", [("县卫健局", None)]),
        ("新供应商都要过供应商评审会。", [("供应商评审会", None)]),
        ("得社长办公会定才行。", [("社长办公会", None)]),
        ("厂子是我哥的，得我哥点头。", [("我哥", None)]),
        ("买哪家最后是刘老师签字。", [("刘老师", None)]),
        # A co-operative's own assembly and its head; an office meeting named whole.
        ("花钱的事都得拿到社员大会上表决。", [("社员大会", None)]),
        ("得先理事长点头才行。", [("理事长", "理事长")]),
        ("这个最终要上总经理办公会。", [("总经理办公会", None)]),
        # The organisation above the customer's, reported to or acting.
        ("这种大额的都得报母公司，人家批了才算。", [("母公司", None)]),
        ("都是省联社统一招标。", [("省联社", None)]),
        ("得打报告给省监狱管理局，批了才能买。", [("省监狱管理局", None)]),
        ("钱是俺舅管着，得俺舅点头。", [("俺舅", None)]),
        ("换门禁得业委会同意，钱是业主的。", [("业委会", None)]),
    ],
)
def test_people_roles_and_bodies(customer: Extract, said: str, expected: list[object]) -> None:
    assert chain(customer(said)) == expected


def test_approval_order(customer: Extract) -> None:
    insights = customer("一般是部门经理先提需求，然后分管副总审批，最后财务付款。")
    assert [(d.name, d.order) for d in insights.decision_chain] == [
        ("部门经理", 1),
        ("分管副总", 2),
        ("财务", 3),
    ]


def test_order_with_a_committee(customer: Extract) -> None:
    insights = customer("设备科那边要先论证，然后报分管副院长，最后院长办公会定。")
    assert [(d.name, d.order) for d in insights.decision_chain] == [
        ("设备科", 1),
        ("分管副院长", 2),
        ("院长办公会", 3),
    ]


@pytest.mark.parametrize(
    "said",
    [
        "价钱总是谈不拢。",  # 钱总 inside 价钱总是
        "提高总体效率。",
        "区域经理每天要看几百张照片，根本看不过来。",  # users, not deciders
        "财务数据都在Excel里。",  # a department named in passing
        "接口这块一直是老大难。",
        # Site heads spoken of, not deciding; a body's meeting of a department (业务会).
        "园长抽查教案要一本本翻，总部根本看不到。",
        "安监局约谈了我们矿长两次。",
        "市长热线也接到投诉了。",
        "大家都说换了业务会受影响。",
        # A bureau that receives reports or calls; a teacher who is the contact.
        "每天的水质数据都要上报体育局。",
        "卫健局上个月来检查过两次。",
        "只能等环保局打电话通知。",
        "你们联系信息办张老师准备场地。",
        "这段时间是年报审计季，忙疯了。",  # 年报 is no 报 to a body
        "业委会每季度要看一次收支公示。",
        "王老师那边的数据一直对不上，最后都是我们来核。",
        # Said not to decide: passing it up, or a title held only in name.
        "我们总经理也就是往上递个材料，说了不算。",
        "场长也就是签个意见。",
        "厂里领导也只能是往上报。",
        "我虽然叫副厂长，其实这事我做不了主。",
        "",
    ],
)
def test_no_decision_maker(customer: Extract, said: str) -> None:
    assert customer(said).decision_chain == []


def test_who_is_said_not_to_decide_leaves_who_does(customer: Extract) -> None:
    assert chain(customer("老板说了不算，得董事会定。")) == [("董事会", None)]
    assert chain(customer("这事我们总经理说了算。")) == [("总经理", "总经理")]


def test_a_greeting_names_no_decision_maker(customer: Extract) -> None:
    assert customer("王总您好，我是小李。").decision_chain == []


@pytest.mark.parametrize(
    "said",
    [
        "你回去跟你们领导申请一下特价。",
        "哈哈你们老板我认识，以前一起干过。",
        "这个价格得你们公司的王总批吧？",
        "贵司李总上次来我们厂看过。",
        "我们有个供应商的老板介绍了一家做这个的。",
        "隔壁那家厂的老总说你们的系统挺好用。",
    ],
)
def test_another_company_s_deciders_are_not_the_customer_s(customer: Extract, said: str) -> None:
    assert customer(said).decision_chain == []


def test_the_customer_s_decider_beside_the_seller_s(customer: Extract) -> None:
    said = "你们领导批了特价，我们这边还得王总签字。"
    assert chain(customer(said)) == [("王总", None)]
    # 他们 is as often the customer's own department as another company.
    assert chain(customer("财务那边他们领导说了算。")) == [("领导", "领导")]


@pytest.mark.parametrize("bureau", ["城管局", "工商局", "公安局", "房管局"])
def test_a_bureau_s_name_ends_in_no_director(customer: Extract, bureau: str) -> None:
    # 管局 / 商局 / 安局 would read as Director 管, 商, 安 (surname + 局).
    names = [d.name for d in customer(f"我们的数据要给{bureau}共享的。").decision_chain]
    assert names == []
    assert [d.name for d in customer("这事管局长说了算。").decision_chain] == ["管局长"]


def test_rep_words_give_no_decision_chain(extractor: RuleExtractor) -> None:
    insights = extractor.extract("赵总您好，这个是不是要您老板拍板？", speaker="rep")
    assert insights.decision_chain == []


def test_evidence_quotes_the_sentence(customer: Extract) -> None:
    person = customer("价格还行。这个要等我们李总回来再定。").decision_chain[0]
    assert person.evidence.text == "这个要等我们李总回来再定"
    assert person.evidence.utterance_id == "u1"
