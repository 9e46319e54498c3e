"""Text normalisation before the extractors: spaces a recogniser puts inside Chinese go,
and where they marked a pause between words is remembered."""

from __future__ import annotations

import pytest

from copilot.insights.text import Segmenter, normalize, normalize_marking_pauses


@pytest.mark.parametrize(
    ("heard", "text", "pauses"),
    [
        # Between runs of two or more characters: a pause, where a word ends.
        ("总部用的天才商龙 门店是另一套", "总部用的天才商龙门店是另一套", {8}),
        ("  我们 用的 80 万 ", "我们用的80万", {2}),
        # Single characters spaced out are one word spelt out (销 售 易).
        ("销 售 易 很好", "销售易很好", set()),
        ("没有空格。", "没有空格。", set()),
        # Full-width letters and digits fold as normalize folds them.
        ("用的ＣＲＭ 系统", "用的CRM 系统", set()),
    ],
)
def test_pauses_are_marked_where_words_end(heard: str, text: str, pauses: set[int]) -> None:
    normal, marked = normalize_marking_pauses(heard)
    assert normal == text == normalize(heard)
    assert marked == pauses
    assert Segmenter(normal, marked).pauses == marked
