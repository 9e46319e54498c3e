"""Configuration of insight extraction.

The service embeds :class:`InsightConfig` in its settings; a notebook builds it directly.
``extra="forbid"`` everywhere so that a misspelt option fails at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from knowledge_base import COMPETITORS_FILE as DEFAULT_COMPETITORS
from prompts import PROMPTS_DIR as DEFAULT_PROMPTS


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LLMConfig(_Options):
    """An OpenAI-compatible chat endpoint (vLLM, Ollama, DeepSeek, Qwen…) that refines rules."""

    base_url: str | None = None  # None: the OpenAI default endpoint
    model: str = "gpt-4o-mini"
    api_key: SecretStr | None = None
    # An insight that arrives after the conversation moved on is useless: fail fast and keep
    # the rule result rather than wait.
    timeout_s: float = Field(default=8.0, gt=0.0, le=120.0)
    max_retries: int = Field(default=0, ge=0, le=5)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    # How the answer is forced into the schema; servers differ in what they support.
    structured_output: Literal["json_schema", "function_calling", "json_mode"] = "json_schema"
    prompt: str = "insights.v1"  # prompts/<name>.md


class InsightConfig(_Options):
    backend: Literal["rules", "llm"] = "rules"
    llm: LLMConfig = Field(default_factory=LLMConfig)
    competitors_path: Path = DEFAULT_COMPETITORS
    prompts_dir: Path = DEFAULT_PROMPTS
    # Half-width of the range given for an approximate amount (二十万左右 -> ±20%).
    approximate_tolerance: float = Field(default=0.2, ge=0.0, lt=1.0)
    # An utterance longer than this is cut before extraction: the rules are linear in length,
    # but a pasted document must not stall the live pipeline.
    max_chars: int = Field(default=2000, ge=1)
