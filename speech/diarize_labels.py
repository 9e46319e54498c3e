"""Rep or customer for each segment of a mono call: voices from the audio, roles from words.

:mod:`speech.diarize` tells the two voices apart; which voice is the rep is decided from
what each voice says by a :class:`RoleResolver` the application supplies (the speech
library knows nothing of sales). :class:`MonoSpeakers` holds one call's segments as they
are committed.

Live calls: a segment is labelled when it is committed, with what is known by then. Until
both the voices and the roles are clear (the resolver has heard enough cues), segments stay
``unknown``. At the end of the call, and for a whole file, every segment is labelled again
with the whole call's evidence (:meth:`MonoSpeakers.relabel`); the service then redoes what
depends on who spoke.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

from speech.diarize import Clustering, VoiceFeatures, cluster_voices, voice_features
from speech.types import Segment, Speaker

# One voice only: whatever it says, another party may simply be silent or off the line.
SINGLE_VOICE_MAX_CONFIDENCE = 0.6


class VoiceTurn(NamedTuple):
    """What one voice said in one segment."""

    voice: int
    text: str


class RoleGuess(NamedTuple):
    role: Speaker
    confidence: float


class RoleResolver(Protocol):
    """Decides which voice is the rep from the words each voice said. Returns a guess per
    voice (``unknown`` while undecided); ``voices`` is 1 or 2."""

    def resolve(self, turns: Sequence[VoiceTurn], voices: int) -> dict[int, RoleGuess]: ...


@dataclass
class _Heard:
    segment: Segment
    features: VoiceFeatures | None


def segment_confidence(role: float, voice: float) -> float:
    """Right when role and voice are both right, or both wrong (the errors cancel)."""
    return round(role * voice + (1 - role) * (1 - voice), 3)


class MonoSpeakers:
    """The speakers of one mono call, learnt as its segments are committed."""

    def __init__(self, resolver: RoleResolver) -> None:
        self._resolver = resolver
        self._heard: list[_Heard] = []
        self._clustering: Clustering | None = None

    def final(self, segment: Segment, audio: np.ndarray) -> Segment:
        """Record a committed segment (with its audio) and label it with what is known now."""
        self._heard.append(_Heard(segment, voice_features(audio)))
        labels = self._labels()
        return labels[-1]

    def partial(self, segment: Segment, audio: np.ndarray) -> Segment:
        """Label provisional text by the voices heard so far, without learning from it."""
        if self._clustering is None or not self._heard:
            return segment
        heard = [*self._heard, _Heard(segment, voice_features(audio))]
        return self._label_all(heard)[-1]

    def relabel(self, segments: Sequence[Segment]) -> list[Segment]:
        """The whole call's segments labelled with everything heard (files, after the end)."""
        by_id = {h.segment.id: h for h in self._heard}
        labelled = {s.id: s for s in self._labels()}
        return [labelled.get(s.id, s) if s.id in by_id else s for s in segments]

    def _labels(self) -> list[Segment]:
        return self._label_all(self._heard, remember=True)

    def _label_all(self, heard: Sequence[_Heard], *, remember: bool = False) -> list[Segment]:
        clustering = cluster_voices(
            [h.features for h in heard],
            [h.segment.start for h in heard],
            [h.segment.end for h in heard],
        )
        if remember:
            self._clustering = clustering
        voices = 2 if clustering.two_voices else 1
        turns = [
            VoiceTurn(a.voice, h.segment.text)
            for h, a in zip(heard, clustering.assignments, strict=True)
        ]
        roles = self._resolver.resolve(turns, voices)
        labelled: list[Segment] = []
        for h, assignment in zip(heard, clustering.assignments, strict=True):
            guess = roles.get(assignment.voice, RoleGuess("unknown", 0.0))
            if guess.role == "unknown":
                labelled.append(h.segment)
                continue
            confidence = segment_confidence(guess.confidence, assignment.confidence)
            if voices == 1:
                confidence = min(confidence, SINGLE_VOICE_MAX_CONFIDENCE)
            labelled.append(
                h.segment.model_copy(
                    update={
                        "speaker": guess.role,
                        "speaker_source": "inferred",
                        "speaker_confidence": confidence,
                    }
                )
            )
        return labelled
