"""The Advertising-Law rules on a development set written by someone who never saw them
(tests/compliance/data/adlaw_dev.jsonl: 190 claim lines, two per word of data/adlaw.yaml, and
170 look-alikes). A claim line counts as caught when the scan has any absolute_claim flag; a
look-alike counts as a false alarm when it has one.

The set is split by id: odd ids were tuned on, even ids never were (their lines were not read
while the rules were changed), so the even half says whether the context mechanisms of
docs/adlaw.md carry over to sentences they were not written for."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pytest

from compliance import Scanner

from .conftest import HERE

DEV_SET = HERE / "data" / "adlaw_dev.jsonl"

Half = Literal["tuned", "untuned", "all"]


@dataclass(frozen=True)
class Line:
    id: str
    text: str
    word: str
    kind: Literal["claim", "lookalike"]

    @property
    def tuned(self) -> bool:
        return int(self.id.rsplit("-", 1)[1]) % 2 == 1


def _lines() -> list[Line]:
    rows = [json.loads(line) for line in DEV_SET.read_text("utf-8").splitlines() if line]
    return [Line(r["id"], r["text"], r["word"], r["kind"]) for r in rows]


def _claims(scanner: Scanner, text: str) -> bool:
    return any(flag.category == "absolute_claim" for flag in scanner.scan(text).flags)


def _measure(scanner: Scanner, half: Half) -> tuple[float, float, list[str]]:
    """Share of claim lines caught, share of look-alikes flagged, and what went wrong."""
    lines = [line for line in _lines() if half == "all" or line.tuned == (half == "tuned")]
    claims = [line for line in lines if line.kind == "claim"]
    look_alikes = [line for line in lines if line.kind == "lookalike"]
    missed = [line for line in claims if not _claims(scanner, line.text)]
    flagged = [line for line in look_alikes if _claims(scanner, line.text)]
    report = [f"missed {line.id} {line.word}: {line.text}" for line in missed]
    report += [f"look-alike flagged {line.id} {line.word}: {line.text}" for line in flagged]
    caught = 1 - len(missed) / len(claims)
    return caught, len(flagged) / len(look_alikes), report


def test_dev_set_shape() -> None:
    lines = _lines()
    assert len(lines) == 360
    assert sum(line.kind == "claim" for line in lines) == 190
    assert sum(line.kind == "lookalike" for line in lines) == 170
    assert len({line.id for line in lines}) == 360


# Measured before the context mechanisms (the rules as tuned on adlaw_sentences*.yaml):
#   tuned half   0.895 caught, 0.447 of look-alikes flagged (85/95, 38/85)
#   untuned half 0.821 caught, 0.471 flagged                (78/95, 40/85)
#   all          0.858 caught, 0.459 flagged                (163/190, 78/170)
# After: tuned 1.000 and 0.000 (95/95, 0/85); untuned 0.832 and 0.106 (79/95, 9/85);
# all 0.916 and 0.053 (174/190, 9/170). The bounds leave a line or two of margin.
@pytest.mark.parametrize(
    ("half", "min_caught", "max_flagged"),
    [("all", 0.90, 0.065), ("tuned", 0.97, 0.025), ("untuned", 0.81, 0.13)],
)
def test_dev_set_figures(
    scanner: Scanner, half: Half, min_caught: float, max_flagged: float
) -> None:
    caught, flagged, report = _measure(scanner, half)
    assert caught >= min_caught, "\n".join(report)
    assert flagged <= max_flagged, "\n".join(report)
