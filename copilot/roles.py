"""Which voice of a mono call is the rep, judged from what each voice says.

The speech library splits a mono recording into voices (speech/diarize.py) but knows
nothing of sales; this is the :class:`~speech.diarize_labels.RoleResolver` it asks. Cue
words live in ``insights/data/speaker_roles.yaml``: the rep introduces themselves and their
company, offers, quotes and asks discovery questions; the customer talks about their own
systems, budget and boss, and addresses the vendor as 你们.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import cache, lru_cache

from pydantic import Field, field_validator

from copilot.insights.lexicon import LexiconSchema, bundled
from speech.diarize_labels import RoleGuess, VoiceTurn

# A voice is called the rep only on this much more rep-like evidence than the other
# voice (or, alone on the line, than customer-like evidence): one weak hint is not enough.
MIN_MARGIN = 2.0
# Margin at which the role confidence reaches about 0.88 (0.5 + 0.5·tanh(1)).
CONFIDENT_MARGIN = 6.0


class Cue(LexiconSchema):
    pattern: str
    weight: float = Field(gt=0)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        re.compile(value)
        return value


class RoleCues(LexiconSchema):
    rep: tuple[Cue, ...]
    customer: tuple[Cue, ...]


@cache
def _compiled() -> tuple[list[tuple[re.Pattern[str], float]], list[tuple[re.Pattern[str], float]]]:
    cues = bundled("speaker_roles", RoleCues)
    return (
        [(re.compile(c.pattern), c.weight) for c in cues.rep],
        [(re.compile(c.pattern), c.weight) for c in cues.customer],
    )


@lru_cache(maxsize=4096)
def rep_score(text: str) -> float:
    """Positive when the words sound like the rep, negative like the customer; each cue
    counts once per utterance (a repeated 您好 is no stronger evidence)."""
    rep, customer = _compiled()
    return sum(w for p, w in rep if p.search(text)) - sum(w for p, w in customer if p.search(text))


def _confidence(margin: float) -> float:
    return round(0.5 + 0.5 * math.tanh(margin / CONFIDENT_MARGIN), 3)


class TextRoleResolver:
    """Rep and customer for the voices of a mono call, from cue words."""

    def resolve(self, turns: Sequence[VoiceTurn], voices: int) -> dict[int, RoleGuess]:
        scores = [0.0] * voices
        for turn in turns:
            scores[turn.voice] += rep_score(turn.text)
        if voices == 1:
            [score] = scores
            if abs(score) < MIN_MARGIN:
                return {0: RoleGuess("unknown", 0.0)}
            return {0: RoleGuess("rep" if score > 0 else "customer", _confidence(abs(score)))}
        margin = scores[0] - scores[1]
        if abs(margin) < MIN_MARGIN:
            return {0: RoleGuess("unknown", 0.0), 1: RoleGuess("unknown", 0.0)}
        rep = 0 if margin > 0 else 1
        confidence = _confidence(abs(margin))
        return {rep: RoleGuess("rep", confidence), 1 - rep: RoleGuess("customer", confidence)}
