"""The ``InsightExtractor`` interface: one utterance in, :class:`Insights` out.

Its own module so that the backends (``extractor.RuleExtractor``, ``llm.LLMExtractor``) and
the registry that picks one (``backends``) all import it without importing each other.
"""

from __future__ import annotations

import abc

from copilot.insights.models import Insights, Speaker


class InsightExtractor(abc.ABC):
    """Turns one utterance into :class:`Insights`."""

    @abc.abstractmethod
    def extract(
        self, text: str, speaker: Speaker = "customer", utterance_id: str | None = None
    ) -> Insights:
        """Insights in ``text`` said by ``speaker``; evidence carries ``utterance_id``."""
