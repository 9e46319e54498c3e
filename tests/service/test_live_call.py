"""A devset call streamed through the running service, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx

from copilot.client import replay_call
from speech.audio import decode_file
from tests.service.conftest import DEVSET_AUDIO, Service


def test_a_streamed_call_yields_live_events_and_a_summary(service: Service) -> None:
    audio = decode_file(DEVSET_AUDIO / "dc01.stereo.wav")
    result = asyncio.run(
        replay_call(service.url, service.rep_key, audio, call_id="dc01-live", speed=4.0)
    )
    types = [e["type"] for e in result.events]
    seqs = [e["seq"] for e in result.events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert types[0] == "call.status" and types[-1] == "call.summary"
    assert "transcript.partial" in types

    finals = [e["segment"] for e in result.events if e["type"] == "transcript.final"]
    assert {f["speaker"] for f in finals} == {"rep", "customer"}
    assert len(finals) == 9  # the nine turns of the script, each its own segment

    budgets = [e["insights"]["budget"] for e in result.events if e["type"] == "insight"]
    assert any(b and b["amount_min"] <= 600_000 <= b["amount_max"] for b in budgets)
    suggestions = [e["result"] for e in result.events if e["type"] == "suggestion"]
    assert any(s["objection"] == "competitor" and s["suggestions"] for s in suggestions)
    flags = [e["flag"] for e in result.events if e["type"] == "compliance.flag"]
    assert [f["category"] for f in flags] == ["absolute_claim"]
    assert flags[0]["evidence"]["text"] and flags[0]["flag_id"]

    summary = result.summary
    assert summary is not None
    assert summary["call_id"] == "dc01-live"
    assert [c["name"] for c in summary["competitors"]] == ["销售易"]
    assert "运营副总" in [p["role"] for p in summary["decision_chain"]]
    assert summary["summary_text"]

    headers = {"Authorization": f"Bearer {service.rep_key}"}
    with httpx.Client(base_url=service.url, headers=headers) as http:
        stored = http.get("/v1/calls/dc01-live/summary")
        assert stored.status_code == 200
        assert stored.json()["transcript"] == summary["transcript"]
        call = http.get("/v1/calls/dc01-live").json()
        assert call["status"] == "ended"
        assert call["duration_s"] > 30
        flags_seen = http.get("/v1/flags").json()
        assert [f["id"] for f in flags_seen] == [flags[0]["flag_id"]]
