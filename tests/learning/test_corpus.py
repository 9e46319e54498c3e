from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.learning.corpus import (
    CorpusError,
    load_file,
    load_side,
    split,
)

from .conftest import SMALL_CORPUS

GOOD_CUSTOMER = {
    "id": "c1",
    "text": "价格有点高。",
    "objections": ["price"],
    "pain_points": ["cost"],
    "decision_maker": False,
    "budget": True,
    "industry": "manufacturing",
}


def _write(path: Path, rows: list[object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_good_file_loads_with_label_names(tmp_path: Path) -> None:
    examples = load_file(_write(tmp_path / "good.jsonl", [GOOD_CUSTOMER]), "customer")
    assert examples[0].labels == ("objection:price", "pain:cost", "budget")


def test_every_bad_line_is_named_with_its_problem(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "bad.jsonl",
        [
            GOOD_CUSTOMER,
            "{not json",
            {**GOOD_CUSTOMER, "id": "c3", "objections": ["pricey"]},
            {k: v for k, v in GOOD_CUSTOMER.items() if k != "text"} | {"id": "c4"},
            {**GOOD_CUSTOMER, "id": "c5", "decision_maker": "yes"},
            {**GOOD_CUSTOMER},  # id c1 again
        ],
    )
    with pytest.raises(CorpusError) as caught:
        load_file(path, "customer")
    message = str(caught.value)
    assert "5 bad line(s)" in message
    assert f"{path}:2: not JSON" in message
    assert f"{path}:3: unknown objection type 'pricey'" in message
    assert f"{path}:4: missing key 'text'" in message
    assert f"{path}:5: 'decision_maker' must be a bool" in message
    assert f"{path}:6: id 'c1' seen twice" in message


def test_a_side_with_one_bad_file_is_refused_whole(tmp_path: Path) -> None:
    _write(tmp_path / "rep" / "a.jsonl", [{"id": "r1", "text": "您好", "categories": []}])
    _write(tmp_path / "rep" / "b.jsonl", [{"id": "r2", "text": "返点", "categories": ["bribe"]}])
    with pytest.raises(CorpusError, match=r"b\.jsonl:1: unknown category 'bribe'"):
        load_side(tmp_path, "rep")


def test_the_split_is_stable_and_disjoint() -> None:
    examples = load_side(SMALL_CORPUS, "customer")
    train, dev = split(examples)
    again_train, again_dev = split(list(reversed(examples)))
    assert {e.id for e in dev} == {e.id for e in again_dev}
    assert not {e.id for e in train} & {e.id for e in dev}
    assert 0.1 < len(dev) / len(examples) < 0.3
