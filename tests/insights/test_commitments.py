"""Commitments: who will do what, by when."""

from __future__ import annotations

import pytest

from copilot.insights import RuleExtractor


@pytest.mark.parametrize(
    ("said", "speaker", "what", "due"),
    [
        ("明天下午之前把方案发您。", "rep", "把方案发您", "明天下午"),
        ("好的，我周四之前把方案和报价发到您邮箱。", "rep", "把方案和报价发到您邮箱", "周四"),
        ("下周三前搭好 POC 环境。", "rep", "搭好 POC 环境", "下周三"),
        ("您放心，两个工作日内给您回复。", "rep", "给您回复", "两个工作日内"),
        ("3月15号之前给您出报价。", "rep", "给您出报价", "3月15号"),
        ("我会尽快安排技术同事跟您对接。", "rep", "安排技术同事跟您对接", "尽快"),
        ("导入有标准模板，我们的实施顾问会协助您。", "rep", "协助您", None),
        ("我下周给您答复。", "customer", "给您答复", "下周"),
        ("这个月底前我们开会讨论完给您消息。", "customer", "开会讨论完给您消息", "这个月底"),
    ],
)
def test_commitments(
    extractor: RuleExtractor, said: str, speaker: str, what: str, due: str | None
) -> None:
    (commitment,) = extractor.extract(said, speaker=speaker).commitments  # type: ignore[arg-type]
    assert (commitment.who, commitment.what, commitment.due) == (speaker, what, due)


@pytest.mark.parametrize(
    ("said", "speaker"),
    [
        ("那你先把方案发我看看。", "customer"),  # a request to the listener
        ("他下周出差回来。", "customer"),  # someone else's plan
        ("我们三月份就要用。", "customer"),  # a need, not an action
        ("了解，那今年这个项目大概有多少预算？", "rep"),  # a question
        ("这样，我给您打个五折，您今天就能定。", "rep"),
        ("我明天不会过去了。", "rep"),  # a refusal
        ("我明天把方案发您。", "unknown"),  # nobody to hold to it
        ("", "rep"),
    ],
)
def test_not_commitments(extractor: RuleExtractor, said: str, speaker: str) -> None:
    assert extractor.extract(said, speaker=speaker).commitments == []  # type: ignore[arg-type]


def test_a_rep_utterance_gives_only_commitments(extractor: RuleExtractor) -> None:
    insights = extractor.extract(
        "我们是行业第一，预算五十万的话，我明天就把方案发您。", speaker="rep", utterance_id="r7"
    )
    assert insights.budget is None and insights.objections == []
    assert [(c.who, c.due) for c in insights.commitments] == [("rep", "明天")]
    assert insights.commitments[0].evidence.utterance_id == "r7"
