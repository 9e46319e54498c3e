from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from copilot.events import EventStamper, TranscriptFinal
from copilot.settings import Settings
from speech.types import FinalSegment, PartialSegment, Segment


def test_nested_settings_come_from_copilot_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_SPEECH__DECODE__BEAM_SIZE", "5")
    monkeypatch.setenv("COPILOT_SPEECH__CHANNEL_MAP", '["customer", "rep"]')
    monkeypatch.setenv("COPILOT_VOCABULARY__COMPETITORS", '["纷享销客", "销售易"]')
    settings = Settings()
    assert settings.speech.decode.beam_size == 5
    assert settings.speech.channel_map == ("customer", "rep")
    assert settings.vocabulary.hotwords() == ["纷享销客", "销售易"]


def test_typos_and_bad_values_fail_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COPILOT_SPEECH__DECODE__BEEM_SIZE", "5")
    with pytest.raises(ValidationError, match="beem_size"):
        Settings()
    monkeypatch.delenv("COPILOT_SPEECH__DECODE__BEEM_SIZE")
    monkeypatch.setenv("COPILOT_SPEECH__ENDPOINT__NEG_THRESHOLD", "0.9")
    with pytest.raises(ValidationError, match="neg_threshold"):
        Settings()


def test_events_are_numbered_per_call_and_serialise_to_the_wire_shape() -> None:
    stamper = EventStamper("call-1")
    segment = Segment(id="seg-0001", start=1.0, end=2.5, speaker="customer", text="太贵了")
    partial = stamper.transcript(PartialSegment(segment, 0.1))
    final = stamper.transcript(FinalSegment(segment, 0.2))
    error = stamper.error("bad_frame", "audio frame of 3 bytes")
    assert [e.seq for e in (partial, final, error)] == [1, 2, 3]
    assert isinstance(final, TranscriptFinal)
    wire = json.loads(final.model_dump_json())
    assert wire["type"] == "transcript.final"
    assert wire["call_id"] == "call-1"
    assert wire["segment"] == {
        "id": "seg-0001",
        "start": 1.0,
        "end": 2.5,
        "speaker": "customer",
        "text": "太贵了",
    }
    assert "customer" in str(final) and "太贵了" in str(final)
