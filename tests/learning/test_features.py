from __future__ import annotations

from collections import Counter

import pytest

from copilot.learning.corpus import load_side
from copilot.learning.features import FeatureSpec, Vectorizer, canonical, tokens

from .conftest import SMALL_CORPUS

TEXTS = [e.text for side in ("customer", "rep") for e in load_side(SMALL_CORPUS, side)]


@pytest.mark.parametrize(
    "spec",
    [
        FeatureSpec(4, True, True),
        FeatureSpec(3, False, True),
        FeatureSpec(4, True, False),
        FeatureSpec(3, False, False),
    ],
)
def test_the_fast_key_lookup_finds_exactly_the_string_tokens(spec: FeatureSpec) -> None:
    vectorizer = Vectorizer.fit(TEXTS[:200], spec)
    index = {token: i for i, token in enumerate(vectorizer.vocabulary)}
    for text in [*TEXTS, "保 证 百分百，ＶＸ转账 OK？", "", "。。。"]:
        wanted = Counter(index[t] for t in tokens(text, spec) if t in index)
        occurrences = vectorizer.occurrences(text)
        assert Counter(occurrences.indices.tolist()) == wanted, text
        assert all(0 <= p < len(canonical(text)) for p in occurrences.positions.tolist())


def test_homophones_share_pinyin_features() -> None:
    spec = FeatureSpec(char_max=1, words=False, pinyin=True)
    vectorizer = Vectorizer.fit(["回扣", "回扣"], spec)
    heard = {vectorizer.vocabulary[i] for i in vectorizer.occurrences("回口").indices.tolist()}
    assert {"p:hui", "p:kou", "p:hui_kou"} <= heard


def test_training_cuts_each_run_once_and_gets_the_same_tokens() -> None:
    from copilot.learning import features

    spec = FeatureSpec(4, True, False)
    plain = [tokens(text, spec) for text in TEXTS[:50]]
    vectorizer = Vectorizer.fit(TEXTS[:200], spec)
    unremembered = [vectorizer.occurrences(text) for text in TEXTS[:50]]
    with features.remembered_words():
        with features.remembered_words():  # an inner one shares the outer's memory
            assert [tokens(text, spec) for text in TEXTS[:50]] == plain
        kept = features._remembered.get()
        assert kept is not None and kept  # the runs cut so far
        cut = len(kept)
        again = [vectorizer.occurrences(text) for text in TEXTS[:50]]
        assert len(kept) == cut  # the same runs: none cut again
    assert features._remembered.get() is None  # nothing kept once training is done
    for before, after in zip(unremembered, again, strict=True):
        assert before.indices.tolist() == after.indices.tolist()
        assert before.positions.tolist() == after.positions.tolist()


def test_only_the_training_thread_keeps_its_words() -> None:
    """The service retrains an org in a thread of its own: request threads keep nothing."""
    from concurrent.futures import ThreadPoolExecutor

    from copilot.learning import features

    spec = FeatureSpec(4, True, False)
    with features.remembered_words(), ThreadPoolExecutor(1) as other:
        kept = features._remembered.get()
        assert kept is not None
        seen = len(kept)
        sentence = "请求线程里的一句话"
        request = other.submit(lambda: (tokens(sentence, spec), features._remembered.get()))
        request_tokens, request_memory = request.result()
        assert request_memory is None
        assert "w:请求" in request_tokens or "w:线程" in request_tokens
        assert len(kept) == seen  # the request's runs were not kept
