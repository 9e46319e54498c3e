"""The named-system extractor on ``data/vendors_dev2.jsonl``: a second writer's 320 lines (194
vendor/product pairs of 137 vendors, 96 lines misheard, 64 look-alikes), written from market
knowledge without seeing the catalogue or the first dev set.

Measured before any change (bench scoring, rules): recall 0.858 on the tuning half, 0.840 on
the check half. The catalogue was then broadened from market knowledge (not from these
lines) and a product code after a misheard name (兰陵EKP, 志远A8) became context; the
tuning half (id hash even) was read for misses, the check half never. Floors sit a little
under what was measured (this file's scoring: recall 0.890 / 0.833, misheard 0.788 /
0.694, look-alikes 0.132 / 0.038), to catch a regression.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from copilot.insights import RuleExtractor

from .test_vendors_dev import score

ROWS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (Path(__file__).parent / "data" / "vendors_dev2.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


def half(parity: int) -> list[dict[str, Any]]:
    return [r for r in ROWS if int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 2 == parity]


def test_the_second_dev_set_is_as_described() -> None:
    assert len(ROWS) == 320
    assert sum(not row["systems"] for row in ROWS) == 64
    assert sum(row["noise"] == "asr" for row in ROWS) == 96
    for row in ROWS:
        for system in row["systems"]:
            assert system["as_written"] in row["text"]


@pytest.mark.parametrize(
    ("parity", "recall", "misheard", "lookalikes"),
    [
        pytest.param(0, 0.87, 0.76, 0.15, id="tuning-half"),
        pytest.param(1, 0.81, 0.67, 0.06, id="check-half"),
    ],
)
def test_named_systems_on_a_second_writers_wording(
    parity: int, recall: float, misheard: float, lookalikes: float
) -> None:
    extractor = RuleExtractor()
    scores = score(lambda text: extractor.extract(text, speaker="customer"), half(parity))
    assert scores.recall >= recall, scores
    assert scores.misheard_recall >= misheard, scores
    assert scores.lookalike_rate <= lookalikes, scores
