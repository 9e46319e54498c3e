"""The readable ``summary_text`` of a call: a template by default, an LLM when configured.

The template (:func:`copilot.analysis.summary_text`) is always computed; an LLM configured
for insights (``COPILOT_INSIGHTS__BACKEND=llm``) rewrites it as prose from the same facts.
Any failure — no extra installed, timeout, a reply that is not the schema, an empty text —
keeps the template, so a summary is never missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from copilot.analysis import CallSummary, summary_text
from copilot.insights import InsightConfig
from copilot.insights.llm import chat_model
from copilot.insights.prompts import PromptTemplate, load_prompt

logger = logging.getLogger(__name__)

# Enough of a call for a summary; a long call's transcript is cut, the facts are not.
MAX_TRANSCRIPT_CHARS = 6000

SummaryWriter = Callable[[CallSummary], str]


class SummaryDraft(BaseModel):
    summary_text: str = Field(description="通话小结，简体中文，150 字以内")


class LLMSummaryWriter:
    def __init__(self, config: InsightConfig) -> None:
        self._prompt: PromptTemplate = load_prompt(config.prompts_dir, "summary.v1")
        self._model: Any = chat_model(config.llm, SummaryDraft)

    def __call__(self, summary: CallSummary) -> str:
        fallback = summary_text(summary)
        facts = summary.model_dump_json(exclude={"transcript", "summary_text", "budget_history"})
        transcript = "\n".join(f"{s.speaker}: {s.text}" for s in summary.transcript)
        messages = self._prompt.messages(
            summary_json=facts, transcript=transcript[:MAX_TRANSCRIPT_CHARS]
        )
        try:
            draft = self._model.invoke(messages)
            if not isinstance(draft, SummaryDraft) or not draft.summary_text.strip():
                raise ValueError("the reply has no summary_text")
            return draft.summary_text.strip()
        except Exception as exc:  # the template is always a good answer
            logger.warning(
                "LLM summary failed (%s: %s); using the template", type(exc).__name__, exc
            )
            return fallback


def build_summary_writer(config: InsightConfig) -> SummaryWriter:
    """The LLM writer when an LLM is configured for insights, else the template."""
    if config.backend != "llm":
        return summary_text
    try:
        return LLMSummaryWriter(config)
    except Exception as exc:  # e.g. the llm extra is missing: say so once, keep working
        logger.warning("LLM summaries unavailable (%s); using the template", exc)
        return summary_text
