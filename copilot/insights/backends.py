"""The insight backends, looked up by the settings value (``insights.backend``).

The registry lives apart from the backends: the LLM refinement wraps the rule extractor,
so ``llm`` imports ``extractor``, and nothing imports back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from copilot.insights.base import InsightExtractor
from copilot.insights.config import InsightConfig
from copilot.insights.extractor import RuleExtractor
from copilot.insights.lexicon import CompetitorEntry


def _llm_backend(
    config: InsightConfig, extra_competitors: Sequence[CompetitorEntry] = ()
) -> InsightExtractor:
    from copilot.insights.llm import LLMExtractor  # needs the optional `llm` extra

    return LLMExtractor(config, RuleExtractor(config, extra_competitors))


# Each backend takes the config and extra competitors (an organisation's own vendors).
BACKENDS: dict[str, Callable[[InsightConfig, Sequence[CompetitorEntry]], InsightExtractor]] = {
    "rules": RuleExtractor,
    "llm": _llm_backend,
}


def build_extractor(
    config: InsightConfig | None = None, extra_competitors: Sequence[CompetitorEntry] = ()
) -> InsightExtractor:
    """The extractor the configuration asks for; ``extra_competitors`` are recognised
    besides the configured competitor list."""
    config = config or InsightConfig()
    return BACKENDS[config.backend](config, extra_competitors)
