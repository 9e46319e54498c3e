"""Lexicons are data with a schema: every bundled file loads, a broken one fails loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from copilot.insights import InsightConfig, LLMConfig, RuleExtractor
from copilot.insights.errors import LexiconError, PromptError
from copilot.insights.lexicon import (
    DATA,
    BudgetLexicon,
    CommitmentLexicon,
    CompetitorList,
    DecisionLexicon,
    LexiconSchema,
    NegationLexicon,
    ObjectionLexicon,
    PainLexicon,
    load,
)
from copilot.insights.prompts import load_prompt
from copilot.insights.vendors import VendorCatalogue
from copilot.roles import RoleCues

SCHEMAS: dict[str, type[LexiconSchema]] = {
    "budget": BudgetLexicon,
    "commitments": CommitmentLexicon,
    "decision": DecisionLexicon,
    "negation": NegationLexicon,
    "objections": ObjectionLexicon,
    "pain_points": PainLexicon,
    "vendors": VendorCatalogue,
    "speaker_roles": RoleCues,
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_bundled_lexicons_match_their_schema(name: str) -> None:
    load(DATA / f"{name}.yaml", SCHEMAS[name])


def test_every_yaml_file_has_a_schema() -> None:
    assert {path.stem for path in DATA.glob("*.yaml")} == set(SCHEMAS)


def test_the_competitor_list_loads() -> None:
    competitors = load(InsightConfig().competitors_path, CompetitorList).competitors
    assert {"纷享销客", "销售易", "Salesforce", "HubSpot", "Zoho"} <= {c.name for c in competitors}


def test_a_broken_competitor_list_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "competitors.yaml"
    broken.write_text("competitors:\n  - aliases: [x]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="competitors.yaml"):
        RuleExtractor(InsightConfig(competitors_path=broken))
    with pytest.raises(LexiconError, match="cannot read"):
        RuleExtractor(InsightConfig(competitors_path=tmp_path / "missing.yaml"))


def test_options_are_strict() -> None:
    with pytest.raises(ValidationError):
        InsightConfig(backend="gpt")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        LLMConfig(timeout=3)  # type: ignore[call-arg]  # the option is timeout_s


def test_a_prompt_without_header_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("## system\nhi\n## user\n$text\n", encoding="utf-8")
    with pytest.raises(PromptError, match="YAML header"):
        load_prompt(tmp_path, "bad")


def test_the_extractor_caps_its_input(extractor: RuleExtractor) -> None:
    capped = RuleExtractor(InsightConfig(max_chars=10))
    assert capped.extract("太贵了。" + "好" * 100 + "预算五十万").budget is None
    assert extractor.extract("太贵了。" + "好" * 100 + "预算五十万").budget is not None


# Characters that exercise the amount, negation and name rules, in any order.
_TRICKY = list("预算一二三四五六七八九十百千万亿两几多来个W万k年月以内左右不是没太贵")
_TRICKY += list("李总经理销售易，。？ 0123456789.-到")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(_TRICKY), max_size=80))
def test_any_text_extracts_without_error(extractor: RuleExtractor, text: str) -> None:
    insights = extractor.extract(text, utterance_id="f")
    if insights.budget is not None:
        assert insights.budget.estimate_min <= insights.budget.estimate_max


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_unicode_extracts_without_error(extractor: RuleExtractor, text: str) -> None:
    extractor.extract(text)
