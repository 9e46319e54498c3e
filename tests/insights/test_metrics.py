"""Extraction quality on labelled utterances: the shared devset and our own extra set
(tests/insights/data/utterances_extra.jsonl: other industries, ASR errors, negations,
numbers that are not budgets). Scoring rules: copilot/insights/scoring.py."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from copilot.insights import RuleExtractor
from copilot.insights.scoring import Report, load_labelled, score

DEVSET = Path(__file__).resolve().parents[3] / "shared/devset/utterances.jsonl"
EXTRA = Path(__file__).parent / "data" / "utterances_extra.jsonl"


def check(report: Report) -> None:
    detail = "\n".join(report.misses)
    assert report.budget_accuracy >= 0.9, detail
    assert report.objections.recall >= 0.9, detail
    assert report.objections.precision >= 0.9, detail
    assert report.decision.recall >= 0.9, detail
    assert report.pain_points.f1 >= 0.8, detail
    assert report.competitors.recall >= 0.95, detail


@pytest.mark.skipif(not DEVSET.is_file(), reason="shared devset not present")
def test_devset(extractor: RuleExtractor) -> None:
    report = score(extractor, load_labelled(DEVSET))
    assert report.total == 20
    check(report)


def test_extra_set(extractor: RuleExtractor) -> None:
    rows = load_labelled(EXTRA)
    assert len(rows) >= 40
    assert not {row.text for row in rows} & _devset_texts()  # our own, not devset copies
    check(score(extractor, rows))


def _devset_texts() -> set[str]:
    return {row.text for row in load_labelled(DEVSET)} if DEVSET.is_file() else set()


@pytest.mark.skipif(not DEVSET.is_file(), reason="shared devset not present")
def test_devset_without_punctuation(extractor: RuleExtractor) -> None:
    """Speech recognition often drops punctuation: the devset must still score."""
    rows = [
        replace(row, text=_CLAUSE_PUNCTUATION.sub("", row.text)) for row in load_labelled(DEVSET)
    ]
    check(score(extractor, rows))


_CLAUSE_PUNCTUATION = re.compile(r"[，。？！；、,?!;]")
