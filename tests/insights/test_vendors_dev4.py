"""The named-system extractor on ``data/vendors_dev4.jsonl``: a fourth writer's 320 lines
(358 systems of 257 vendors in fifteen industries the earlier sets barely touched: utilities,
farms and food, builders, airports, public bodies, game studios, fashion, furniture, hotels,
telecom operators, car parts, private equity, foundations, gyms, printers; 99 lines misheard,
62 look-alikes), written from market knowledge without seeing the catalogue, the code or
the other sets (tests/insights/data/DATASHEET.md).

Measured before any change (this file's scoring): recall 0.66 on the tuning half, 0.68 on
the check half, misheard 0.71 / 0.77, look-alikes with a system 0.15 / 0.09. The catalogue
was then broadened by those verticals from market knowledge, and the tuning half (first
byte of the id's SHA-256 even) was read for misses; the check half never. After: recall
0.88 / 0.73, misheard 0.87 / 0.80, look-alikes 0.13 / 0.13; with Latin names the catalogue
lacks reported as written (Procore, iManage), recall 0.89 / 0.80. Floors sit a little
under, to catch a regression.
"""

from __future__ import annotations

import pytest

from .test_vendors_dev import assert_above_floors, assert_as_described, load, sha256_half

ROWS = load("vendors_dev4")


def test_the_fourth_dev_set_is_as_described() -> None:
    assert_as_described(ROWS, lines=320, lookalikes=62, asr=99)


@pytest.mark.parametrize(
    ("parity", "recall", "misheard", "lookalikes"),
    [
        pytest.param(0, 0.86, 0.84, 0.16, id="tuning-half"),
        pytest.param(1, 0.77, 0.78, 0.16, id="check-half"),
    ],
)
def test_named_systems_on_a_fourth_writers_wording(
    parity: int, recall: float, misheard: float, lookalikes: float
) -> None:
    assert_above_floors(sha256_half(ROWS, parity), recall, misheard, lookalikes)
