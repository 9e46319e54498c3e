"""Fixtures of the insight tests: one rule extractor per run (its lexicons load once)."""

from __future__ import annotations

import pytest

from copilot.insights import Insights, RuleExtractor


@pytest.fixture(scope="session")
def extractor() -> RuleExtractor:
    return RuleExtractor()


@pytest.fixture(scope="session")
def customer(extractor: RuleExtractor):  # type: ignore[no-untyped-def]
    """``customer("…")``: insights of a customer utterance."""

    def extract(text: str) -> Insights:
        return extractor.extract(text, speaker="customer", utterance_id="u1")

    return extract
