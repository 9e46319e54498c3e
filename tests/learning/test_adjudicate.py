"""LLM adjudication against a real HTTP server on loopback that speaks the OpenAI
chat-completions protocol and answers canned decisions (the LLM is the external part)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from compliance import Scanner
from copilot.insights import InsightConfig, build_extractor
from copilot.insights.config import LLMConfig
from copilot.learning import ModelAssistedExtractor, ModelAssistedScanner, bundled_models
from copilot.learning.adjudicate import Candidate, LLMAdjudicator
from tests.insights.recorded_server import ChatServer

# The shipped model alone flags this as kickback (no rule does); a rule flags the second.
MODEL_ONLY = "给您家孩子报个夏令营，费用我们这边出。"
RULE_FLAGGED = "签了合同，我私下给您返点。"
# The rules find a price objection here, the shipped model alone an authority one.
MODEL_OBJECTION = "这么多钱老板肯定不会批的"

Decide = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


class CannedChatServer(ChatServer):
    """``POST /v1/chat/completions`` answered with ``decide(candidates)`` as the message's
    JSON content; ``mode`` ``error`` answers 500, ``garbage`` a non-JSON body, ``slow``
    sleeps past the client's timeout first."""

    def __init__(self, decide: Decide, mode: str = "ok") -> None:
        super().__init__()
        self.decide = decide
        self.mode = mode

    def answer(self, path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        self.requests.append({"path": path, **request})
        if self.mode == "error":
            return 500, b'{"error": {"message": "overloaded"}}'
        if self.mode == "garbage":
            return 200, b"<html>502</html>"
        if self.mode == "slow":
            time.sleep(1.5)
        user = request["messages"][-1]["content"]
        listed = re.search(r"候选：(.*)$", user, re.S)
        assert listed is not None, user
        content = json.dumps({"decisions": self.decide(json.loads(listed.group(1)))})
        completion = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": request["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        return 200, json.dumps(completion, ensure_ascii=False).encode()


def reject(label: str) -> Decide:
    def decide(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"id": c["id"], "keep": c["label"] != label, "reason": f"{c['label']}: 复核结论"}
            for c in candidates
        ]

    return decide


@pytest.fixture
def rejecting() -> Iterator[CannedChatServer]:
    with CannedChatServer(reject("kickback")) as server:
        yield server


def adjudicator(server: CannedChatServer, timeout_s: float = 5.0) -> LLMAdjudicator:
    return LLMAdjudicator(LLMConfig(base_url=server.base_url, model="judge", timeout_s=timeout_s))


def scanner(judge: LLMAdjudicator | None) -> ModelAssistedScanner:
    model = bundled_models().rep
    assert model is not None
    return ModelAssistedScanner(Scanner(), model, adjudicator=judge)


def test_the_shipped_model_alone_flags_the_model_only_text() -> None:
    flags = scanner(None).scan(MODEL_ONLY).flags
    assert [(f.category, f.source) for f in flags] == [("kickback", "model")]


def test_a_rejected_model_flag_is_dropped_and_rule_flags_are_never_asked(
    rejecting: CannedChatServer,
) -> None:
    judged = scanner(adjudicator(rejecting))
    assert judged.scan(MODEL_ONLY).flags == []
    rule = judged.scan(RULE_FLAGGED)
    assert {f.source for f in rule.flags} == {"rule"} and not rule.compliant
    # One request, for the model's flag only; the rule's flag was never sent.
    assert len(rejecting.requests) == 1
    sent = rejecting.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["model"] == "judge"
    assert MODEL_ONLY in sent["messages"][-1]["content"]


def test_decisions_carry_the_reason_and_ignore_unknown_ids(rejecting: CannedChatServer) -> None:
    judge = adjudicator(rejecting)
    candidates = [Candidate("c1", "kickback", "费用我们这边出", "model", 0.7)]
    decisions = judge.adjudicate(MODEL_ONLY, "rep", candidates)
    assert decisions["c1"].keep is False
    assert decisions["c1"].reason == "kickback: 复核结论"


def test_a_confirmed_model_flag_stands() -> None:
    with CannedChatServer(reject("privacy")) as server:
        flags = scanner(adjudicator(server)).scan(MODEL_ONLY).flags
        assert [(f.category, f.source) for f in flags] == [("kickback", "model")]
        assert len(server.requests) == 1


@pytest.mark.parametrize("mode", ["error", "garbage", "slow"])
def test_on_any_failure_the_candidates_stand(mode: str) -> None:
    with CannedChatServer(reject("kickback"), mode=mode) as server:
        started = time.monotonic()
        flags = scanner(adjudicator(server, timeout_s=0.5)).scan(MODEL_ONLY).flags
        assert [(f.category, f.source) for f in flags] == [("kickback", "model")]
        assert time.monotonic() - started < 1.4  # the timeout, not the server, decided
        assert server.requests


def test_a_refused_connection_leaves_the_candidates() -> None:
    with CannedChatServer(reject("kickback")) as server:
        url = server.base_url
    judge = LLMAdjudicator(LLMConfig(base_url=url, timeout_s=1.0))
    assert [f.source for f in scanner(judge).scan(MODEL_ONLY).flags] == ["model"]


def test_a_rejected_model_objection_is_dropped_from_the_insights() -> None:
    model = bundled_models().customer
    assert model is not None
    rules = build_extractor(InsightConfig())
    plain = ModelAssistedExtractor(rules, model).extract(MODEL_OBJECTION)
    found = {(o.type, o.source) for o in plain.objections}
    assert found == {("price", "rule"), ("authority", "model")}
    with CannedChatServer(reject("objection:authority")) as server:
        judged = ModelAssistedExtractor(rules, model, adjudicator=adjudicator(server))
        kept = judged.extract(MODEL_OBJECTION).objections
        assert [(o.type, o.source) for o in kept] == [("price", "rule")]
        # Only the model's find was asked about.
        asked = server.requests[0]["messages"][-1]["content"]
        assert "objection:authority" in asked and "objection:price" not in asked
