"""The scorecard matcher on hand-made lines (tests/scorecards/dev_lines.yaml is the
matcher author's own dev set, not a blind one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from copilot.scorecards.items import ScorecardItem, default_items, load_items
from copilot.scorecards.matching import Checklist, CueError, Line, LiveChecklist, compile_cue

DEV = yaml.safe_load((Path(__file__).with_name("dev_lines.yaml")).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return Checklist(default_items())


def test_default_template_has_the_five_items_two_must_say() -> None:
    items = default_items()
    assert [i.label for i in items] == [
        "录音告知",
        "自报家门",
        "确认预算",
        "确认决策人",
        "约定下一步",
    ]
    assert [i.key for i in items if i.must_say] == ["recording_notice", "self_intro"]
    assert [i.position for i in items] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("case", DEV["rep"], ids=lambda c: c["text"][:12])
def test_rep_dev_lines_tick_exactly_their_items(checklist: Checklist, case: dict[str, Any]) -> None:
    found = checklist.match_line(Line("seg-0001", "rep", case["text"]))
    assert sorted(m.key for m in found) == sorted(case["items"])
    for match in found:
        assert match.segment_id == "seg-0001" and match.text == case["text"] and match.span


@pytest.mark.parametrize("case", DEV["customer"], ids=lambda c: c["text"][:12])
def test_the_customer_saying_it_ticks_nothing(checklist: Checklist, case: dict[str, Any]) -> None:
    assert checklist.match_line(Line("seg-0002", "customer", case["text"])) == []
    assert checklist.match_line(Line("seg-0002", "unknown", case["text"])) == []


def test_a_homophone_ticks_by_sound_a_different_word_does_not(checklist: Checklist) -> None:
    (match,) = checklist.match_line(Line("s", "rep", "本次通话会被路音，请知悉"))
    assert (match.key, match.span, match.by) == ("recording_notice", "路音", "sound")
    # 加微 sounds like 价位 but shares no character with it: not a budget question.
    assert checklist.find("您方便的话加微信聊") == []


def test_punctuation_spaces_and_traditional_characters_do_not_matter(checklist: Checklist) -> None:
    assert [k for k, _, _ in checklist.find("本次通話，會被 錄 音")] == ["recording_notice"]


def test_score_keeps_the_first_evidence_per_item(checklist: Checklist) -> None:
    lines = [
        Line("seg-0001", "customer", "你们预算怎么算"),
        Line("seg-0002", "rep", "您的预算大概多少"),
        Line("seg-0003", "rep", "预算方面我们可以再谈"),
    ]
    scored = checklist.score(lines)
    budget = scored["budget"]
    assert budget is not None and budget.segment_id == "seg-0002"
    assert scored["recording_notice"] is None


def test_live_checklist_reports_each_item_once_and_restores_silently(
    checklist: Checklist,
) -> None:
    live = LiveChecklist(checklist)
    live.restore([Line("seg-0001", "rep", "本次通话会被录音")])
    assert live.hear(Line("seg-0002", "rep", "这次通话有录音，我是云帆的小王")) == [
        live.ticked["self_intro"]
    ]
    assert live.hear(Line("seg-0003", "rep", "我是云帆的小王")) == []
    assert set(live.ticked) == {"recording_notice", "self_intro"}


def test_items_validate_their_cues() -> None:
    with pytest.raises(ValueError, match="cue"):
        ScorecardItem(key="x", label="x", cues=("[ab]",))
    with pytest.raises(CueError):
        compile_cue("录音(")
    with pytest.raises(ValueError):
        ScorecardItem(key="Bad Key", label="x", cues=("录音",))


def test_load_items_refuses_repeated_keys(tmp_path: Path) -> None:
    path = tmp_path / "items.yaml"
    path.write_text(
        "items:\n  - {key: a, label: A, cues: [录音]}\n  - {key: a, label: B, cues: [预算]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="repeat"):
        load_items(path)
