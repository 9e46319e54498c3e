"""Live transcription of one call: PCM frames in, partial and final segments out.

Per channel, a Silero VAD feeds the :class:`~speech.endpointing.Endpointer`; its actions
decide which slice of the retained audio is decoded, and whether the text is provisional
(partial) or committed (final). Only the audio of the segment being spoken is retained, so
memory stays flat however long the call.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np

from speech.audio import SAMPLE_RATE, PcmFormat, PcmFrameDecoder
from speech.config import DecodeConfig, EndpointConfig, SpeechConfig
from speech.correction import Corrector
from speech.diarize_labels import MonoSpeakers, RoleResolver
from speech.endpointing import Endpointer, PartialDue, SegmentDropped, SegmentEnded, Span
from speech.normalize import is_hallucination, normalize_text
from speech.prompt import RecentFinals, build_prompt, compression_ratio
from speech.transcriber import Recognition, RecognitionRequest, Transcriber
from speech.types import FinalSegment, PartialSegment, Segment, Speaker, SpeechEvent
from speech.vad import StreamingVad

# An amount written in digits before 万 or 亿 (2300万, 1.2亿; Whisper may write 萬 and 億).
_DIGIT_AMOUNT = re.compile(r"(\d[\d,.]*)\s*[万萬亿億]")
# How the recogniser writes a spoken range as one number: a digit, then the next one,
# directly or after a 0 (两三百万 → 2300万, 四五十万 → 450万, 十二三万 → 12.3万,
# 一百二三十万 → 12030万, 二百四五十万 → 24050万). 90万 or 35万 cannot be a range.
_RANGE_SHAPE = re.compile(r"12|23|34|45|56|67|78|89|102|203|304|405|506|607|708|809")
# A second decode shorter than this share of the first was cut short.
_KEEP_LENGTH = 0.8


def may_be_a_range(text: str) -> bool:
    """Whether an amount in ``text`` is written in digits that a spoken range would give."""
    return any(
        _RANGE_SHAPE.search(match[1].replace(",", "").replace(".", ""))
        for match in _DIGIT_AMOUNT.finditer(text)
    )


class UtteranceDecoder:
    """Turns a slice of audio into clean simplified-Chinese text, or ``None`` if no words."""

    def __init__(
        self,
        transcriber: Transcriber,
        cfg: DecodeConfig,
        hotwords: Sequence[str] = (),
        corrector: Corrector | None = None,
    ) -> None:
        self._transcriber = transcriber
        self._cfg = cfg
        self._prompt = build_prompt(cfg.initial_prompt, [*cfg.hotwords, *hotwords])
        self._amount_prompt = (
            build_prompt(cfg.initial_prompt, [*cfg.hotwords, *hotwords, *cfg.amount_examples])
            if cfg.amount_examples
            else None
        )
        # One decoder per call, shared by its channels: both parties' finals go in.
        self.recent = RecentFinals(cfg.context_chars)
        self._corrector = corrector

    def correct(self, text: str, *, final: bool) -> tuple[str, str | None]:
        """(text with the call's terms spelled right, the recogniser's text or ``None`` when
        nothing changed). Partials get the cheap exact-sound pass only."""
        if self._corrector is None:
            return text, None
        result = self._corrector.correct(text, partial=not final)
        return (result.text, result.raw_text) if result.changed else (text, None)

    def prompt(self, *, final: bool) -> str:
        """Partials keep the cheap static prompt; finals add the call's recent finals."""
        return self._prompt + self.recent.text() if final else self._prompt

    def _request(self, *, final: bool) -> RecognitionRequest:
        cfg = self._cfg
        return RecognitionRequest(
            language=cfg.language,
            prompt=self.prompt(final=final),
            # Partials are replaced within a second: greedy decoding is enough for them.
            beam_size=cfg.beam_size if final else 1,
            window_padding_s=cfg.window_padding_s,
            final=final,
        )

    def decode(self, audio: np.ndarray, *, final: bool) -> str | None:
        request = self._request(final=final)
        result = self._recognize(audio, request, final=final)
        if final and self._amount_prompt is not None and may_be_a_range(result.text):
            result = self._amounts_as_said(audio, request, result)
        return self.accept(result, final=final)

    def _amounts_as_said(
        self, audio: np.ndarray, request: RecognitionRequest, first: Recognition
    ) -> Recognition:
        """The final decoded again with amounts in Chinese numerals in its prompt (see
        ``DecodeConfig.amount_examples``); the first text stays when the second is cut
        short (a prompt can make Whisper stop after one sentence) or looks like a loop."""
        assert self._amount_prompt is not None
        prompt = self._amount_prompt + self.recent.text()
        again = self._transcriber.recognize(audio, dataclasses.replace(request, prompt=prompt))
        if len(again.text.strip()) < _KEEP_LENGTH * len(first.text.strip()):
            return first
        if compression_ratio(again.text) > self._cfg.compression_ratio_threshold:
            return first
        return again

    def submit_partial(self, audio: np.ndarray) -> Future[Recognition]:
        """A partial's recognition, queued without waiting (read it with :meth:`accept`):
        the call goes on hearing its audio, and finding its finals, meanwhile."""
        return self._transcriber.submit(audio, self._request(final=False))

    def accept(self, result: Recognition, *, final: bool) -> str | None:
        """The text of a recognition, or ``None`` when it heard no words."""
        cfg = self._cfg
        if (
            result.no_speech_prob > cfg.no_speech_threshold
            and result.avg_logprob < cfg.log_prob_threshold
        ):
            return None
        text = normalize_text(result.text)
        if is_hallucination(text):
            return None
        if final and result.avg_logprob >= cfg.context_min_logprob:
            self.recent.add(text)
        return text

    def _recognize(
        self, audio: np.ndarray, request: RecognitionRequest, *, final: bool
    ) -> Recognition:
        """Whisper's temperature fallback, for finals when configured: sample again while
        the text looks like a loop or the model was unsure; keep the most confident try."""
        result = self._transcriber.recognize(audio, request)
        tries = [result]
        for temperature in self._cfg.fallback_temperatures if final else ():
            if self._acceptable(result):
                return result
            result = self._transcriber.recognize(
                audio, dataclasses.replace(request, temperature=temperature)
            )
            tries.append(result)
        if self._acceptable(result):
            return result
        return max(tries, key=lambda r: r.avg_logprob)

    def _acceptable(self, result: Recognition) -> bool:
        """Not a loop, and confident unless it is silence (Whisper's fallback test)."""
        cfg = self._cfg
        if compression_ratio(result.text) > cfg.compression_ratio_threshold:
            return False
        return (
            result.avg_logprob >= cfg.log_prob_threshold
            or result.no_speech_prob > cfg.no_speech_threshold
        )


class _SampleBuffer:
    """The recent samples of one channel, addressed by absolute sample index."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._origin = 0  # absolute index of the first retained sample
        self._size = 0

    def append(self, samples: np.ndarray) -> None:
        if len(samples):
            self._chunks.append(samples)
            self._size += len(samples)

    def slice(self, start: int, end: int) -> np.ndarray:
        data = np.concatenate(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
        self._chunks = [data]
        return data[max(0, start - self._origin) : max(0, end - self._origin)]

    def discard_before(self, index: int) -> None:
        drop = min(index - self._origin, self._size)
        if drop <= 0:
            return
        data = np.concatenate(self._chunks)[drop:] if self._chunks else np.zeros(0, np.float32)
        self._chunks = [data] if len(data) else []
        self._origin += drop
        self._size -= drop

    @property
    def retained(self) -> int:
        return self._size


@dataclasses.dataclass(frozen=True)
class _PendingPartial:
    future: Future[Recognition]
    span: Span
    audio: np.ndarray
    started: float


class ChannelTranscriber:
    """One party's channel of a live call."""

    def __init__(
        self,
        speaker: Speaker,
        decoder: UtteranceDecoder,
        cfg: EndpointConfig,
        new_id: Callable[[], str],
        *,
        emit_partials: bool = True,
        offset_s: float = 0.0,
        voices: MonoSpeakers | None = None,
        background_partials: bool = False,
    ) -> None:
        """``voices``: a mono channel of two parties, labelled by voice and words;
        ``background_partials``: do not wait for a partial's text (it comes out of a later
        ``feed``), and do not ask for another while one is being recognised."""
        self.speaker = speaker
        self.voices = voices
        self._offset_s = offset_s
        self._decoder = decoder
        self._vad = StreamingVad()
        self._endpointer = Endpointer(cfg)
        self._buffer = _SampleBuffer()
        self._new_id = new_id
        self.emit_partials = emit_partials
        self._segment_id: str | None = None
        self._shown_partial = False
        # The partial being recognised: at most one per channel, so when the decoder is
        # busy partials come less often by themselves (docs/throughput.md).
        self._pending: _PendingPartial | None = None
        self._background = background_partials

    @property
    def retained_samples(self) -> int:
        return self._buffer.retained

    def feed(self, samples: np.ndarray) -> list[SpeechEvent]:
        self._buffer.append(samples)
        events = self._collect_partial()
        return events + self._handle(self._endpointer.push(self._vad.feed(samples).tolist()))

    def finish(self) -> list[SpeechEvent]:
        events = self._collect_partial()
        return events + self._handle(self._endpointer.flush())

    def _handle(
        self, actions: list[PartialDue | SegmentEnded | SegmentDropped]
    ) -> list[SpeechEvent]:
        events: list[SpeechEvent] = []
        # Only the newest partial is worth decoding: an older one would be stale on arrival,
        # and none is needed when the segment ends within the same batch.
        newest_partial = max(
            (i for i, a in enumerate(actions) if isinstance(a, PartialDue)), default=-1
        )
        if any(isinstance(a, SegmentEnded | SegmentDropped) for a in actions[newest_partial:]):
            newest_partial = -1
        for index, action in enumerate(actions):
            if isinstance(action, PartialDue):
                if index == newest_partial and self.emit_partials:
                    events.extend(self._partial(action.span))
            elif isinstance(action, SegmentEnded):
                events.extend(self._final(action.span))
            else:
                events.extend(self._retract())
        self._buffer.discard_before(self._endpointer.retain_from())
        return events

    def _segment(self, span: Span, heard: str, *, final: bool) -> Segment:
        if self._segment_id is None:
            self._segment_id = self._new_id()
        text, raw_text = self._decoder.correct(heard, final=final)
        return Segment(
            id=self._segment_id,
            start=round(self._offset_s + span.start / SAMPLE_RATE, 2),
            end=round(self._offset_s + span.end / SAMPLE_RATE, 2),
            speaker=self.speaker,
            text=text,
            raw_text=raw_text,
        )

    def _partial(self, span: Span) -> list[SpeechEvent]:
        if self._pending is not None:  # the previous one is still being recognised
            return []
        audio = self._buffer.slice(span.audio_start, span.audio_end)
        future = self._decoder.submit_partial(audio)
        self._pending = _PendingPartial(future, span, audio, time.perf_counter())
        if not self._background:
            future.result()
        return self._collect_partial()  # also ready at once without a batching decoder

    def _drop_partial(self) -> None:
        """The segment ended: its partial in flight, if any, is not needed any more."""
        if self._pending is not None:
            self._pending.future.cancel()
            self._pending = None

    def _collect_partial(self) -> list[SpeechEvent]:
        pending = self._pending
        if pending is None or not pending.future.done():
            return []
        self._pending = None
        text = self._decoder.accept(pending.future.result(), final=False)
        if not text:
            return []
        span, audio, started = pending.span, pending.audio, pending.started
        self._shown_partial = True
        segment = self._segment(span, text, final=False)
        if self.voices is not None:
            segment = self.voices.partial(segment, audio)
        return [PartialSegment(segment, time.perf_counter() - started)]

    def _final(self, span: Span) -> list[SpeechEvent]:
        self._drop_partial()
        started = time.perf_counter()
        audio = self._buffer.slice(span.audio_start, span.audio_end)
        text = self._decoder.decode(audio, final=True)
        if not text:
            return self._retract()
        segment = self._segment(span, text, final=True)
        if self.voices is not None:
            segment = self.voices.final(segment, audio)
        event = FinalSegment(segment, time.perf_counter() - started)
        self._segment_id, self._shown_partial = None, False
        return [event]

    def _retract(self) -> list[SpeechEvent]:
        """A segment ended without words: withdraw its provisional text, if any was shown."""
        self._drop_partial()
        events: list[SpeechEvent] = []
        if self._shown_partial and self._segment_id is not None:
            empty = Segment(id=self._segment_id, start=0.0, end=0.0, speaker=self.speaker, text="")
            events.append(PartialSegment(empty, 0.0))
        self._segment_id, self._shown_partial = None, False
        return events


class CallTranscriber:
    """All channels of one live call; feed it the stream's binary frames in order."""

    def __init__(
        self,
        fmt: PcmFormat,
        decoder: UtteranceDecoder,
        cfg: SpeechConfig,
        *,
        emit_partials: bool = True,
        speakers: Sequence[Speaker] | None = None,
        first_segment: int = 1,
        offset_s: float = 0.0,
        roles: RoleResolver | None = None,
        background_partials: bool = False,
    ) -> None:
        """``first_segment`` and ``offset_s`` continue a call that was interrupted: segment
        ids and times go on from where the previous transcriber stopped. ``roles``: tell
        rep from customer on a mono channel of unknown speaker (speech/diarize_labels.py).
        ``background_partials``: see :class:`ChannelTranscriber`."""
        self.format = fmt
        self._frames = PcmFrameDecoder(fmt)
        if speakers is None:
            speakers = ["unknown"] if fmt.channels == 1 else list(cfg.channel_map)
        if len(speakers) != fmt.channels:
            raise ValueError(f"{len(speakers)} speakers given for {fmt.channels} channels")
        counter = itertools.count(first_segment)
        # One channel, nobody named: two parties may share it.
        self.voices = (
            MonoSpeakers(roles) if roles is not None and list(speakers) == ["unknown"] else None
        )
        self.channels = [
            ChannelTranscriber(
                speaker,
                decoder,
                cfg.endpoint,
                lambda: f"seg-{next(counter):04d}",
                emit_partials=emit_partials,
                offset_s=offset_s,
                voices=self.voices,
                background_partials=background_partials,
            )
            for speaker in speakers
        ]
        self._samples_in = 0
        self._finished = False

    @property
    def position_s(self) -> float:
        """Seconds of audio received so far."""
        return self._samples_in / SAMPLE_RATE

    @property
    def emit_partials(self) -> bool:
        return all(channel.emit_partials for channel in self.channels)

    @emit_partials.setter
    def emit_partials(self, on: bool) -> None:
        """Switch partials off while recognition lags behind the audio: finals are never
        skipped, so turning partials off is how a slow machine catches up."""
        for channel in self.channels:
            channel.emit_partials = on

    def decode(self, frame: bytes) -> np.ndarray:
        """Validate and convert one binary frame without processing it (raises
        ``StreamFormatError`` if bad), so a server can reject it before queueing."""
        return self._frames.decode(frame)

    def feed(self, frame: bytes) -> list[SpeechEvent]:
        """Validate and process one binary frame (raises ``StreamFormatError`` if bad)."""
        return self.feed_samples(self._frames.decode(frame))

    def feed_samples(self, samples: np.ndarray) -> list[SpeechEvent]:
        """Process float32 samples at 16 kHz, shape (channels, n)."""
        if self._finished:
            raise RuntimeError("this call has already finished")
        self._samples_in += samples.shape[1]
        events: list[SpeechEvent] = []
        for channel, row in zip(self.channels, samples, strict=True):
            events.extend(channel.feed(row))
        return events

    def finish(self) -> list[SpeechEvent]:
        """End of the call: decode what is still being spoken and commit it."""
        events = self.feed_samples(self._frames.flush())
        self._finished = True
        for channel in self.channels:
            events.extend(channel.finish())
        return events

    def relabel(self, segments: Sequence[Segment]) -> list[Segment]:
        """``segments`` labelled with the whole call's evidence, for after :meth:`finish`.

        While a mono call goes on, each segment is labelled with what was heard by then and
        early ones may stay ``unknown``; at the end every segment this transcriber committed
        gets the voices and roles of the whole call, as a file does. Other calls, and
        segments committed before a restart (their audio is gone), come back unchanged."""
        if self.voices is None:
            return list(segments)
        return self.voices.relabel(segments)
