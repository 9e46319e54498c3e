"""The practitioners' Advertising-Law word list (compliance/data/adlaw.yaml): each of its 95
sales-relevant words is caught as absolute_claim in a hand-written sales sentence, and spared
where SAMR's 2023 guideline does not count it as a claim (docs/adlaw.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from compliance import Scanner
from compliance.config import PACKAGED_RULES_DIR

from .conftest import HERE

INVENTORY = PACKAGED_RULES_DIR.parent / "data" / "adlaw.yaml"
SENTENCES = HERE / "data" / "adlaw_sentences.yaml"
# Written after the rules were frozen and never tuned on.
SECOND = HERE / "data" / "adlaw_sentences_second.yaml"
SOURCE_TSV = (
    Path(__file__).resolve().parents[3] / "shared" / "real" / "adlaw_words_with_category.tsv"
)
SALES_CATEGORIES = {
    "严禁使用极限用语",
    "绝对化用语",
    "违禁权威性词语",
    "虚假或无法判断真伪的夸张性表述词语",
    "无法考证的词语",
    "严禁使用疑似欺骗消费者的词语",
    "严禁使用激发消费者抢购心理词语",
    "无法确定时限的词语",
}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _claims(scanner: Scanner, text: str) -> bool:
    return any(flag.category == "absolute_claim" for flag in scanner.scan(text).flags)


def _shares(scanner: Scanner, entries: list[dict[str, Any]]) -> tuple[float, float, list[str]]:
    """Share of words all of whose claim sentences flag, share of look-alikes that flag."""
    caught, look_alikes, false_alarms, report = 0, 0, 0, []
    for entry in entries:
        missed = [text for text in entry["claims"] if not _claims(scanner, text)]
        caught += not missed
        report += [f"missed {entry['word']}: {text}" for text in missed]
        for text in entry.get("look_alikes", []):
            look_alikes += 1
            if _claims(scanner, text):
                false_alarms += 1
                report.append(f"look-alike flagged {entry['word']}: {text}")
    return caught / len(entries), false_alarms / max(look_alikes, 1), report


def test_inventory_holds_the_95_sales_words() -> None:
    words = _load(INVENTORY)["words"]
    assert len(words) == 95
    assert {w["category"] for w in words} == SALES_CATEGORIES
    assert len({w["word"] for w in words}) == 95
    if SOURCE_TSV.is_file():
        rows = [line.split("\t") for line in SOURCE_TSV.read_text("utf-8").splitlines()[1:]]
        listed = {word for word, category in rows if category in SALES_CATEGORIES}
        assert listed == {w["word"] for w in words}


def test_every_word_has_a_hand_written_claim_sentence_containing_it() -> None:
    inventory = {w["word"] for w in _load(INVENTORY)["words"]}
    entries = _load(SENTENCES)
    assert {e["word"] for e in entries} == inventory
    for entry in entries:
        assert entry["claims"], entry["word"]
        for text in [*entry["claims"], *entry.get("look_alikes", [])]:
            assert entry["word"].lower() in text.lower(), (entry["word"], text)


def test_inventory_names_the_rule_that_catches_each_word(scanner: Scanner) -> None:
    sentences = {e["word"]: e["claims"] for e in _load(SENTENCES)}
    for word in _load(INVENTORY)["words"]:
        rules = {f.rule_id for text in sentences[word["word"]] for f in scanner.scan(text).flags}
        assert word["rule"] in rules, (word, rules)


def test_words_are_caught_in_sales_sentences_and_look_alikes_spared(scanner: Scanner) -> None:
    # Measured before this rule set: 0.389 of the words caught, 0.194 of look-alikes flagged.
    caught, false_alarm_rate, report = _shares(scanner, _load(SENTENCES))
    assert caught >= 0.9, "\n".join(report)
    assert false_alarm_rate <= 0.05, "\n".join(report)


def test_second_batch_written_after_the_rules(scanner: Scanner) -> None:
    # Measured once, untuned: 0.871 of claims' words caught, 0.043 of look-alikes flagged
    # (before this rule set: 0.355 and 0.130).
    caught, false_alarm_rate, report = _shares(scanner, _load(SECOND))
    assert caught >= 0.85, "\n".join(report)
    assert false_alarm_rate <= 0.05, "\n".join(report)


@pytest.mark.parametrize(
    "text",
    [
        # 指南 第五条(五)(六): a verifiable fact with its source and date
        "根据IDC 2023年发布的报告，我们在华东地区CRM市场份额排名第一。",
        "据公安部2022年公布的名单，我们是全国首家通过等保三级测评的SaaS厂商。",
        # 第五条(一): comparing the company's own editions
        "三个版本里最便宜的是标准版，每年两万。",
        "旗舰版是我们产品线里最高级的版本，包含全部模块。",
        # 第四条: a goal, a creed, a promise to the customer
        "我们一直在追求极致的客户体验，这是公司的理念。",
        "我们会最大程度配合贵司的上线节奏。",
        "我们会尽最大努力配合。",
        # not promotional: the customer's situation, internal process, ordinary sense
        "贵司的销售团队很优秀，上手应该很快。",
        "您这家店是老字号了吧，客户数据肯定不少。",
        "张经理是我们的王牌销售，后续由他对接您。",
        "第一阶段我们先梳理销售流程。",
        "这是我们第一次合作。",
        "最新版本已发布，更新说明我发您邮箱了。",
        "最晚周三给您答复。",
        "在登录页点击获取验证码，输入手机收到的六位数字就行。",
    ],
)
def test_samr_exemptions(scanner: Scanner, text: str) -> None:
    assert not _claims(scanner, text), [f.match for f in scanner.scan(text).flags]


@pytest.mark.parametrize(
    "text",
    [
        # The same words without the exemption are claims.
        "我们在华东地区CRM市场份额排名第一。",
        "我们是全国首家通过等保三级测评的SaaS厂商。",
        "我们是同类产品里最便宜的。",
        "我們是業內最新的AI技術。",  # traditional characters
        "我们是全 球 首 发",  # spaced out
        "我们 NO.1 的品牌",
    ],
)
def test_claims_without_the_exemption(scanner: Scanner, text: str) -> None:
    assert _claims(scanner, text)


@pytest.mark.parametrize(
    "text",
    [
        # the customer or a third party is the subject
        "贵司最具潜力的区域是哪里？",
        "贵司明年想办一场世界级的行业大会吧？",
        # someone else's words or worries, reported
        "您是担心我们随时涨价吧？合同可以写明三年锁价。",
        "他们家号称行业第一，您可以自己去比较。",
        # quoted to be criticised, or refused
        "“领导品牌”这种表述我们不会用。",
        "我们从来不说自己是最好的。",
        "我们不承诺100%准确，测试集上是百分之九十六。",
        "我们不是首家做这个的，之前已经有好几家。",
        # a question, a title, a situation
        "两个方案哪个最好，要看贵司的预算。",
        "您要的书叫《营销领域的最新科学方法》，我发您链接。",
        "这种故障在我们这里绝无仅有，我马上排查。",
        # a dated, sourced fact worded without 据/根据
        "中国信通院2023年的评测结果显示，我们的响应速度排名第一。",
        # internal process, technical sense
        "本月销售部的销量冠军是小李。",
        "这次客户满意度调查的Top1诉求是报表导出。",
        "附件是国家级标准GB/T 19001-2016的条款摘录。",
        "我们的秒杀系统架构能扛住十万并发。",
    ],
)
def test_context_mechanisms_spare(scanner: Scanner, text: str) -> None:
    assert not _claims(scanner, text), [f.match for f in scanner.scan(text).flags]


@pytest.mark.parametrize(
    "text",
    [
        # the mechanisms do not reach claims that only look like them
        "我们就是您数字化升级的最佳选择。",  # 您 is not the subject
        "我们系统就是贵司的首选。",
        "您买这款绝对划算。",  # the customer buying: persuasion, not their situation
        "不得不说，这是全网最低价。",  # 不得不说 is no refusal
        "客户都说我们是行业第一。",  # a testimonial is still a claim
        "客户满意度100%，好评率全国第一。",
        "内部价，全网最低。",
        "这个价格真是便宜到夸张，全网最低。",
        "这款净水器是宝妈们的首选，今天直播间特价！",
        "我们是西南最大的冷链物流公司。",
    ],
)
def test_claims_next_to_the_mechanisms(scanner: Scanner, text: str) -> None:
    assert _claims(scanner, text)
