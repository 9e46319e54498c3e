"""The named-system extractor on ``corpus/systems/vendors_dev2.jsonl``: a second writer's 320 lines
(194 vendor/product pairs of 137 vendors, 96 lines misheard, 64 look-alikes), written from market
knowledge without seeing the catalogue or the first dev set.

Measured before any change (bench scoring, rules): recall 0.858 on the tuning half, 0.840 on
the check half. The catalogue was then broadened from market knowledge (not from these
lines) and a product code after a misheard name (兰陵EKP, 志远A8) became context; the
tuning half (id hash even) was read for misses, the check half never. Floors sit a little
under what was measured (this file's scoring: recall 0.890 / 0.833, misheard 0.788 /
0.694, look-alikes 0.132 / 0.038), to catch a regression.

The check half is no longer unread: on 2026-12-04 (stop 23) the whole set's misses were
printed once, check half included. No rule changed from them; one of its lines (v2-0252,
Oracle reported for 甲骨文) led to bench.understanding counting catalogue spellings.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from .test_vendors_dev import assert_above_floors, assert_as_described, load

ROWS = load("vendors_dev2")


def half(parity: int) -> list[dict[str, Any]]:
    return [r for r in ROWS if int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 2 == parity]


def test_the_second_dev_set_is_as_described() -> None:
    assert_as_described(ROWS, lines=320, lookalikes=64, asr=96)


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
    assert_above_floors(half(parity), recall, misheard, lookalikes)
