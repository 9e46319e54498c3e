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
