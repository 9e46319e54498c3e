"""``copilot transcribe`` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _shared_engine(monkeypatch: pytest.MonkeyPatch, speech_engine: object) -> None:
    """Reuse the session's loaded model instead of loading another copy."""
    monkeypatch.setattr("copilot.commands.speech.speech_engine", lambda: speech_engine)


def test_transcribe_json_has_the_contract_shape(fixture_audio: Path) -> None:
    result = runner.invoke(
        app, ["transcribe", str(fixture_audio / "fx_short.stereo.wav"), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"duration", "segments"}
    assert abs(data["duration"] - 16.3) < 0.2
    assert [s["speaker"] for s in data["segments"]] == ["rep", "customer", "rep"]
    for segment in data["segments"]:
        assert set(segment) == {"id", "start", "end", "speaker", "text"}


def test_stream_prints_partial_and_final_events_with_latency(fixture_audio: Path) -> None:
    result = runner.invoke(
        app,
        [
            "transcribe",
            str(fixture_audio / "fx_short.stereo.wav"),
            "--stream",
            "--speed",
            "8",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert "transcript.partial" in types
    assert types.count("transcript.final") == 3
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(e["latency_s"] is not None for e in events if e["type"] == "transcript.final")


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such file"), (b"", "empty"), (b"RIFF\x00\x00garbage" * 10, "not a readable")],
)
def test_bad_input_is_one_line_on_stderr(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "call.wav"
    if content is not None:
        path.write_bytes(content)
    result = runner.invoke(app, ["transcribe", str(path), "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
