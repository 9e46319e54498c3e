"""The labelled corpus: JSONL files of customer utterances and rep messages, checked line by
line before anything is trained on them.

A file with one bad line is refused whole (:class:`CorpusError` names every bad line), so a
model is never trained on half a file. Customer files live in ``<corpus>/customer/*.jsonl``,
rep files in ``<corpus>/rep/*.jsonl``; any file there is taken, in name order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

from compliance.models import CATEGORIES
from copilot.insights.models import PAIN_CATEGORIES
from retrieval.schema import OBJECTION_TYPES

Side = Literal["customer", "rep"]
SIDES: tuple[Side, ...] = ("customer", "rep")

# Label names of the customer model: objection types, pain categories and two flags.
DECISION_MAKER = "decision_maker"
BUDGET = "budget"
CUSTOMER_LABELS: tuple[str, ...] = (
    *(f"objection:{t}" for t in OBJECTION_TYPES),
    *(f"pain:{c}" for c in PAIN_CATEGORIES),
    DECISION_MAKER,
    BUDGET,
)
REP_LABELS: tuple[str, ...] = tuple(CATEGORIES)
LABELS: dict[Side, tuple[str, ...]] = {"customer": CUSTOMER_LABELS, "rep": REP_LABELS}

_REQUIRED: dict[Side, dict[str, type]] = {
    "customer": {
        "id": str,
        "text": str,
        "objections": list,
        "pain_points": list,
        "decision_maker": bool,
        "budget": bool,
    },
    "rep": {"id": str, "text": str, "categories": list},
}


class CorpusError(ValueError):
    """A corpus file that cannot be trained on; the message names each bad line."""


@dataclass(frozen=True)
class Example:
    """One labelled text; ``labels`` are names from :data:`LABELS` of its side, in the
    order the annotator gave them (the first objection is the main one)."""

    id: str
    text: str
    labels: tuple[str, ...]


def _labels(side: Side, row: dict[str, object]) -> tuple[list[str], list[str]]:
    """The row's label names and the problems with them."""
    problems: list[str] = []
    labels: list[str] = []
    if side == "rep":
        for name in row["categories"]:  # type: ignore[attr-defined]
            if name in CATEGORIES:
                labels.append(str(name))
            else:
                problems.append(f"unknown category {name!r}")
        return labels, problems
    for name in row["objections"]:  # type: ignore[attr-defined]
        if name in OBJECTION_TYPES:
            labels.append(f"objection:{name}")
        else:
            problems.append(f"unknown objection type {name!r}")
    for name in row["pain_points"]:  # type: ignore[attr-defined]
        if name in PAIN_CATEGORIES:
            labels.append(f"pain:{name}")
        else:
            problems.append(f"unknown pain category {name!r}")
    if row["decision_maker"]:
        labels.append(DECISION_MAKER)
    if row["budget"]:
        labels.append(BUDGET)
    return list(dict.fromkeys(labels)), problems


def json_object(line: str) -> dict[str, Any]:
    """One JSONL line's object; raises ValueError saying what is wrong."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    return row


def parse_line(side: Side, line: str) -> Example:
    """One JSONL line as an :class:`Example`; raises ValueError saying what is wrong."""
    row = json_object(line)
    for key, kind in _REQUIRED[side].items():
        if key not in row:
            raise ValueError(f"missing key {key!r}")
        if not isinstance(row[key], kind):
            raise ValueError(f"{key!r} must be a {kind.__name__}")
    if not row["text"].strip():
        raise ValueError("empty 'text'")
    labels, problems = _labels(side, row)
    if problems:
        raise ValueError("; ".join(problems))
    return Example(id=row["id"], text=row["text"], labels=tuple(labels))


def load_file(path: Path, side: Side) -> list[Example]:
    """Every example of one file; raises :class:`CorpusError` listing each bad line (and
    each id seen twice) when any line is bad."""
    return checked_lines([path], partial(parse_line, side), lambda example: example.id)


Line = TypeVar("Line")


def checked_lines(
    paths: Sequence[Path], parse: Callable[[str], Line], ident: Callable[[Line], str]
) -> list[Line]:
    """Every non-blank line of ``paths`` parsed (``parse`` raises ValueError saying what is
    wrong); raises :class:`CorpusError` naming each bad line and each id seen twice."""
    lines: list[Line] = []
    errors: list[str] = []
    seen: set[str] = set()
    for path in paths:
        with path.open(encoding="utf-8") as rows:
            for number, raw in enumerate(rows, start=1):
                if not raw.strip():
                    continue
                try:
                    line = parse(raw)
                except ValueError as exc:
                    errors.append(f"{path}:{number}: {exc}")
                    continue
                if ident(line) in seen:
                    errors.append(f"{path}:{number}: id {ident(line)!r} seen twice")
                seen.add(ident(line))
                lines.append(line)
    if errors:
        shown = "\n".join(errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise CorpusError(f"{len(errors)} bad line(s); nothing was trained:\n{shown}{more}")
    return lines


def side_files(corpus: Path, side: Side) -> list[Path]:
    return sorted((corpus / side).glob("*.jsonl"))


def load_side(corpus: Path, side: Side) -> list[Example]:
    """Every file of one side, all checked before any is returned."""
    files = side_files(corpus, side)
    if not files:
        raise CorpusError(f"no {side} files: expected {corpus / side}/*.jsonl")
    examples: list[Example] = []
    errors: list[str] = []
    for path in files:
        try:
            examples.extend(load_file(path, side))
        except CorpusError as exc:
            errors.append(str(exc))
    if errors:
        raise CorpusError("\n".join(errors))
    return examples


def load_paths(paths: Sequence[Path], side: Side) -> list[Example]:
    return [example for path in paths for example in load_file(path, side)]


def bucket(example_id: str, buckets: int) -> int:
    """A stable bucket of an id (the same on every machine and Python run)."""
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % buckets


# One example in five, chosen by a hash of its id, is the dev split: new files added to the
# corpus never move an old example between the splits.
DEV_BUCKETS = 5


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(train, dev): deterministic, by a hash of the id."""
    train: list[Example] = []
    dev: list[Example] = []
    for example in examples:
        (dev if bucket(example.id, DEV_BUCKETS) == 0 else train).append(example)
    return train, dev


def corpus_hash(examples: Iterable[Example]) -> str:
    """A digest of what a model was trained on (texts and labels, in order)."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.id, example.text, example.labels]).encode("utf-8"))
    return digest.hexdigest()[:16]
