"""What Whisper is told before it decodes a segment: its ``initial_prompt``.

Whisper reads the prompt as the text said just before the audio. A static sentence sets the
script and punctuation style; the call's terms make it spell names right; the call's own
recent finals (both parties) let it carry words and topic from one turn to the next. Only
finals get the recent text: partials are replaced within a second and a longer prompt costs
decoder time on every one of them.
"""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterable

_SENTENCE_END = "。？！…"


def build_prompt(initial_prompt: str, hotwords: Iterable[str], recent: str = "") -> str:
    """The static sentence, then the names it should spell right, then the call's recent
    text last: Whisper weighs what comes right before the audio most, and the backend keeps
    the tail of a prompt that is too long."""
    words = list(dict.fromkeys(w.strip() for w in hotwords if w and w.strip()))
    prompt = initial_prompt
    if words:
        prompt += f"可能提到：{'、'.join(words)}。"
    return prompt + recent


class RecentFinals:
    """The last few finals of one call, for the prompt of its next final.

    Bounded so that a mistake cannot feed itself for long: at most ``max_chars`` characters
    (oldest finals drop out whole), a final said again is not repeated, and the caller only
    adds finals the recogniser was confident of and that are not hallucinations.
    """

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self._finals: deque[str] = deque()

    def add(self, text: str) -> None:
        text = text.strip()
        if not text or self.max_chars <= 0:
            return
        if text[-1] not in _SENTENCE_END:
            text += "。"  # keeps two turns from reading as one sentence
        if text in self._finals:
            # Whisper repeating itself across segments is the loop we must not reinforce.
            return
        self._finals.append(text)
        while len(self._finals) > 1 and sum(map(len, self._finals)) > self.max_chars:
            self._finals.popleft()

    def text(self) -> str:
        """The recent finals, oldest first, at most ``max_chars`` characters (the tail of
        the latest final when it alone is longer)."""
        joined = "".join(self._finals)
        return joined[-self.max_chars :] if self.max_chars > 0 else ""


def compression_ratio(text: str) -> float:
    """How well the text compresses: Whisper's sign of a repetition loop (above ~2.4)."""
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0
