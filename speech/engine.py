"""One loaded model serving every call of the process: live streams and whole files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from speech.audio import SAMPLE_RATE, DecodedAudio, PcmFormat, decode_file
from speech.config import SpeechConfig
from speech.streaming import CallTranscriber, UtteranceDecoder
from speech.transcriber import Transcriber, load_transcriber
from speech.types import FinalSegment, Speaker, Transcript

Progress = Callable[[float, float], None]  # (seconds done, seconds in all)
_FILE_CHUNK_S = 1.0


class SpeechEngine:
    """Owns the recogniser (one copy of the weights) and makes per-call transcribers."""

    def __init__(self, cfg: SpeechConfig, transcriber: Transcriber | None = None) -> None:
        self.config = cfg
        self.transcriber = transcriber or load_transcriber(cfg.model)

    def new_call(
        self,
        fmt: PcmFormat,
        *,
        hotwords: Sequence[str] = (),
        emit_partials: bool = True,
        speakers: Sequence[Speaker] | None = None,
        first_segment: int = 1,
        offset_s: float = 0.0,
    ) -> CallTranscriber:
        """A transcriber for one live call. ``speakers`` maps channels to parties (default:
        the configured channel map, or ``unknown`` for mono); ``first_segment`` and
        ``offset_s`` continue an interrupted call."""
        decoder = UtteranceDecoder(self.transcriber, self.config.decode, hotwords)
        return CallTranscriber(
            fmt,
            decoder,
            self.config,
            emit_partials=emit_partials,
            speakers=speakers,
            first_segment=first_segment,
            offset_s=offset_s,
        )

    def transcribe_file(
        self, path: str | Path, *, hotwords: Sequence[str] = (), progress: Progress | None = None
    ) -> Transcript:
        return self.transcribe_audio(decode_file(path), hotwords=hotwords, progress=progress)

    def transcribe_audio(
        self, audio: DecodedAudio, *, hotwords: Sequence[str] = (), progress: Progress | None = None
    ) -> Transcript:
        """The live path run as fast as the CPU allows, without partials: a file and a live
        call of the same audio give the same segments."""
        call = self.new_call(
            PcmFormat(SAMPLE_RATE, audio.channels), hotwords=hotwords, emit_partials=False
        )
        chunk = int(_FILE_CHUNK_S * SAMPLE_RATE)
        total = audio.samples.shape[1]
        finals: list[FinalSegment] = []
        for offset in range(0, total, chunk):
            events = call.feed_samples(audio.samples[:, offset : offset + chunk])
            finals.extend(e for e in events if isinstance(e, FinalSegment))
            if progress is not None:
                progress(min(offset + chunk, total) / SAMPLE_RATE, audio.duration)
        finals.extend(e for e in call.finish() if isinstance(e, FinalSegment))
        segments = sorted((f.segment for f in finals), key=lambda s: (s.start, s.end))
        return Transcript(duration=round(audio.duration, 3), segments=segments)
