"""Loading and validating the KB: every problem, with file and line."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from knowledge_base import CONTENT_DIR
from retrieval import KbValidationError, RetrievalError, load_kb, validate_kb
from retrieval.schema import KINDS, searchable_text
from tests.retrieval.conftest import DATA

BROKEN = DATA / "broken_kb"

ENTRY = """\
- id: {id}
  kind: script
  title: 标题
  text: 正文。
  tags: [price, general]
  updated: 2026-01-15
"""
TAGS = "objection:\n  price: 价格异议\nindustry:\n  general: 通用\n"


def write_kb(root: Path, files: dict[str, str], tags: str = TAGS) -> Path:
    (root / "tags.yaml").write_text(tags, encoding="utf-8")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def located(problems: list, needle: str) -> list[tuple[str, int | None, str | None]]:  # type: ignore[type-arg]
    return [(Path(p.file).name, p.line, p.entry_id) for p in problems if needle in p.message]


def test_the_real_kb_is_valid() -> None:
    assert validate_kb(CONTENT_DIR) == []
    kb = load_kb(CONTENT_DIR)
    assert len(kb.entries) >= 100
    assert {entry.kind for entry in kb.entries} == set(KINDS)
    assert len({entry.id for entry in kb.entries}) == len(kb.entries)
    assert all(isinstance(entry.updated, datetime.date) for entry in kb.entries)
    # tags.yaml and competitors.yaml are not entry files
    assert not any(source.startswith(str(CONTENT_DIR / "tags")) for source in kb.sources.values())


def test_every_problem_is_reported_with_file_and_line() -> None:
    problems = validate_kb(BROKEN)
    assert located(problems, "missing field 'title'") == [
        ("price.yaml", 8, "kb-script-price-gen-02")
    ]
    assert located(problems, "unknown tag 'cheap'") == [
        ("price.yaml", 17, "kb-script-price-gen-03")
    ]
    assert located(problems, "kind 'scrip'") == [("price.yaml", 20, "kb-script-price-gen-04")]
    assert located(problems, "not an ISO date") == [("price.yaml", 30, "kb-script-price-gen-05")]
    assert located(problems, "text is empty") == [("price.yaml", 34, "kb-script-price-gen-06")]
    # a duplicate id is reported at both places, each naming the other
    duplicates = [p for p in problems if "duplicate id" in p.message]
    assert sorted((Path(p.file).name, p.line) for p in duplicates) == [
        ("other.yaml", 8),
        ("price.yaml", 37),
    ]
    assert all(p.entry_id == "kb-script-timing-gen-01" for p in duplicates)
    assert "price.yaml:37" in duplicates[0].message or "other.yaml:8" in duplicates[0].message
    broken = [p for p in problems if p.message.startswith("broken YAML")]
    assert len(broken) == 1 and Path(broken[0].file).name == "broken.yaml"
    assert "line 4" in broken[0].message  # where the unclosed quote began
    assert len(problems) == 8  # nothing else: the valid entries and competitors.yaml pass


def test_problem_prints_as_file_line_id_message() -> None:
    problem = next(p for p in validate_kb(BROKEN) if "cheap" in p.message)
    assert str(problem) == (
        f"{BROKEN / 'scripts' / 'price.yaml'}:17: kb-script-price-gen-03: "
        "unknown tag 'cheap' (not in tags.yaml)"
    )


def test_loading_an_invalid_kb_raises_listing_every_problem() -> None:
    with pytest.raises(KbValidationError) as caught:
        load_kb(BROKEN)
    assert len(caught.value.problems) == 8
    message = str(caught.value)
    assert "8 problem(s)" in message and "copilot kb validate" in message
    assert "unknown tag 'cheap'" in message and "missing field 'title'" in message


def test_unknown_fields_duplicate_fields_and_conventions(tmp_path: Path) -> None:
    text = (
        ENTRY.format(id="kb-script-price-gen-01").replace("  updated", "  tag: [x]\n  updated")
        + ENTRY.format(id="kb-case-01").replace("title: 标题", "title: 标题\n  title: 又一个")
        + ENTRY.format(id="kb-script-price-gen-02").replace("[price, general]", "[general]")
        + ENTRY.format(id="KB_bad id")
    )
    problems = validate_kb(write_kb(tmp_path, {"a.yaml": text}))
    messages = [(p.line, p.message) for p in problems]
    assert (6, "unknown field 'tag'") in messages
    assert (11, "field 'title' is given twice") in messages
    assert (8, "a script id must start with 'kb-script-'") in messages
    assert (19, "a script must carry its objection type tag") in messages
    assert (21, "id 'KB_bad id' is not a kebab id like kb-script-price-mfg-01") in messages
    assert len(messages) == 5


def test_case_must_be_illustrative(tmp_path: Path) -> None:
    text = ENTRY.format(id="kb-case-01").replace("kind: script", "kind: case")
    problems = validate_kb(write_kb(tmp_path, {"cases.yaml": text}))
    assert [p.message for p in problems] == [
        "cases are illustrative examples and must set illustrative: true"
    ]


def test_not_a_list_and_empty_files(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.yaml": "id: kb-x\n", "empty.yaml": "", "c.yaml": "- just text\n"})
    messages = sorted(p.message for p in validate_kb(root))
    assert messages == ["entry is not a mapping", "expected a list"]


def test_tags_unique_across_groups(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {}, tags=TAGS + "topic:\n  price: 价格\n")
    problems = validate_kb(root)
    assert [(Path(p.file).name, p.line) for p in problems] == [("tags.yaml", 5)]
    assert "'price' is in both" in problems[0].message


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RetrievalError, match="no such knowledge-base directory"):
        load_kb(tmp_path / "nope")


def test_searchable_text_carries_tag_labels() -> None:
    kb = load_kb(CONTENT_DIR)
    entry = next(e for e in kb.entries if e.id == "kb-script-price-mfg-01")
    text = searchable_text(entry, kb.tags)
    assert entry.title in text and "价格异议" in text and "制造业" in text
