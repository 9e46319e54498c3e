"""LLM refinement of the rule result, through any OpenAI-compatible chat endpoint.

The rules always run first. Their result goes into the prompt; the model answers with the
:class:`~copilot.insights.draft.InsightsDraft` schema (structured output). Anything going wrong
— timeout, connection refused, a reply that is not the schema — is logged as a warning and the
rule result is returned unchanged. Items the model cannot quote from the utterance are dropped:
a refinement may correct and add, never invent.

Needs the optional extra: ``pip install -e '.[llm]'``.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from copilot.insights.base import InsightExtractor
from copilot.insights.config import InsightConfig, LLMConfig
from copilot.insights.draft import InsightsDraft
from copilot.insights.errors import BackendMissingError, PromptError
from copilot.insights.extractor import RuleExtractor
from copilot.insights.models import (
    Budget,
    Commitment,
    Competitor,
    DecisionMaker,
    Evidence,
    Insights,
    Objection,
    PainPoint,
    Speaker,
)
from copilot.insights.prompts import PromptTemplate, load_prompt
from copilot.insights.text import normalize

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install -e '.[llm]'"


def chat_model(config: LLMConfig, schema: type[BaseModel] = InsightsDraft) -> Any:
    """A LangChain chat model bound to ``schema`` (``Runnable``; typed ``Any`` because
    langchain is optional)."""
    try:
        from langchain_openai import ChatOpenAI
    except ModuleNotFoundError as exc:
        raise BackendMissingError(
            f"the LLM insight backend needs langchain-openai; install it with: {INSTALL_HINT}"
        ) from exc
    # Local servers (vLLM, Ollama) accept any key; the client insists on having one.
    api_key = config.api_key.get_secret_value() if config.api_key else "not-set"
    model = ChatOpenAI(
        model=config.model,
        base_url=config.base_url,
        api_key=api_key,  # type: ignore[arg-type]  # a plain str is accepted at run time
        timeout=config.timeout_s,
        max_retries=config.max_retries,
        temperature=config.temperature,
    )
    return model.with_structured_output(schema, method=config.structured_output)


class LLMExtractor(InsightExtractor):
    def __init__(
        self, config: InsightConfig | None = None, rules: RuleExtractor | None = None
    ) -> None:
        self.config = config or InsightConfig(backend="llm")
        self._rules = rules or RuleExtractor(self.config)
        self._prompt: PromptTemplate = load_prompt(self.config.prompts_dir, self.config.llm.prompt)
        if self._prompt.schema() is not InsightsDraft:
            raise PromptError(f"prompt {self._prompt.name} must fill {InsightsDraft.__name__}")
        self._model = chat_model(self.config.llm)

    def extract(
        self, text: str, speaker: Speaker = "customer", utterance_id: str | None = None
    ) -> Insights:
        baseline = self._rules.extract(text, speaker=speaker, utterance_id=utterance_id)
        said = normalize(text[: self.config.max_chars])
        if not said:
            return baseline
        messages = self._prompt.messages(
            speaker=speaker,
            text=said,
            rules_json=baseline.model_dump_json(exclude={"budget_history"}, indent=1),
        )
        try:
            draft = self._model.invoke(messages)
            if not isinstance(draft, InsightsDraft):
                raise ValueError(f"expected {InsightsDraft.__name__}, got {type(draft).__name__}")
            return refined(draft, baseline, said, speaker, utterance_id)
        except Exception as exc:  # any failure of the optional refinement keeps the rules
            logger.warning(
                "LLM refinement failed (%s: %s); keeping the rule result", type(exc).__name__, exc
            )
            return baseline


def refined(
    draft: InsightsDraft,
    baseline: Insights,
    said: str,
    speaker: Speaker,
    utterance_id: str | None,
) -> Insights:
    """The model's answer as :class:`Insights`, keeping only what it quotes from ``said``.
    Where the model agrees with the rules, the rule item is kept: it carries the additive
    fields (budget scope, decision order, competitor as heard) the model does not fill."""

    def quoted(evidence: str) -> Evidence | None:
        evidence = evidence.strip()
        if not evidence or evidence not in said:
            return None
        return Evidence(utterance_id=utterance_id, text=evidence)

    commitments = [
        Commitment(who=c.who, what=c.what, due=c.due, evidence=e)
        for c in draft.commitments
        if (e := quoted(c.evidence))
    ]
    if speaker == "rep":
        return Insights(commitments=commitments)
    budget = baseline.budget
    if draft.budget is None:
        budget = None
    elif (e := quoted(draft.budget.evidence)) is not None:
        b = draft.budget
        same = budget is not None and (budget.amount_min, budget.amount_max) == (
            b.amount_min,
            b.amount_max,
        )
        if not same:
            budget = Budget(
                amount_min=b.amount_min,
                amount_max=b.amount_max,
                period=b.period,
                kind=b.kind,
                evidence=e,
            )
    rule_people = {d.name: d for d in baseline.decision_chain}
    rule_competitors = {c.name: c for c in baseline.competitors}
    return Insights(
        budget=budget,
        decision_chain=[
            rule_people[d.name].model_copy(update={"role": d.role or rule_people[d.name].role})
            if d.name in rule_people
            else DecisionMaker(name=d.name, role=d.role, evidence=e)
            for d in draft.decision_chain
            if (e := quoted(d.evidence))
        ],
        pain_points=[
            PainPoint(category=p.category, text=p.text, evidence=e)
            for p in draft.pain_points
            if (e := quoted(p.evidence))
        ],
        objections=[
            Objection(type=o.type, text=o.text, evidence=e)
            for o in draft.objections
            if (e := quoted(o.evidence))
        ],
        competitors=[
            rule_competitors.get(c.name) or Competitor(name=c.name, evidence=e)
            for c in draft.competitors
            if (e := quoted(c.evidence))
        ],
        commitments=commitments,
        systems=baseline.systems,  # named systems stay the rules' (the draft has none)
    )
