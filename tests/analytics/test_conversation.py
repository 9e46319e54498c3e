"""Talk time, talk ratio, longest monologue, questions, interactivity and patience on the
hand-made call of ``handmade.py`` (its table is the arithmetic's source)."""

from __future__ import annotations

import pytest

from copilot.analytics.conversation import (
    conversation_stats,
    longest_monologue,
    monologues,
    patience,
    per_minutes,
    speaker_switches,
    talk_ratio,
    talk_time,
)
from speech.types import Segment
from tests.analytics import handmade


def test_talk_time_per_side_and_the_reps_share() -> None:
    segments = handmade.segments()
    # rep: 10 + 9.5 + 8.8 + 4 + 5 + 10 + 6 = 53.3; customer: 0.5 + 14 + 6 + 7 + 4 = 31.5;
    # s11 (unknown, 4 s) is nobody's.
    assert talk_time(segments, "rep") == pytest.approx(53.3)
    assert talk_time(segments, "customer") == pytest.approx(31.5)
    # 53.3 / (53.3 + 31.5) = 0.62853… -> 0.629
    assert talk_ratio(53.3, 31.5) == 0.629
    assert talk_ratio(0.0, 0.0) is None  # nobody spoke (a mono call of unknown voices)


def test_a_monologue_runs_through_short_gaps_and_backchannels_only() -> None:
    segments = handmade.segments()
    # s1+s2 (gap 0.5 s) and s4 (gap 1.2 s after s2, only the customer's 嗯 between) are one
    # stretch 0–30; s5 (a real turn) ends it. Then s6, s8, s10, s13 each alone.
    assert monologues(segments) == [(0.0, 30.0), (46.0, 50.0), (58.0, 63.0), (85.0, 95.0),
                                    (104.0, 110.0)]  # fmt: skip
    assert longest_monologue(segments) == 30.0
    # A pause of 1.5 s or more ends a monologue even with nobody else speaking.
    apart = [
        Segment(id="a", speaker="rep", start=0.0, end=5.0, text="第一段"),
        Segment(id="b", speaker="rep", start=6.5, end=9.0, text="第二段"),
    ]
    assert longest_monologue(apart) == 5.0
    assert longest_monologue([]) == 0.0


def test_switches_patience_and_the_per_minute_rates() -> None:
    segments = handmade.segments()
    # rep/customer order without s11: r r c r c r c r c r c r -> 10 changes of speaker.
    assert speaker_switches(segments) == 10
    # Customer turns answered within 10 s: s5->s6 1.0, s7->s8 2.0, s12->s13 0.0; s3 is a
    # backchannel, s9->s10 waited 15 s (not a reply). Mean (1 + 2 + 0) / 3 = 1.0.
    assert patience(segments) == 1.0
    assert per_minutes(10, 120.0, 1) == 5.0  # 10 switches in 2 minutes
    assert per_minutes(3, 0.0, 10) is None


def test_all_figures_of_the_call_at_once() -> None:
    stats = conversation_stats(handmade.segments(), handmade.DURATION_S)
    assert stats.duration_s == 120.0
    assert (stats.rep_talk_s, stats.customer_talk_s, stats.talk_ratio) == (53.3, 31.5, 0.629)
    assert stats.longest_monologue_s == 30.0
    # Questions: s2 (…方便吗？), s6 (多少), s8 (对吧) = 3; in 120 s that is 3 × 600/120 = 15
    # per 10 minutes.
    assert stats.rep_questions == 3
    assert stats.question_rate == 15.0
    assert stats.interactivity == 5.0
    assert stats.patience_s == 1.0


def test_an_unknown_length_falls_back_to_the_last_segments_end() -> None:
    stats = conversation_stats(handmade.segments(), 0.0)
    assert stats.duration_s == 110.0  # the end of s13
    # 10 switches over 110 s: 10 × 60 / 110 = 5.4545… -> 5.45 per minute.
    assert stats.interactivity == 5.45


def test_a_call_of_one_unknown_voice_has_no_ratio_and_no_switches() -> None:
    mono = [Segment(id="m", speaker="unknown", start=0.0, end=30.0, text="您好，有什么可以帮您？")]
    stats = conversation_stats(mono, 30.0)
    assert stats.talk_ratio is None
    assert stats.rep_questions == 0  # nobody is known to be the rep
    assert stats.interactivity == 0.0 and stats.patience_s is None
