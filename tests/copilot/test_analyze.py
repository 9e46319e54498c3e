"""``copilot analyze``: the devset calls, from audio and from turns, in CONTRACT's shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from tests.conftest import DEVSET

CALLS = json.loads((DEVSET / "calls.json").read_text(encoding="utf-8"))
SHAPE = {
    "budget",
    "decision_chain",
    "pain_points",
    "objections",
    "competitors",
    "commitments",
    "call_id",
    "duration_s",
    "transcript",
    "compliance_flags",
    "summary_text",
}


def analyze(path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["analyze", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def by_rules(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for item in found if item.get("source", "rule") == "rule"]


def check_against_gold(
    summary: dict[str, Any], gold: dict[str, Any], *, heard: bool = False
) -> None:
    assert SHAPE <= set(summary)
    low, high = gold["budget"]
    budget = summary["budget"]
    assert budget["amount_max"] >= low and (budget["amount_min"] or 0) <= high
    people = {p["name"] for p in summary["decision_chain"]}
    people |= {p["role"] for p in summary["decision_chain"] if p["role"]}
    assert set(gold["decision"]) <= people
    # The rules' finds are exact; the learned model may add more, marked as its own.
    assert {o["type"] for o in by_rules(summary["objections"])} == set(gold["objections"])
    assert [c["name"] for c in summary["competitors"]] == gold["competitors"]
    flags = summary["compliance_flags"]
    # From audio a violation may reach the rules misheard (dc02's 打七折 is heard 打购物者 by
    # Whisper base without a prompt sentence, docs/decoding.md): the learned model's flag on
    # the rep's line counts then; from the script, only the rules' exact finds do.
    flagged = flags if heard else by_rules(flags)
    assert {f["category"] for f in flagged} == set(gold["compliance"])
    for found in [*summary["objections"], *summary["pain_points"], *flags]:
        assert found.get("source", "rule") == "rule" or 0 < found["confidence"] < 1
    for flag in summary["compliance_flags"]:
        said = {s["id"]: s for s in summary["transcript"]}[flag["evidence"]["utterance_id"]]
        assert said["speaker"] == "rep" and said["text"] == flag["evidence"]["text"]
    assert summary["summary_text"]


@pytest.mark.parametrize("call", CALLS, ids=[c["id"] for c in CALLS])
def test_analyze_a_recording(call: dict[str, Any]) -> None:
    summary = analyze(DEVSET / "audio" / f"{call['id']}.stereo.wav")
    assert summary["call_id"] == f"{call['id']}.stereo" and summary["duration_s"] > 20
    assert {s["speaker"] for s in summary["transcript"]} == {"rep", "customer"}
    check_against_gold(summary, call["gold"], heard=True)


@pytest.mark.parametrize("call", CALLS, ids=[c["id"] for c in CALLS])
def test_analyze_scripted_turns(call: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / f"{call['id']}.json"
    path.write_text(json.dumps({"turns": call["turns"]}, ensure_ascii=False), encoding="utf-8")
    summary = analyze(path)
    assert len(summary["transcript"]) == len(call["turns"])
    check_against_gold(summary, call["gold"])


def test_analyze_rejects_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["analyze", str(tmp_path / "nope.wav"), "--json"])
    assert missing.exit_code != 0 and "no such file" in missing.output
    folder = runner.invoke(app, ["analyze", str(tmp_path), "--json"])
    assert folder.exit_code != 0 and f"{tmp_path}: not a regular file" in folder.output
    bad = tmp_path / "turns.json"
    bad.write_text('{"turns": [["boss", "hi"]]}', encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(bad), "--json"])
    assert result.exit_code != 0 and "turn 1" in result.output
    noise = tmp_path / "noise.wav"
    noise.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    assert runner.invoke(app, ["analyze", str(noise), "--json"]).exit_code != 0
