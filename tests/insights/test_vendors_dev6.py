"""The named-system extractor on ``data/vendors_dev6.jsonl``: a sixth writer's 320 lines
(447 systems of 287 vendors: industrial and vertical software above all, MES, PLM, CAD,
APS, HIS, core banking, campus and construction systems, international SaaS read out in
Chinese, in fifteen industries; 109 lines misheard, 64 look-alikes), written from market
knowledge without seeing the catalogue, the code or the other sets
(tests/insights/data/DATASHEET.md).

Measured before any change (this file's scoring): recall 0.66 on the tuning half, 0.72 on
the check half, misheard 0.56 / 0.69, look-alikes with a system 0.16 / 0.22. Floors sit a
little under, to catch a regression.
"""

from __future__ import annotations

import pytest

from .test_vendors_dev import assert_above_floors, assert_as_described, load, sha256_half

ROWS = load("vendors_dev6")


def test_the_sixth_dev_set_is_as_described() -> None:
    assert_as_described(ROWS, lines=320, lookalikes=64, asr=109)


@pytest.mark.parametrize(
    ("parity", "recall", "misheard", "lookalikes"),
    [
        pytest.param(0, 0.64, 0.54, 0.17, id="tuning-half"),
        pytest.param(1, 0.70, 0.67, 0.23, id="check-half"),
    ],
)
def test_named_systems_on_a_sixth_writers_wording(
    parity: int, recall: float, misheard: float, lookalikes: float
) -> None:
    assert_above_floors(sha256_half(ROWS, parity), recall, misheard, lookalikes)
