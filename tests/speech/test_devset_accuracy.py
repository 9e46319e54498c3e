"""Character error rate per party on the shared devset calls (skipped where it is absent)."""

from __future__ import annotations

import pytest

from speech.engine import SpeechEngine
from speech.normalize import edit_distance, normalize_for_scoring
from tests.conftest import DEVSET, load_timeline

CALLS = sorted((DEVSET / "audio").glob("*.stereo.wav")) if DEVSET.is_dir() else []


@pytest.mark.skipif(not CALLS, reason="shared devset not present beside the repository")
def test_cer_per_party_within_targets(speech_engine: SpeechEngine) -> None:
    edits = {"rep": 0, "customer": 0}
    chars = {"rep": 0, "customer": 0}
    for wav in CALLS:
        timeline = load_timeline(wav.with_name(wav.name.replace(".stereo.wav", ".timeline.json")))
        segments = speech_engine.transcribe_file(wav).segments
        for party in edits:
            ref = normalize_for_scoring(
                "".join(str(t["text"]) for t in timeline if t["speaker"] == party)
            )
            hyp = normalize_for_scoring("".join(s.text for s in segments if s.speaker == party))
            edits[party] += edit_distance(ref, hyp)
            chars[party] += len(ref)
    # A floor against regressions, not a target (bench.heard_calls measures those). Three
    # short calls: one character is 0.006 of the customer's 161. The same code and weights
    # give different words on different machines: customer 24/161 (0.149) and rep 18/127
    # (0.142) on one where an earlier machine stayed under 0.12 for the customer.
    assert edits["customer"] / chars["customer"] <= 0.18
    assert edits["rep"] / chars["rep"] <= 0.18
