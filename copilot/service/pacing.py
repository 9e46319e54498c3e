"""How fast a live call's audio is read: at most a little faster than real time.

A live socket is for audio as it is spoken; a whole recording belongs in ``POST /v1/calls``.
A client that pushes audio faster (a replay tool, a bug, an attack: 100 minutes in 5 s cost
+680 MB and starved other calls' recognition) is slowed down by back-pressure: after each
frame the socket handler waits before reading the next one, the unread frames stay in the
kernel's socket buffers, and TCP flow control stops the client. Nothing is dropped and
nothing is closed; the client just cannot get ahead by more than ``burst_s``.

The pacer is a token bucket counted in seconds of audio: it holds up to ``burst_s`` and
refills at ``speed`` seconds of audio per wall second. Pure and clock-driven, so it is
tested with made-up times.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class AudioPacer:
    def __init__(
        self,
        speed: float,
        burst_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed <= 0 or burst_s < 0:
            raise ValueError("speed must be positive and burst_s not negative")
        self.speed = speed
        self.burst_s = burst_s
        self._clock = clock
        self._allowance = burst_s
        self._last = clock()
        # For the record: how long reading was held back in all.
        self.held_s = 0.0

    def take(self, audio_s: float) -> float:
        """``audio_s`` of audio arrived; seconds to wait before reading the next frame."""
        now = self._clock()
        self._allowance = min(self.burst_s, self._allowance + (now - self._last) * self.speed)
        self._last = now
        self._allowance -= audio_s
        if self._allowance >= 0:
            return 0.0
        wait = -self._allowance / self.speed
        self.held_s += wait
        return wait
