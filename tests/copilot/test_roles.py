"""Which voice is the rep, from the words: cue scores and the decision per voice."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from copilot.roles import TextRoleResolver, rep_score
from speech.diarize_labels import VoiceTurn
from tests.conftest import DEVSET


@pytest.mark.parametrize(
    "text",
    [
        "赵总您好，我是云帆软件的小王，想跟您聊一下门店销售管理系统。",
        "这样，我给您打个五折，您今天就能定。",
        "导入有标准模板，我们的实施顾问会协助您。",
        "了解，那今年这个项目大概有多少预算？",  # a discovery question, though it says 预算
        "请问您这边现在有几个销售在用？",
    ],
)
def test_rep_words_score_as_the_rep(text: str) -> None:
    assert rep_score(text) > 0


@pytest.mark.parametrize(
    "text",
    [
        "你好，我们门店现在的问题是陈列检查全靠拍照。",
        "看了，价格太高了，我们一年最多十万。",
        "这个我还得问问我们老板，他最近在外地。",
        "那你先把方案发我看看",
        "你们的系统能不能跟用友对接？",
    ],
)
def test_customer_words_score_as_the_customer(text: str) -> None:
    assert rep_score(text) < 0


def test_the_voice_that_sounds_like_the_rep_is_the_rep() -> None:
    turns = [
        VoiceTurn(1, "刘主任您好，我是华康医疗的小陈，想跟您约一下设备演示。"),
        VoiceTurn(0, "我们科室今年预算八十万左右，纷享销客那边也在报价。"),
        VoiceTurn(1, "明白，我明天上午把配置清单发给您。"),
    ]
    roles = TextRoleResolver().resolve(turns, 2)
    assert roles[1].role == "rep" and roles[0].role == "customer"
    assert roles[1].confidence == roles[0].confidence > 0.7


def test_without_cues_nobody_is_named_and_one_voice_is_named_alone() -> None:
    resolver = TextRoleResolver()
    plain = [VoiceTurn(0, "好的"), VoiceTurn(1, "嗯，对")]
    assert {g.role for g in resolver.resolve(plain, 2).values()} == {"unknown"}
    alone = [VoiceTurn(0, "王总您好，我是云帆软件的小王，给您报个价。")]
    assert resolver.resolve(alone, 1)[0].role == "rep"
    assert resolver.resolve([VoiceTurn(0, "我们老板说预算不够。")], 1)[0].role == "customer"


def test_real_call_centre_dialogues_never_name_the_customer_as_the_agent() -> None:
    """MobileCS: real China Mobile calls. Summed per dialogue, the agent's words must never
    outscore the customer's; most must be decided (9 of 10 when written)."""
    path = DEVSET.parent / "real" / "dialogues.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    dialogues: dict[str, list[VoiceTurn]] = defaultdict(list)
    for row in rows:
        if row["corpus"].startswith("MobileCS (") and row["text"].strip():
            voice = 0 if row["speaker"] == "agent" else 1
            dialogues[row["dialog_id"]].append(VoiceTurn(voice, row["text"]))
    decided = [TextRoleResolver().resolve(turns, 2)[0].role for turns in dialogues.values()]
    assert "customer" not in decided
    assert decided.count("rep") >= 0.8 * len(decided)
