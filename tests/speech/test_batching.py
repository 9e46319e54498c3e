"""The decoder service shared by all live calls: batching, priority, errors, shutdown.

The queue's behaviour is tested with a scripted backend (what matters is who is decoded
with whom and in which order); one test runs the real bundled model on committed audio to
show a batch hears what single decodes hear.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Hashable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, PcmFormat, decode_file
from speech.batching import SKIPPED, BatchingTranscriber, DecoderClosedError
from speech.config import BatchConfig, ModelConfig, SpeechConfig
from speech.engine import SpeechEngine
from speech.transcriber import Recognition, RecognitionRequest, Transcriber, load_transcriber
from speech.types import FinalSegment, PartialSegment, SpeechEvent


def request(*, final: bool, prompt: str = "", beam: int | None = None) -> RecognitionRequest:
    return RecognitionRequest(
        language="zh",
        prompt=prompt,
        beam_size=beam if beam is not None else (3 if final else 1),
        window_padding_s=1.0,
        final=final,
    )


def tagged(tag: int) -> np.ndarray:
    """An utterance whose first sample says which caller sent it."""
    return np.full(160, float(tag), np.float32)


class GatedBackend(Transcriber):
    """Answers each utterance with its tag; holds every model call until released, so a
    test decides what is queued while the decoder is busy. Tag -1 fails."""

    name = "gated"

    def __init__(self) -> None:
        self.batches: list[list[tuple[int, bool]]] = []
        self.gate = threading.Semaphore(0)
        self.started = threading.Semaphore(0)

    def batch_key(self, request: RecognitionRequest) -> Hashable:
        if request.language != "zh":
            raise ValueError(f"no tokenizer for {request.language!r}")
        return (request.beam_size, request.prompt)

    def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
        return self.recognize_batch([audio], [request])[0]

    def recognize_batch(
        self, audios: Sequence[np.ndarray], requests: Sequence[RecognitionRequest]
    ) -> list[Recognition]:
        tags = [int(a[0]) for a in audios]
        self.batches.append([(t, r.final) for t, r in zip(tags, requests, strict=True)])
        self.started.release()
        assert self.gate.acquire(timeout=10)
        if -1 in tags:
            raise RuntimeError("this utterance breaks the model")
        return [Recognition(f"heard {t}", -0.1, 0.0) for t in tags]


def busy_decoder(cfg: BatchConfig) -> tuple[GatedBackend, BatchingTranscriber, Future[Recognition]]:
    """A decoder held inside a first model call, so what follows queues up."""
    backend = GatedBackend()
    decoder = BatchingTranscriber(backend, cfg)
    first = decoder.submit(tagged(0), request(final=True))
    assert backend.started.acquire(timeout=10)
    return backend, decoder, first


def drain(backend: GatedBackend, futures: Sequence[Future[Recognition]]) -> None:
    for _ in range(100):
        backend.gate.release()
    for future in futures:
        future.exception(timeout=10)


def test_waiting_requests_are_decoded_together_and_answered_to_their_callers() -> None:
    backend, decoder, first = busy_decoder(BatchConfig(max_batch=8, window_ms=0))
    futures = {tag: decoder.submit(tagged(tag), request(final=True)) for tag in range(1, 6)}
    drain(backend, [first, *futures.values()])
    assert first.result().text == "heard 0"
    assert {tag: f.result().text for tag, f in futures.items()} == {
        tag: f"heard {tag}" for tag in range(1, 6)
    }
    # The five that waited shared one model call, in the order they came.
    assert backend.batches[1] == [(tag, True) for tag in range(1, 6)]
    assert decoder.stats.largest_batch == 5
    decoder.close()


def test_batches_are_capped_at_max_batch() -> None:
    backend, decoder, first = busy_decoder(BatchConfig(max_batch=3, window_ms=0))
    futures = [decoder.submit(tagged(tag), request(final=True)) for tag in range(1, 8)]
    drain(backend, [first, *futures])
    assert [len(b) for b in backend.batches] == [1, 3, 3, 1]
    assert [f.result().text for f in futures] == [f"heard {t}" for t in range(1, 8)]
    decoder.close()


def test_finals_go_before_partials_that_came_earlier() -> None:
    backend, decoder, first = busy_decoder(BatchConfig(max_batch=8, window_ms=0))
    partials = [decoder.submit(tagged(tag), request(final=False)) for tag in (1, 2)]
    finals = [decoder.submit(tagged(tag), request(final=True)) for tag in (3, 4)]
    drain(backend, [first, *partials, *finals])
    # Partials are greedy, finals beam search: two model calls, the finals' first.
    assert backend.batches[1:] == [[(3, True), (4, True)], [(1, False), (2, False)]]
    assert [f.result().text for f in partials] == ["heard 1", "heard 2"]
    decoder.close()


def test_requests_that_cannot_share_a_model_call_wait_for_the_next() -> None:
    backend, decoder, first = busy_decoder(BatchConfig(max_batch=8, window_ms=0))
    futures = [
        decoder.submit(tagged(1), request(final=True, prompt="钱总")),
        decoder.submit(tagged(2), request(final=True, prompt="王总")),
        decoder.submit(tagged(3), request(final=True, prompt="钱总")),
    ]
    drain(backend, [first, *futures])
    assert backend.batches[1:] == [[(1, True), (3, True)], [(2, True)]]
    decoder.close()


def test_short_utterances_are_not_padded_to_a_long_ones_window() -> None:
    backend, decoder, first = busy_decoder(BatchConfig(max_batch=8, window_ms=0))
    long = np.full(12 * SAMPLE_RATE, 1.0, np.float32)
    futures = [
        decoder.submit(long, request(final=True)),
        decoder.submit(tagged(2), request(final=True)),  # 0.01 s: padded, 92% silence
        decoder.submit(long * 3, request(final=True)),
    ]
    drain(backend, [first, *futures])
    assert backend.batches[1:] == [[(1, True), (3, True)], [(2, True)]]
    decoder.close()


def test_a_failing_utterance_fails_only_its_own_caller() -> None:
    backend, decoder, first = busy_decoder(BatchConfig(max_batch=8, window_ms=0))
    good = [decoder.submit(tagged(tag), request(final=True)) for tag in (1, 2)]
    bad = decoder.submit(tagged(-1), request(final=True))
    drain(backend, [first, *good, bad])
    assert [f.result().text for f in good] == ["heard 1", "heard 2"]
    with pytest.raises(RuntimeError, match="breaks the model"):
        bad.result()
    unknown = decoder.submit(tagged(5), dataclasses.replace(request(final=True), language="xx"))
    with pytest.raises(ValueError, match="no tokenizer"):
        unknown.result(timeout=10)
    # The decoder goes on serving.
    later = decoder.submit(tagged(7), request(final=False))
    drain(backend, [later])
    assert later.result().text == "heard 7"
    decoder.close()


def test_stale_partials_are_skipped_and_partials_shed_while_finals_pile_up() -> None:
    now = [0.0]
    backend = GatedBackend()
    cfg = BatchConfig(max_batch=8, window_ms=0, stale_partial_s=0.5, shed_partials_at=2)
    decoder = BatchingTranscriber(backend, cfg, clock=lambda: now[0])
    first = decoder.submit(tagged(0), request(final=True))
    assert backend.started.acquire(timeout=10)
    stale = decoder.submit(tagged(1), request(final=False))
    now[0] = 1.0  # the decoder stays busy a whole second
    finals = [decoder.submit(tagged(tag), request(final=True)) for tag in (2, 3)]
    shed = decoder.submit(tagged(4), request(final=False))  # two finals already wait
    assert shed.result(timeout=1) is SKIPPED
    drain(backend, [first, stale, *finals])
    assert stale.result() is SKIPPED
    assert [f.result().text for f in finals] == ["heard 2", "heard 3"]
    assert all(tag not in (1, 4) for batch in backend.batches for tag, _ in batch)
    assert decoder.stats.partials_skipped == 2
    decoder.close()


def test_a_skipped_partial_shows_no_text() -> None:
    from speech.streaming import UtteranceDecoder

    class Skipping(Transcriber):
        name = "skipping"

        def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
            return SKIPPED

    decoder = UtteranceDecoder(Skipping(), SpeechConfig().decode)
    assert decoder.decode(np.zeros(SAMPLE_RATE, np.float32), final=False) is None


def test_close_fails_waiting_requests_and_refuses_new_ones() -> None:
    backend, decoder, first = busy_decoder(BatchConfig(max_batch=8, window_ms=0))
    waiting = decoder.submit(tagged(1), request(final=True))
    closer = threading.Thread(target=decoder.close)
    closer.start()
    for _ in range(5):
        backend.gate.release()
    closer.join(timeout=10)
    assert not closer.is_alive()
    assert first.result().text == "heard 0"  # the batch in progress finishes
    with pytest.raises(DecoderClosedError):
        waiting.result(timeout=1)
    with pytest.raises(DecoderClosedError):
        decoder.recognize(tagged(2), request(final=True))
    decoder.close()  # again: nothing happens


def test_engine_batches_by_default_and_can_be_told_not_to() -> None:
    class Fixed(Transcriber):
        name = "fixed"

        def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
            return Recognition("好", -0.1, 0.0)

    engine = SpeechEngine(SpeechConfig(), transcriber=Fixed())
    assert isinstance(engine.transcriber, BatchingTranscriber)
    engine.close()
    off = SpeechConfig.model_validate({"batch": {"enabled": False}})
    assert isinstance(SpeechEngine(off, transcriber=Fixed()).transcriber, Fixed)


@pytest.fixture(scope="module")
def whisper() -> Transcriber:
    return load_transcriber(ModelConfig(cpu_threads=2))


def test_real_model_hears_the_same_in_a_batch_as_alone(
    whisper: Transcriber, fixture_audio: Path
) -> None:
    different = request(final=False, prompt="钱总 纷享销客 报价")
    assert whisper.batch_key(different) != whisper.batch_key(request(final=False, prompt="钱总"))
    audio = decode_file(fixture_audio / "fx_short.stereo.wav").samples
    # Three utterances of different lengths from both channels with different prompts of
    # one length in tokens (CTranslate2's condition): the batch pads them to one window.
    clips = [audio[0, : 2 * SAMPLE_RATE], audio[1, SAMPLE_RATE : 4 * SAMPLE_RATE], audio[0]]
    requests = [
        request(final=False, prompt="钱总"),
        request(final=False, prompt="王总"),
        request(final=False, prompt="钱总"),
    ]
    assert len({whisper.batch_key(r) for r in requests}) == 1
    alone = [whisper.recognize(c, r).text for c, r in zip(clips, requests, strict=True)]
    decoder = BatchingTranscriber(whisper, BatchConfig(max_batch=8, window_ms=50))
    with ThreadPoolExecutor(3) as pool:
        together = list(pool.map(decoder.recognize, clips, requests))
    decoder.close()
    assert decoder.stats.largest_batch >= 2
    assert any(alone)
    for single, batched in zip(alone, together, strict=True):
        # A longer silent tail may change a character at the edges, not the words.
        assert SequenceMatcher(None, single, batched.text).ratio() >= 0.8, (single, batched)


def test_silent_channels_cost_no_decoding(fixture_audio: Path) -> None:
    """The customer listening: the VAD gates decoding, so a silent channel (digital
    silence or faint line noise) never reaches the decoder, while the speaking one does."""
    heard: list[float] = []

    class Counting(Transcriber):
        name = "counting"

        def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
            heard.append(float(np.abs(audio).max()))
            return Recognition("好的", -0.1, 0.0)

    speech = decode_file(fixture_audio / "fx_short.stereo.wav").samples[0]
    noise = np.random.default_rng(0).normal(0, 0.002, len(speech)).astype(np.float32)
    engine = SpeechEngine(SpeechConfig(), transcriber=Counting())
    call = engine.new_call(PcmFormat(SAMPLE_RATE, 2))
    for offset in range(0, len(speech), SAMPLE_RATE // 10):
        piece = slice(offset, offset + SAMPLE_RATE // 10)
        call.feed_samples(np.stack([np.zeros_like(speech[piece]), noise[piece]]))
    call.finish()
    assert heard == []
    call = engine.new_call(PcmFormat(SAMPLE_RATE, 2))
    call.feed_samples(np.stack([speech, noise]))
    call.finish()
    assert heard and min(heard) > 0.05  # only the voiced channel's utterances
    engine.close()


def test_a_final_decoder_stays_free_for_finals() -> None:
    backend = GatedBackend()
    cfg = BatchConfig(max_batch=1, window_ms=0, stale_partial_s=30)
    decoder = BatchingTranscriber(backend, cfg, decoders=2, final_decoders=1)
    partials = [decoder.submit(tagged(tag), request(final=False)) for tag in (1, 2)]
    assert backend.started.acquire(timeout=10)
    # One decoder is inside partial 1; the other does not take partial 2 …
    assert not backend.started.acquire(timeout=0.3)
    final = decoder.submit(tagged(3), request(final=True))
    # … but takes the final at once, while partial 1 is still being decoded.
    assert backend.started.acquire(timeout=10)
    assert [batch[0][0] for batch in backend.batches] == [1, 3]
    drain(backend, [*partials, final])
    assert [f.result().text for f in [*partials, final]] == ["heard 1", "heard 2", "heard 3"]
    decoder.close()


def test_a_final_being_decoded_holds_back_a_partial_batch() -> None:
    # Three decoders (two for partials and finals, one for finals) sized for two cores: with
    # a final and a partial being decoded, a second partial waits for one of them.
    backend = GatedBackend()
    cfg = BatchConfig(max_batch=1, window_ms=0, stale_partial_s=30)
    decoder = BatchingTranscriber(backend, cfg, decoders=3, final_decoders=1)
    final = decoder.submit(tagged(1), request(final=True))
    assert backend.started.acquire(timeout=10)
    partials = [decoder.submit(tagged(tag), request(final=False)) for tag in (2, 3)]
    assert backend.started.acquire(timeout=10)  # partial 2 takes the free slot
    assert not backend.started.acquire(timeout=0.3)  # partial 3 waits
    backend.gate.release()  # one model call ends: partial 3 may start
    assert backend.started.acquire(timeout=10)
    assert sorted(batch[0][0] for batch in backend.batches) == [1, 2, 3]
    drain(backend, [final, *partials])
    assert [f.result().text for f in [final, *partials]] == ["heard 1", "heard 2", "heard 3"]
    decoder.close()


def test_a_live_call_goes_on_hearing_while_its_partial_is_recognised(
    fixture_audio: Path,
) -> None:
    class SlowPartials(Transcriber):
        name = "slow-partials"

        def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
            if not request.final:
                time.sleep(0.2)
            return Recognition("好的", -0.1, 0.0)

    audio = decode_file(fixture_audio / "fx_short.stereo.wav").samples
    engine = SpeechEngine(SpeechConfig(), transcriber=SlowPartials())

    def stream(background: bool) -> tuple[float, list[SpeechEvent]]:
        """Four times real time; how long the feeding itself took, and the events."""
        call = engine.new_call(PcmFormat(SAMPLE_RATE, 2), background_partials=background)
        inside = 0.0
        events: list[SpeechEvent] = []
        for offset in range(0, audio.shape[1], SAMPLE_RATE // 10):
            started = time.perf_counter()
            events += call.feed_samples(audio[:, offset : offset + SAMPLE_RATE // 10])
            inside += time.perf_counter() - started
            time.sleep(0.025)
        return inside, events + call.finish()

    waited, before = stream(background=False)
    went_on, after = stream(background=True)
    engine.close()
    finals = [[e.segment.text for e in ev if isinstance(e, FinalSegment)] for ev in (before, after)]
    assert finals[0] == finals[1] and finals[0]  # the same finals, found without waiting
    assert went_on < waited / 2
    # Partials still come, fewer: one at a time per channel, as fast as they are recognised.
    assert (
        0
        < sum(isinstance(e, PartialSegment) for e in after)
        < sum(isinstance(e, PartialSegment) for e in before)
    )
