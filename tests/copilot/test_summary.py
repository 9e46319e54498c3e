"""The summary text: the template by default, an LLM (recorded server) when configured,
and the template again whenever the LLM fails."""

from __future__ import annotations

import json

import pytest

from compliance import Scanner
from copilot.analysis import build_summary, segments_from_turns, summarize, summary_text
from copilot.insights import InsightConfig, Insights, LLMConfig, RuleExtractor
from copilot.summary import LLMSummaryWriter, build_summary_writer
from speech.types import Segment
from tests.conftest import DEVSET
from tests.insights.recorded_server import RecordedChatServer

CALL = json.loads((DEVSET / "calls.json").read_text(encoding="utf-8"))[0]


def summary(writer=None):  # type: ignore[no-untyped-def]
    turns = [(speaker, text) for speaker, text in CALL["turns"]]
    return summarize("dc01", segments_from_turns(turns), 36.0, RuleExtractor(), Scanner(), writer)


def llm_config(base_url: str, timeout_s: float = 5.0) -> InsightConfig:
    return InsightConfig(
        backend="llm", llm=LLMConfig(base_url=base_url, model="qwen2.5-7b", timeout_s=timeout_s)
    )


def test_the_template_covers_the_facts() -> None:
    text = summary().summary_text
    for fact in ("48 万元 – 72 万元", "钱总（运营副总）", "销售易", "竞品对比", "周四", "极限词"):
        assert fact in text
    assert build_summary_writer(InsightConfig()) is summary_text


def test_a_configured_llm_writes_the_text_from_the_facts() -> None:
    with RecordedChatServer() as server:
        result = summary(LLMSummaryWriter(llm_config(server.base_url)))
        (request,) = server.requests
    assert result.summary_text.startswith("客户门店陈列检查靠拍照")
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    assert "销售易" in user and "customer: 不过销售易也在跟我们谈" in user
    assert result.budget is not None  # the structured fields are the rules', untouched


def test_a_failing_llm_keeps_the_template() -> None:
    with RecordedChatServer(mode="garbage") as server:
        result = summary(LLMSummaryWriter(llm_config(server.base_url)))
    assert result.summary_text == summary_text(result)
    with RecordedChatServer(mode="slow", delay_s=2.0) as server:
        result = summary(LLMSummaryWriter(llm_config(server.base_url, timeout_s=0.5)))
    assert result.summary_text == summary_text(result)


def test_a_failing_summary_writer_falls_back_to_the_template_when_asked() -> None:
    def down(_: object) -> str:
        raise ConnectionError("LLM down")

    segments = [Segment(id="s1", start=0.0, end=2.0, speaker="customer", text="预算三十万")]
    reported: list[Exception] = []
    summary = build_summary("c1", segments, 2.0, Insights(), [], down, reported.append)
    assert summary.summary_text == summary_text(summary)
    assert [type(e) for e in reported] == [ConnectionError]
    with pytest.raises(ConnectionError):
        build_summary("c1", segments, 2.0, Insights(), [], down)
