"""An LLM as the second opinion on uncertain finds: it confirms or rejects each, with a reason.

What is asked about: everything only the learned model found (``source="model"``) and rule
finds below ``rule_confidence_below``. The LLM sees the text and the numbered candidates and
answers ``{"decisions": [{"id", "keep", "reason"}]}``; a rejected candidate is dropped, a
confirmed one or one it did not mention stands. Any failure (timeout, refused connection, an
answer that is not that JSON) leaves every candidate as it was: adjudication may only take
away a doubtful find, never cost one because the LLM is down.

Speaks the OpenAI chat-completions protocol over plain HTTP (any compatible endpoint: vLLM,
Ollama, DeepSeek, Qwen), configured as ``settings.insights.llm``; switched on with
``COPILOT_SERVICE__LEARNING__ADJUDICATE=true``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import httpx
from pydantic import BaseModel

from compliance import ScanResult
from copilot.insights.config import LLMConfig
from copilot.insights.models import Insights
from copilot.learning.corpus import Side

logger = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"

SYSTEM_PROMPT = (
    "你是销售通话分析的复核员。给你一句话和若干候选判断"
    "（客户异议/痛点/决策人，或销售话术的合规问题），逐条判断候选是否成立。"
    '只输出 JSON：{"decisions": [{"id": "c1", "keep": true, "reason": "一句理由"}]}。'
    "不确定时保留（keep=true）。"
)


@dataclass(frozen=True)
class Candidate:
    """One find to confirm: ``label`` as the model names it (``objection:price``,
    ``kickback`` …), the words it rests on, who found it and how sure."""

    id: str
    label: str
    evidence: str
    source: str
    confidence: float


@dataclass(frozen=True)
class Decision:
    id: str
    keep: bool
    reason: str


class Adjudicator(Protocol):
    """Decides on candidates; an empty answer means "no opinion" (all stand)."""

    rule_confidence_below: float

    def adjudicate(
        self, text: str, side: Side, candidates: Sequence[Candidate]
    ) -> dict[str, Decision]: ...


class _Decision(BaseModel):
    id: str
    keep: bool
    reason: str = ""


class _Answer(BaseModel):
    decisions: list[_Decision]


class LLMAdjudicator:
    """Asks an OpenAI-compatible chat endpoint, one request per text with candidates."""

    def __init__(
        self,
        config: LLMConfig,
        *,
        rule_confidence_below: float = 0.6,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.rule_confidence_below = rule_confidence_below
        headers = {}
        if config.api_key is not None:
            headers["Authorization"] = f"Bearer {config.api_key.get_secret_value()}"
        self._http = httpx.Client(
            base_url=(config.base_url or OPENAI_URL).rstrip("/"),
            headers=headers,
            timeout=config.timeout_s,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def adjudicate(
        self, text: str, side: Side, candidates: Sequence[Candidate]
    ) -> dict[str, Decision]:
        if not candidates:
            return {}
        listed = [
            {"id": c.id, "label": c.label, "evidence": c.evidence, "found_by": c.source}
            for c in candidates
        ]
        speaker = "客户说" if side == "customer" else "销售说"
        user = f"{speaker}：{text}\n候选：{json.dumps(listed, ensure_ascii=False)}"
        body = {
            "model": self.config.model,
            "temperature": self.config.temperature,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user},
            ],
        }
        try:
            answer = self._http.post("/chat/completions", json=body)
            answer.raise_for_status()
            content = answer.json()["choices"][0]["message"]["content"]
            decisions = _Answer.model_validate_json(_unfenced(content)).decisions
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            # ValidationError and JSONDecodeError are ValueErrors.
            logger.warning(
                "LLM adjudication failed (%s: %s); the candidates stand", type(exc).__name__, exc
            )
            return {}
        known = {c.id for c in candidates}
        return {d.id: Decision(d.id, d.keep, d.reason.strip()) for d in decisions if d.id in known}


def _unfenced(content: str) -> str:
    """The JSON inside a ```json fence some servers add despite ``json_object``."""
    content = content.strip()
    if content.startswith("```"):
        content = content.strip("`").removeprefix("json").strip()
    return content


def _doubtful(source: str, confidence: float, below: float) -> bool:
    return source == "model" or confidence < below


def adjudicate_insights(adjudicator: Adjudicator, text: str, insights: Insights) -> Insights:
    """``insights`` without the doubtful items the adjudicator rejected."""
    below = adjudicator.rule_confidence_below
    items: list[tuple[str, str, object]] = []  # (candidate id, field, item)
    candidates: list[Candidate] = []
    for name, field_name, prefix in (
        ("objections", "type", "objection:"),
        ("pain_points", "category", "pain:"),
        ("decision_chain", None, "decision_maker"),
    ):
        for item in getattr(insights, name):
            if not _doubtful(item.source, item.confidence, below):
                continue
            cid = f"c{len(candidates) + 1}"
            label = prefix + getattr(item, field_name) if field_name else prefix
            evidence = item.evidence.text if item.evidence is not None else text
            candidates.append(Candidate(cid, label, evidence, item.source, item.confidence))
            items.append((cid, name, item))
    if not candidates:
        return insights
    decisions = adjudicator.adjudicate(text, "customer", candidates)
    rejected = {id(item) for cid, _, item in items if cid in decisions and not decisions[cid].keep}
    _log(decisions)
    if not rejected:
        return insights
    update = {
        name: [item for item in getattr(insights, name) if id(item) not in rejected]
        for name in ("objections", "pain_points", "decision_chain")
    }
    return insights.model_copy(update=update)


def adjudicate_scan(adjudicator: Adjudicator, text: str, result: ScanResult) -> ScanResult:
    """``result`` without the doubtful flags the adjudicator rejected."""
    below = adjudicator.rule_confidence_below
    candidates: list[Candidate] = []
    by_id: dict[str, int] = {}
    for index, flag in enumerate(result.flags):
        if _doubtful(flag.source, flag.confidence, below):
            cid = f"c{len(candidates) + 1}"
            candidates.append(
                Candidate(cid, flag.category, flag.match, flag.source, flag.confidence)
            )
            by_id[cid] = index
    if not candidates:
        return result
    decisions = adjudicator.adjudicate(text, "rep", candidates)
    _log(decisions)
    dropped = {by_id[cid] for cid, d in decisions.items() if not d.keep}
    if not dropped:
        return result
    kept = [flag for index, flag in enumerate(result.flags) if index not in dropped]
    return ScanResult.from_flags(kept, truncated=result.truncated)


def _log(decisions: dict[str, Decision]) -> None:
    for decision in decisions.values():
        # Not the reason: the LLM's words may quote what was said (the decision records it).
        logger.info("LLM %s %s", "kept" if decision.keep else "rejected", decision.id)


__all__ = [
    "Adjudicator",
    "Candidate",
    "Decision",
    "LLMAdjudicator",
    "adjudicate_insights",
    "adjudicate_scan",
]
