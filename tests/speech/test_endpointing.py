"""The streaming policy, driven by made-up VAD probabilities: no model needed."""

from __future__ import annotations

from speech.config import EndpointConfig
from speech.endpointing import Endpointer, PartialDue, SegmentDropped, SegmentEnded
from speech.vad import WINDOW

RATE = 16_000


def windows(seconds: float) -> int:
    return round(seconds * RATE / WINDOW)


def run(cfg: EndpointConfig, probs: list[float]) -> tuple[Endpointer, list[object]]:
    endpointer = Endpointer(cfg)
    actions = endpointer.push(probs)
    return endpointer, actions


def test_speech_then_pause_gives_one_final_with_context() -> None:
    cfg = EndpointConfig()
    probs = [0.0] * windows(1) + [0.9] * windows(2) + [0.0] * windows(1)
    _, actions = run(cfg, probs)
    finals = [a for a in actions if isinstance(a, SegmentEnded)]
    assert len(finals) == 1
    span = finals[0].span
    assert span.start == windows(1) * WINDOW
    assert span.end == (windows(1) + windows(2)) * WINDOW
    assert span.audio_start == span.start - cfg.pre_roll_ms * RATE // 1000
    assert span.audio_end == span.end + cfg.post_roll_ms * RATE // 1000
    assert not finals[0].forced


def test_pause_shorter_than_min_silence_does_not_split() -> None:
    cfg = EndpointConfig(min_silence_ms=650)
    probs = [0.9] * windows(1) + [0.1] * windows(0.4) + [0.9] * windows(1) + [0.0] * windows(1)
    _, actions = run(cfg, probs)
    assert len([a for a in actions if isinstance(a, SegmentEnded)]) == 1


def test_hysteresis_keeps_speech_open_between_thresholds() -> None:
    cfg = EndpointConfig(threshold=0.5, neg_threshold=0.35)
    probs = [0.9] * windows(0.5) + [0.4] * windows(2) + [0.0] * windows(1)
    _, actions = run(cfg, probs)
    [final] = [a for a in actions if isinstance(a, SegmentEnded)]
    assert final.span.end == (windows(0.5) + windows(2)) * WINDOW


def test_blip_shorter_than_min_speech_is_dropped() -> None:
    cfg = EndpointConfig(min_speech_ms=250)
    probs = [0.9] * 3 + [0.0] * windows(1)  # 96 ms
    _, actions = run(cfg, probs)
    assert [type(a) for a in actions] == [SegmentDropped]


def test_partials_come_at_the_configured_interval_while_speaking() -> None:
    cfg = EndpointConfig(partial_interval_s=0.6)
    _, actions = run(cfg, [0.9] * windows(5))
    partials = [a for a in actions if isinstance(a, PartialDue)]
    assert len(partials) >= 7
    ends = [p.span.end for p in partials]
    gaps = [b - a for a, b in zip(ends, ends[1:], strict=False)]
    assert max(gaps) <= 0.6 * RATE + WINDOW
    assert all(p.span.start == partials[0].span.start for p in partials)


def test_monologue_is_cut_at_its_quietest_moment_and_nothing_is_lost() -> None:
    cfg = EndpointConfig(max_segment_s=10)
    probs = [0.9] * windows(30)
    dip = windows(8)
    probs[dip] = 0.36  # a breath: quiet, but not silence
    endpointer, actions = run(cfg, probs)
    actions += endpointer.flush()
    finals = [a for a in actions if isinstance(a, SegmentEnded)]
    assert len(finals) >= 3
    assert finals[0].forced
    assert finals[0].span.end == (dip + 1) * WINDOW
    # Consecutive pieces tile the speech exactly: no gap, no overlap.
    for first, second in zip(finals, finals[1:], strict=False):
        assert second.span.start == first.span.end
        assert second.span.audio_start >= first.span.audio_end
    assert finals[-1].span.end == windows(30) * WINDOW
    assert all(f.span.end - f.span.start <= 10 * RATE for f in finals)


def test_flush_commits_speech_still_in_progress() -> None:
    endpointer, actions = run(EndpointConfig(), [0.0] * 5 + [0.9] * windows(2))
    assert not [a for a in actions if isinstance(a, SegmentEnded)]
    [final] = endpointer.flush()
    assert isinstance(final, SegmentEnded)
    assert endpointer.flush() == []


def test_retained_audio_is_bounded_by_the_open_segment() -> None:
    cfg = EndpointConfig()
    endpointer = Endpointer(cfg)
    endpointer.push([0.0] * windows(60))
    assert endpointer.position - endpointer.retain_from() <= cfg.pre_roll_ms * RATE // 1000
    endpointer.push([0.9] * windows(3))
    assert endpointer.retain_from() == windows(60) * WINDOW - cfg.pre_roll_ms * RATE // 1000


def test_new_segment_never_reaches_back_into_the_previous_one() -> None:
    cfg = EndpointConfig(min_silence_ms=650, pre_roll_ms=300, post_roll_ms=300)
    probs = [0.9] * windows(1) + [0.0] * windows(0.7) + [0.9] * windows(1) + [0.0] * windows(1)
    _, actions = run(cfg, probs)
    first, second = [a for a in actions if isinstance(a, SegmentEnded)]
    assert second.span.audio_start >= first.span.audio_end
