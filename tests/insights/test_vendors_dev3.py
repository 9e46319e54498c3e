"""The named-system extractor on ``data/vendors_dev3.jsonl``: a third writer's 320 lines
(368 systems of 177 vendors across fifteen industries, vertical software above all: hospital,
lab, school, property, dealer, restaurant, port, mine, fab and bank systems; 110 lines
misheard, 60 look-alikes), written from market knowledge without seeing the catalogue, the
code or the other sets (tests/insights/data/DATASHEET.md).

Measured before any change (this file's scoring, stricter than the bench's): recall 0.61
on the tuning half, 0.62 on the check half, misheard 0.54 / 0.57, look-alikes with a system
0.04 / 0.11: the catalogue knew few vertical systems. The catalogue was then broadened
by vertical from market knowledge (not from these lines), and the tuning half (first byte
of the id's SHA-256 even) was read for misses; the check half never. Floors sit a little
under what was measured after (recall 0.81 / 0.74, misheard 0.73 / 0.64, look-alikes
0.04 / 0.14), to catch a regression.
"""

from __future__ import annotations

import pytest

from .test_vendors_dev import assert_above_floors, assert_as_described, load, sha256_half

ROWS = load("vendors_dev3")


def test_the_third_dev_set_is_as_described() -> None:
    assert_as_described(ROWS, lines=320, lookalikes=60, asr=110)


@pytest.mark.parametrize(
    ("parity", "recall", "misheard", "lookalikes"),
    [
        pytest.param(0, 0.80, 0.71, 0.06, id="tuning-half"),
        pytest.param(1, 0.72, 0.62, 0.16, id="check-half"),
    ],
)
def test_named_systems_on_a_third_writers_wording(
    parity: int, recall: float, misheard: float, lookalikes: float
) -> None:
    assert_above_floors(sha256_half(ROWS, parity), recall, misheard, lookalikes)
