"""Hybrid ranking over the real KB and a real Chroma index: BM25, filters, boosts, diversity
and rep feedback."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from retrieval import Filters, InMemoryFeedback, QuerySignals, RetrievalError, Suggester
from retrieval.bm25 import MAX_QUERY_TERMS, BM25Index, analyze
from retrieval.config import RankingConfig
from retrieval.feedback import FeedbackSignal
from retrieval.ranking import HybridRanker


def ranker_with(
    suggester: Suggester, feedback: FeedbackSignal | None = None, **config: object
) -> HybridRanker:
    base = suggester.ensure_ready()
    return HybridRanker(
        base.entries,
        base.tags,
        base.store,
        base.embedder,
        RankingConfig().model_copy(update=config),
        feedback,
    )


# -- BM25 ----------------------------------------------------------------------------


def brute_force_bm25(texts: list[str], query: str, k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Okapi BM25 the slow way: a loop over every document and query term."""
    docs = [Counter(analyze(text)) for text in texts]
    average = sum(sum(d.values()) for d in docs) / len(docs)
    scores = []
    for doc in docs:
        length = sum(doc.values())
        score = 0.0
        for term, qtf in Counter(analyze(query)).items():
            df = sum(1 for d in docs if term in d)
            if not df or term not in doc:
                continue
            idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
            tf = doc[term]
            weight = 1 + math.log(qtf)
            score += weight * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average))
        scores.append(score)
    return scores


def test_bm25_inverted_index_matches_the_formula() -> None:
    texts = [
        "价格太贵了，超出预算",
        "明年再说，先放一放",
        "老板拍板，价格再谈",
        "数据安全和合同条款",
    ]
    index = BM25Index(["a", "b", "c", "d"], texts)
    for query in ("价格太贵", "明年", "老板说价格", "没有关系的话"):
        assert np.allclose(index.scores(query), brute_force_bm25(texts, query), atol=1e-4)
    assert [entry_id for entry_id, _ in index.search("价格太贵", 2)] == ["a", "c"]
    allowed = np.array([False, True, True, True])
    assert [entry_id for entry_id, _ in index.search("价格太贵", 5, allowed)] == ["c"]
    assert index.search("", 3) == [] and index.search("？？", 3) == []


def test_bm25_long_queries_keep_their_rarest_terms(suggester: Suggester) -> None:
    index = suggester.ensure_ready().bm25
    everything = "".join(entry.text for entry in suggester.kb.entries)
    terms = index.query_terms(everything + "价格" * 500)
    assert len(terms) == MAX_QUERY_TERMS
    dropped = {t for t in analyze(everything) if t in index.idf} - set(terms)
    assert min(index.idf[t] for t in terms) >= max(index.idf[t] for t in dropped)
    # a word said 500 times weighs like one said a few times, not 500 times more
    assert index.query_terms("价格" * 500)["w:价格"] < 8


# -- filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        Filters(kind=("case",)),
        Filters(kind=("battlecard",)),  # few entries: Chroma is asked about their ids only
        Filters(kind=("script",), industry="manufacturing"),
        Filters(objection="risk"),
        Filters(tier="enterprise", kind=("script", "case")),
        Filters(kind=("battlecard",), industry="education"),
    ],
)
def test_filters_are_obeyed(suggester: Suggester, filters: Filters) -> None:
    ranker = suggester.ensure_ready()
    found = ranker.rank("客户说价格太贵，明年再说", k=10, filters=filters)
    assert found
    industries = set(ranker.tags.ids("industry"))
    tiers = set(ranker.tags.ids("tier"))
    for ranked in found:
        entry = ranked.entry
        if filters.kind:
            assert entry.kind in filters.kind
        if filters.objection:
            assert entry.has_tag(filters.objection)
        if filters.industry:
            assert (
                entry.has_tag(filters.industry)
                or entry.has_tag("general")
                or not industries & set(entry.tags)
            )
        if filters.tier:
            assert entry.has_tag(filters.tier) or not tiers & set(entry.tags)


def test_a_filter_that_keeps_nothing_gives_nothing(suggester: Suggester) -> None:
    ranker = suggester.ensure_ready()
    assert ranker.rank("太贵了", filters=Filters(kind=("phrasing",), objection="timing")) == []


def test_an_unknown_industry_or_tier_is_an_error(suggester: Suggester) -> None:
    ranker = suggester.ensure_ready()
    with pytest.raises(RetrievalError, match="unknown industry 'manufactoring'"):
        ranker.rank("太贵了", filters=Filters(industry="manufactoring"))
    with pytest.raises(RetrievalError, match="unknown tier"):
        ranker.rank("太贵了", filters=Filters(tier="huge"))


def test_filtered_vector_search_finds_filtered_entries(suggester: Suggester) -> None:
    """With a narrow filter the vector side still contributes (asked by ids), so an entry
    with no word in common with the query can be found."""
    ranker = suggester.ensure_ready()
    only_vector = ranker.rank("贵", k=8, filters=Filters(kind=("battlecard",)))
    assert len(only_vector) == 8  # all eight battlecards, not just those containing 贵


# -- boosts --------------------------------------------------------------------------


def test_objection_boost_brings_tagged_entries_up(suggester: Suggester) -> None:
    """A neutral sentence: what the extractor found decides what comes first."""
    ranker = suggester.ensure_ready()
    query, live = "嗯，好的，我明白你的意思", Filters(kind=("script", "case", "battlecard"))
    for objection in ("price", "timing", "authority", "trust", "need", "risk"):
        top = ranker.rank(query, QuerySignals(objections=(objection,)), k=3, filters=live)
        assert top[0].entry.has_tag(objection), (objection, [r.entry.id for r in top])
        assert sum(r.entry.has_tag(objection) for r in top) >= 2


def test_competitor_boost_brings_its_battlecard(suggester: Suggester) -> None:
    ranker = suggester.ensure_ready()
    for tag in ("zoho", "hubspot", "fxiaoke", "salesforce", "dingtalk"):
        name = ranker.tags.label(tag)
        signals = QuerySignals(objections=("competitor",), competitor_tags=(tag,))
        top = ranker.rank(f"{name}比你们便宜不少", signals, k=3)
        assert f"kb-battle-{tag}" in [r.entry.id for r in top]
        assert top[0].entry.has_tag(tag)


def test_scores_are_in_0_1_and_a_full_fit_scores_high(suggester: Suggester) -> None:
    ranker = suggester.ensure_ready()
    signals = QuerySignals(objections=("competitor",), competitor_tags=("fxiaoke",))
    top = ranker.rank("纷享销客更便宜", signals, k=10)
    assert all(0.0 <= r.score <= 1.0 for r in top)
    assert top[0].score > 0.8
    # signals looked for, none found: no suggestion claims a full fit
    ceiling = 1 / (1 + ranker.config.objection_boost)
    unsure = ranker.rank("你好，今天天气不错", QuerySignals(), k=3)
    assert unsure and all(r.score <= ceiling + 1e-9 for r in unsure)
    # plain search: relevance alone, the best match scores high
    assert ranker.rank("纷享销客更便宜", k=1)[0].score > 0.9


# -- diversity -----------------------------------------------------------------------


def test_top_three_mixes_kinds(suggester: Suggester) -> None:
    ranker = suggester.ensure_ready()
    signals = QuerySignals(objections=("price",))
    kinds = ("script", "case", "battlecard")
    diverse = ranker.rank("太贵了，预算不够", signals, k=3, filters=Filters(kind=kinds))
    assert max(Counter(r.entry.kind for r in diverse).values()) <= 2
    plain = ranker_with(suggester, max_per_kind_top3=3).rank(
        "太贵了，预算不够", signals, k=3, filters=Filters(kind=kinds)
    )
    assert [r.entry.kind for r in plain] == ["script"] * 3  # what diversity prevented


def test_diversity_yields_to_a_much_better_entry(suggester: Suggester) -> None:
    """When the other kinds score far lower, the third script stays."""
    ranker = ranker_with(suggester, diversity_ratio=1.0)
    top = ranker.rank(
        "太贵了，预算不够",
        QuerySignals(objections=("price",)),
        k=3,
        filters=Filters(kind=("script", "case")),
    )
    assert [r.entry.kind for r in top] == ["script"] * 3


# -- feedback ------------------------------------------------------------------------


def test_feedback_moves_an_entry(suggester: Suggester) -> None:
    query, signals = "太贵了", QuerySignals(objections=("price",))
    kinds = Filters(kind=("script",))
    feedback = InMemoryFeedback(scale=0.1)
    ranker = ranker_with(suggester, feedback)
    before = {r.entry.id: r.score for r in ranker.rank(query, signals, k=8, filters=kinds)}
    order = list(before)
    fourth, first = order[3], order[0]
    for _ in range(20):
        feedback.record(fourth, "used")
        feedback.record(first, "dismissed")
    after = {r.entry.id: r.score for r in ranker.rank(query, signals, k=8, filters=kinds)}
    assert list(after).index(fourth) < 3
    assert after[first] < before[first]
    # small and bounded: at most feedback_max (before scaling to 0..1) either way
    assert before[first] - after[first] <= ranker.config.feedback_max


def test_feedback_is_bounded(suggester: Suggester) -> None:
    class Shouting:
        def adjustment(self, entry_id: str) -> float:
            return 5.0 if entry_id == "kb-script-timing-gen-01" else 0.0

    assert isinstance(Shouting(), FeedbackSignal)
    ranker = ranker_with(suggester, Shouting(), feedback_max=0.05)
    top = ranker.rank("太贵了", QuerySignals(objections=("price",)), k=3)
    assert "kb-script-timing-gen-01" not in [r.entry.id for r in top]
    assert all(r.parts["feedback"] <= 0.05 for r in top)


def test_in_memory_feedback() -> None:
    feedback = InMemoryFeedback(scale=0.1, prior=3)
    assert feedback.adjustment("x") == 0.0
    feedback.record("x", "used")
    assert feedback.adjustment("x") == pytest.approx(0.1 / 4)
    for _ in range(1000):
        feedback.record("y", "dismissed")
    assert -0.1 < feedback.adjustment("y") < -0.099
    with pytest.raises(ValueError, match="used"):
        feedback.record("x", "liked")  # type: ignore[arg-type]
