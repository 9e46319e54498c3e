"""Accuracy on labelled messages: the shared devset and our own held-out-style extras."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance import Scanner
from compliance.evaluation import load_labelled, score

from .conftest import DEVSET, EXTRA_SET, FRESH_SET


def _check(scanner: Scanner, path: Path) -> None:
    metrics = score(scanner, load_labelled(path))
    report = "\n".join(metrics.misses + metrics.false_alarms + metrics.wrong_category)
    assert metrics.recall >= 0.95, report
    assert metrics.precision >= 0.95, report
    assert metrics.category_accuracy >= 0.95, report


def test_devset_metrics(scanner: Scanner) -> None:
    if not DEVSET.is_file():
        pytest.skip(f"{DEVSET} not present")
    _check(scanner, DEVSET)


def test_extra_set_metrics(scanner: Scanner) -> None:
    _check(scanner, EXTRA_SET)


def test_fresh_set_metrics(scanner: Scanner) -> None:
    _check(scanner, FRESH_SET)


def test_extra_set_is_our_own_and_covers_every_category() -> None:
    extra = load_labelled(EXTRA_SET)
    assert len(extra) >= 40
    assert len({m.id for m in extra}) == len(extra)
    assert {c for m in extra for c in m.categories} >= {
        "guarantee",
        "absolute_claim",
        "unauthorized_discount",
        "kickback",
        "disparagement",
        "privacy",
        "off_channel_payment",
    }
    if DEVSET.is_file():
        assert not {m.text for m in extra} & {m.text for m in load_labelled(DEVSET)}
