"""The practitioners' Advertising-Law words on a second writer's sentences
(tests/compliance/data/adlaw_dev2.jsonl: every word of the eight sales-relevant categories in
two claims and one hard look-alike — the same word verbatim in an ordinal, sourced, quoted,
negated or proper-name use — 285 lines). Written without seeing the rules or the first set.

Measured before anything changed (rules + the first-round model): claims caught 0.874,
look-alikes flagged 0.284. Nothing was tuned on these lines: the second-round corpus retrained
the model (claims 0.930 / 0.933 on the two halves by word, look-alikes 0.260 / 0.311). The
floors guard that figure; the look-alike rate here, unlike the blind split's 3.6 %, is what
the hardest ordinary uses of the words cost today.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from compliance import Scanner
from copilot.learning import ModelAssistedScanner, bundled_models

from .conftest import HERE

ROWS = [
    json.loads(line)
    for line in (HERE / "data" / "adlaw_dev2.jsonl").read_text("utf-8").splitlines()
    if line
]


@pytest.fixture(scope="module")
def scanner() -> Iterator[Scanner]:
    model = bundled_models().rep
    assert model is not None
    yield ModelAssistedScanner(Scanner(), model)


def test_every_word_has_two_claims_and_a_lookalike() -> None:
    by_word: dict[str, list[str]] = {}
    for row in ROWS:
        by_word.setdefault(row["word"], []).append(row["kind"])
    assert len(by_word) == 95
    assert all(sorted(kinds) == ["claim", "claim", "lookalike"] for kinds in by_word.values())


def test_claims_are_caught_and_lookalikes_mostly_left(scanner: Scanner) -> None:
    caught = flagged = 0
    claims = [r for r in ROWS if r["kind"] == "claim"]
    lookalikes = [r for r in ROWS if r["kind"] == "lookalike"]
    for row in ROWS:
        hit = any(f.category == "absolute_claim" for f in scanner.scan(row["text"]).flags)
        if row["kind"] == "claim":
            caught += hit
        else:
            flagged += hit
    assert caught / len(claims) >= 0.9
    assert flagged / len(lookalikes) <= 0.32
