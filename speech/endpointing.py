"""Deciding, from voice-activity probabilities alone, when to decode what.

Pure and synchronous: it sees one probability per 32 ms window and answers with actions
over sample ranges, so it can be tested with made-up probabilities and no model.
"""

from __future__ import annotations

from dataclasses import dataclass

from speech.config import EndpointConfig
from speech.vad import WINDOW


@dataclass(frozen=True)
class Span:
    """Samples of one channel: ``start``/``end`` bound the speech itself, ``audio_start``/
    ``audio_end`` the slice to decode (speech plus a little context either side)."""

    start: int
    end: int
    audio_start: int
    audio_end: int


@dataclass(frozen=True)
class PartialDue:
    """Time to show provisional text for the segment being spoken."""

    span: Span


@dataclass(frozen=True)
class SegmentEnded:
    """The segment is over (a pause, a forced cut in a monologue, or the end of stream)."""

    span: Span
    forced: bool = False


@dataclass(frozen=True)
class SegmentDropped:
    """What looked like speech was too short to be any (a click, a cough)."""

    span: Span


Action = PartialDue | SegmentEnded | SegmentDropped


class Endpointer:
    """A speech/silence state machine with hysteresis over one channel's VAD windows."""

    def __init__(self, cfg: EndpointConfig, sample_rate: int = 16_000) -> None:
        self._cfg = cfg
        per_ms = sample_rate / 1000
        self._min_speech = int(cfg.min_speech_ms * per_ms)
        self._min_silence_windows = max(1, round(cfg.min_silence_ms * per_ms / WINDOW))
        self._pre_roll = int(cfg.pre_roll_ms * per_ms)
        self._post_roll = int(cfg.post_roll_ms * per_ms)
        self._partial_interval = int(cfg.partial_interval_s * sample_rate)
        self._max_segment = int(cfg.max_segment_s * sample_rate)
        self._windows = 0  # windows seen so far
        self._active = False
        self._start = 0  # first sample of the current segment's speech
        self._voiced_end = 0  # end of its last window above neg_threshold
        self._voiced = 0  # samples above threshold in it
        self._silent_windows = 0  # consecutive quiet windows at its end
        self._last_partial = 0
        self._probs: list[float] = []  # one per window of the current segment
        self._context_floor = 0  # earliest sample a new segment's pre-roll may reach back to

    @property
    def position(self) -> int:
        """Samples consumed so far."""
        return self._windows * WINDOW

    @property
    def active(self) -> bool:
        return self._active

    def retain_from(self) -> int:
        """The earliest sample any future action can still refer to."""
        anchor = self._start if self._active else self.position
        return max(0, anchor - self._pre_roll)

    def push(self, probabilities: list[float]) -> list[Action]:
        actions: list[Action] = []
        for probability in probabilities:
            actions.extend(self._step(float(probability)))
        return actions

    def flush(self) -> list[Action]:
        """End of stream: close the open segment, if any."""
        if not self._active:
            return []
        return [self._close(self._voiced_end, forced=False)]

    def _step(self, p: float) -> list[Action]:
        window_start = self.position
        self._windows += 1
        window_end = self.position
        cfg = self._cfg
        if not self._active:
            if p >= cfg.threshold:
                self._open(window_start)
                self._probs.append(p)
                self._voiced = WINDOW
                self._voiced_end = window_end
            return []
        self._probs.append(p)
        if p < cfg.neg_threshold:
            self._silent_windows += 1
        else:
            self._silent_windows = 0
            self._voiced_end = window_end
            if p >= cfg.threshold:
                self._voiced += WINDOW
        if self._silent_windows >= self._min_silence_windows:
            return [self._close(self._voiced_end, forced=False)]
        if window_end + WINDOW - self._start > self._max_segment:  # no piece exceeds the max
            return [self._split()]
        if window_end - self._last_partial >= self._partial_interval and (
            self._voiced >= self._min_speech
        ):
            self._last_partial = window_end
            return [PartialDue(self._span(self._start, window_end, tail=0))]
        return []

    def _open(self, start: int) -> None:
        self._active = True
        self._start = start
        self._last_partial = start
        self._silent_windows = 0
        self._voiced = 0
        self._probs = []

    def _span(self, start: int, end: int, tail: int) -> Span:
        end = max(start, end)
        audio_start = max(self._context_floor, start - self._pre_roll)
        return Span(start, end, audio_start, min(self.position, end + tail))

    def _close(self, end: int, forced: bool) -> Action:
        span = self._span(self._start, end, tail=0 if forced else self._post_roll)
        self._active = False
        self._probs = []
        self._context_floor = span.audio_end
        if self._voiced < self._min_speech and not forced:
            return SegmentDropped(span)
        return SegmentEnded(span, forced=forced)

    def _split(self) -> Action:
        """Cut a monologue at the quietest window of its second half; keep the rest open."""
        probs = self._probs
        half = len(probs) // 2
        quietest = half + min(range(len(probs) - half), key=lambda i: (probs[half + i], -i))
        cut = self._start + (quietest + 1) * WINDOW
        ended = self._close(cut, forced=True)
        self._active = True
        remainder = probs[quietest + 1 :]
        self._start = cut
        self._last_partial = cut
        self._probs = remainder
        self._voiced = sum(WINDOW for q in remainder if q >= self._cfg.threshold)
        self._context_floor = cut
        return ended
