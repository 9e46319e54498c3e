"""One loaded model serving every call of the process: live streams and whole files."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from speech.audio import SAMPLE_RATE, DecodedAudio, PcmFormat, open_audio
from speech.batching import BatchingTranscriber
from speech.config import SpeechConfig
from speech.correction import Corrector, Lexicon, Term
from speech.diarize_labels import RoleResolver
from speech.streaming import CallTranscriber, UtteranceDecoder
from speech.transcriber import Transcriber, load_transcriber
from speech.types import FinalSegment, Speaker, Transcript

Progress = Callable[[float, float], None]  # (seconds done, seconds in all; 0 if unknown)
_FILE_CHUNK_S = 1.0


class SpeechEngine:
    """Owns the recogniser (one copy of the weights) and makes per-call transcribers."""

    def __init__(
        self,
        cfg: SpeechConfig,
        transcriber: Transcriber | None = None,
        *,
        lexicon: Lexicon | None = None,
    ) -> None:
        """``lexicon``: what every call's text is corrected towards (default: the shipped
        sales vocabulary); a call adds its own terms."""
        self.config = cfg
        # Every call's utterances go through one queue and are decoded in batches, one
        # decoder per model replica, one of them for finals only (speech/batching.py).
        batch = cfg.batch
        extra = int(batch.enabled and batch.final_decoder)
        replicas = cfg.model.num_workers + extra
        self.transcriber = transcriber or load_transcriber(
            cfg.model.model_copy(update={"num_workers": replicas})
        )
        self.batcher: BatchingTranscriber | None = None
        if batch.enabled:
            self.batcher = BatchingTranscriber(
                self.transcriber, batch, decoders=replicas, final_decoders=extra
            )
            self.transcriber = self.batcher
        self._lexicon = lexicon
        self._corrector: Corrector | None = None

    def close(self) -> None:
        """Stop the batching decoder's threads (a long-lived process never needs to)."""
        if self.batcher is not None:
            self.batcher.close()

    def corrector(
        self, terms: Sequence[Term] = (), hotwords: Sequence[str] = ()
    ) -> Corrector | None:
        """The corrector of one call: the engine's lexicon plus the call's terms, and its
        hotwords as words of the call; None when the configuration turns correction off."""
        if not self.config.correction:
            return None
        if self._corrector is None:  # a race builds two equal ones: harmless
            self._corrector = Corrector(self._lexicon)
        return self._corrector.for_call(terms, hotwords)

    def new_call(
        self,
        fmt: PcmFormat,
        *,
        hotwords: Sequence[str] = (),
        terms: Sequence[Term] = (),
        emit_partials: bool = True,
        speakers: Sequence[Speaker] | None = None,
        first_segment: int = 1,
        offset_s: float = 0.0,
        roles: RoleResolver | None = None,
        background_partials: bool = False,
    ) -> CallTranscriber:
        """A transcriber for one live call. ``speakers`` maps channels to parties (default:
        the configured channel map, or ``unknown`` for mono); ``first_segment`` and
        ``offset_s`` continue an interrupted call; ``roles`` labels the two voices of a mono
        call ``unknown`` speaker as rep and customer (docs/diarization.md). ``terms`` (the
        customer's and contacts' names, products) and ``hotwords`` are what the recogniser
        is told to expect and what its text is corrected towards (docs/decoding.md,
        docs/speech-correction.md). ``background_partials``: a stream
        at real time goes on hearing its audio while a partial is recognised, at most one
        per channel at a time (docs/throughput.md); a file fed at full speed would skip
        most partials, so it waits for each."""
        # The call's names go into the prompt too, last (closest to the audio, and the part a
        # prompt too long keeps): Whisper spells 孙总 right when told of him, and no
        # correction can bring back a name heard as 村总会.
        prompt_words = [*hotwords, *(term.text for term in terms)]
        decoder = UtteranceDecoder(
            self.transcriber, self.config.decode, prompt_words, self.corrector(terms, hotwords)
        )
        return CallTranscriber(
            fmt,
            decoder,
            self.config,
            emit_partials=emit_partials,
            speakers=speakers,
            first_segment=first_segment,
            offset_s=offset_s,
            roles=roles,
            background_partials=background_partials,
        )

    def transcribe_file(
        self,
        path: str | Path,
        *,
        hotwords: Sequence[str] = (),
        terms: Sequence[Term] = (),
        progress: Progress | None = None,
        max_duration_s: float | None = None,
        roles: RoleResolver | None = None,
    ) -> Transcript:
        """Decode and recognise a recording a second at a time, as a live call is fed, so
        memory stays flat however long the file. ``max_duration_s``: refuse a file that
        declares more (before decoding), or stop once that much has been decoded
        (:class:`~speech.audio.AudioTooLongError`)."""
        with open_audio(path, max_duration_s=max_duration_s) as audio:
            return self._transcribe(
                audio.chunks(_FILE_CHUNK_S),
                audio.channels,
                audio.declared_duration or 0.0,
                hotwords,
                terms,
                progress,
                roles,
            )

    def transcribe_audio(
        self,
        audio: DecodedAudio,
        *,
        hotwords: Sequence[str] = (),
        terms: Sequence[Term] = (),
        progress: Progress | None = None,
        roles: RoleResolver | None = None,
    ) -> Transcript:
        """The live path run as fast as the CPU allows, without partials: a file and a live
        call of the same audio give the same segments."""
        chunk = int(_FILE_CHUNK_S * SAMPLE_RATE)
        pieces = (
            audio.samples[:, offset : offset + chunk]
            for offset in range(0, audio.samples.shape[1], chunk)
        )
        return self._transcribe(
            pieces, audio.channels, audio.duration, hotwords, terms, progress, roles
        )

    def _transcribe(
        self,
        pieces: Iterable[np.ndarray],
        channels: int,
        expected_s: float,
        hotwords: Sequence[str],
        terms: Sequence[Term],
        progress: Progress | None,
        roles: RoleResolver | None = None,
    ) -> Transcript:
        call = self.new_call(
            PcmFormat(SAMPLE_RATE, channels),
            hotwords=hotwords,
            terms=terms,
            emit_partials=False,
            roles=roles,
        )
        finals: list[FinalSegment] = []
        samples = 0
        for piece in pieces:
            samples += piece.shape[1]
            events = call.feed_samples(piece)
            finals.extend(e for e in events if isinstance(e, FinalSegment))
            if progress is not None:
                progress(samples / SAMPLE_RATE, expected_s)
        finals.extend(e for e in call.finish() if isinstance(e, FinalSegment))
        segments = sorted((f.segment for f in finals), key=lambda s: (s.start, s.end))
        segments = call.relabel(segments)  # a whole file: the whole call's evidence
        return Transcript(duration=round(samples / SAMPLE_RATE, 3), segments=segments)
