"""The LLM backend against a recorded-response server (tests/insights/recorded_server.py):
it refines the rule result, never invents, and falls back to the rules on any failure."""

from __future__ import annotations

import logging
import socket
import sys
import time
from collections.abc import Iterator

import pytest

from copilot.insights import InsightConfig, LLMConfig, RuleExtractor, build_extractor
from copilot.insights.draft import InsightsDraft
from copilot.insights.errors import BackendMissingError
from copilot.insights.llm import LLMExtractor
from copilot.insights.prompts import load_prompt
from tests.insights.recorded_server import Mode, RecordedChatServer


@pytest.fixture
def recorded_server(request: pytest.FixtureRequest) -> Iterator[RecordedChatServer]:
    mode: Mode = getattr(request, "param", "replay")
    with RecordedChatServer(mode=mode, delay_s=2.0) as server:
        yield server


def llm_extractor(base_url: str, extractor: RuleExtractor, timeout_s: float = 5.0) -> LLMExtractor:
    config = InsightConfig(
        backend="llm",
        llm=LLMConfig(base_url=base_url, model="qwen2.5-7b-instruct", timeout_s=timeout_s),
    )
    return LLMExtractor(config, extractor)


def test_refines_the_rule_result(
    recorded_server: RecordedChatServer, extractor: RuleExtractor
) -> None:
    said = "其实不是价格的问题，主要是老板觉得现在用Excel也够用。"
    insights = llm_extractor(recorded_server.base_url, extractor).extract(said, utterance_id="u9")
    assert [o.type for o in insights.objections] == ["need"]
    assert [d.name for d in insights.decision_chain] == ["老板"]
    # The recording also names 销售易 with words never said: dropped, not invented.
    assert insights.competitors == []
    assert all(o.evidence.utterance_id == "u9" for o in insights.objections)
    # What went out: the versioned prompt, the rule result, and the schema to fill.
    (request,) = recorded_server.requests
    user = request["messages"][-1]["content"]
    assert said in user and '"objections"' in user
    assert request["response_format"]["json_schema"]["name"] == InsightsDraft.__name__
    assert request["model"] == "qwen2.5-7b-instruct"


def test_adds_what_the_rules_missed(
    recorded_server: RecordedChatServer, extractor: RuleExtractor
) -> None:
    said = "说真的，我对你们团队能不能撑住这么大的项目心里打鼓。"
    assert extractor.extract(said).objections == []
    insights = llm_extractor(recorded_server.base_url, extractor).extract(said)
    assert [o.type for o in insights.objections] == ["trust"]


def test_corrects_the_budget(recorded_server: RecordedChatServer, extractor: RuleExtractor) -> None:
    insights = llm_extractor(recorded_server.base_url, extractor).extract(
        "总共批了两百万，我们这块大概能用三成。"
    )
    assert insights.budget is not None
    assert (insights.budget.amount_min, insights.budget.amount_max) == (600000, 600000)


def test_rep_speech_keeps_only_commitments(
    recorded_server: RecordedChatServer, extractor: RuleExtractor
) -> None:
    insights = llm_extractor(recorded_server.base_url, extractor).extract(
        "我明天上午把报价单和两个医疗器械案例发您邮箱。", speaker="rep"
    )
    assert insights.budget is None
    assert [(c.who, c.due) for c in insights.commitments] == [("rep", "明天上午")]


@pytest.mark.parametrize(
    "said",
    [
        "这句话会得到一个不是JSON的回答。",  # recorded: prose instead of JSON
        "这句话会得到类型不对的回答。",  # recorded: an objection type outside the taxonomy
        "没有录音的话，太贵了。",  # no recording: the server answers 404
    ],
)
def test_a_bad_reply_falls_back_to_the_rules(
    recorded_server: RecordedChatServer,
    extractor: RuleExtractor,
    caplog: pytest.LogCaptureFixture,
    said: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="copilot.insights.llm"):
        insights = llm_extractor(recorded_server.base_url, extractor).extract(said)
    assert insights == extractor.extract(said)
    assert "keeping the rule result" in caplog.text


@pytest.mark.parametrize("recorded_server", ["slow"], indirect=True)
def test_a_slow_server_times_out_to_the_rules(
    recorded_server: RecordedChatServer,
    extractor: RuleExtractor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    said = "其实不是价格的问题，主要是老板觉得现在用Excel也够用。"
    refine = llm_extractor(recorded_server.base_url, extractor, timeout_s=0.3)
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="copilot.insights.llm"):
        insights = refine.extract(said)
    assert time.perf_counter() - started < 1.5  # did not wait for the 2 s answer
    assert insights == extractor.extract(said)
    assert "Timeout" in caplog.text


@pytest.mark.parametrize("recorded_server", ["garbage"], indirect=True)
def test_a_garbage_response_falls_back_to_the_rules(
    recorded_server: RecordedChatServer,
    extractor: RuleExtractor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    said = "太贵了，我得问问老板。"
    with caplog.at_level(logging.WARNING, logger="copilot.insights.llm"):
        insights = llm_extractor(recorded_server.base_url, extractor).extract(said)
    assert insights == extractor.extract(said)
    assert {o.type for o in insights.objections} == {"price", "authority"}
    assert "keeping the rule result" in caplog.text


def test_no_server_falls_back_to_the_rules(extractor: RuleExtractor) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refine = llm_extractor(f"http://127.0.0.1:{port}/v1", extractor, timeout_s=1.0)
    assert refine.extract("太贵了。") == extractor.extract("太贵了。")


def test_empty_text_skips_the_model(
    recorded_server: RecordedChatServer, extractor: RuleExtractor
) -> None:
    refine = llm_extractor(recorded_server.base_url, extractor)
    assert refine.extract("   ").is_empty()
    assert recorded_server.requests == []


def test_the_registry_builds_the_llm_backend(recorded_server: RecordedChatServer) -> None:
    config = InsightConfig(backend="llm", llm=LLMConfig(base_url=recorded_server.base_url))
    assert isinstance(build_extractor(config), LLMExtractor)
    assert isinstance(build_extractor(InsightConfig()), RuleExtractor)


def test_missing_extra_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, extractor: RuleExtractor
) -> None:
    monkeypatch.setitem(sys.modules, "langchain_openai", None)  # as if not installed
    with pytest.raises(BackendMissingError, match=r"pip install -e '\.\[llm\]'"):
        llm_extractor("http://127.0.0.1:9/v1", extractor)


def test_the_prompt_names_its_schema() -> None:
    prompt = load_prompt(InsightConfig().prompts_dir, "insights.v1")
    assert (prompt.name, prompt.version) == ("insights", 1)
    assert prompt.schema() is InsightsDraft
    system, user = prompt.messages(speaker="customer", text="太贵了", rules_json="{}")
    assert system[0] == "system" and "price" in system[1]
    assert user[1].endswith("{}") and "太贵了" in user[1]
