"""One decoder service for every live call: utterances of all calls recognised in batches.

Each call's worker thread still calls :meth:`Transcriber.recognize` and blocks, as without
batching; :class:`BatchingTranscriber` queues the request instead of decoding it. A decoder
thread per model replica takes the queue's most urgent request, waits ``window_ms`` for
company, and decodes it together with the other waiting requests that the backend can put in
the same model call (same :meth:`~speech.transcriber.Transcriber.batch_key`: language, beam
size, temperature; prompts may differ), up to ``max_batch``. CTranslate2 runs a batch of
eight short utterances in far less time than eight single ones, so more calls fit one core.

Order: finals before partials, then first come first served; ``final_decoders`` of the
decoders never take partials, so that a final never waits for partial batches on every
decoder. Under load (the rule, also in docs/throughput.md):

- a partial that waited ``stale_partial_s`` or more is answered "nothing heard" without
  decoding: its audio is out of date and the next partial or the final replaces it;
- while ``shed_partials_at`` or more finals wait, new partials are answered the same way at
  once. Both stretch the partial cadence of every call so that finals stay on time.

A request that fails is retried alone, so one bad utterance fails only its own caller.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

from speech.audio import SAMPLE_RATE
from speech.config import BatchConfig
from speech.transcriber import Recognition, RecognitionRequest, Transcriber

# What a shed partial is answered: no text, sure it was no speech, so no partial is shown.
SKIPPED = Recognition(text="", avg_logprob=float("-inf"), no_speech_prob=1.0)


class DecoderClosedError(RuntimeError):
    """The batching decoder was closed while a request waited or after it closed."""


@dataclass(order=True)
class _Pending:
    priority: int  # 0: final, 1: partial
    seq: int
    audio: np.ndarray = field(compare=False)
    request: RecognitionRequest = field(compare=False)
    queued_at: float = field(compare=False)
    future: Future[Recognition] = field(compare=False, default_factory=Future)


@dataclass
class BatchStats:
    """What the decoder did, for benchmarks and health figures."""

    batches: int = 0
    decoded: int = 0
    partials_skipped: int = 0
    largest_batch: int = 0


class BatchingTranscriber(Transcriber):
    """A :class:`Transcriber` whose requests, from any number of threads, are decoded
    together by ``decoders`` threads (one per model replica)."""

    def __init__(
        self,
        inner: Transcriber,
        cfg: BatchConfig,
        *,
        decoders: int = 1,
        final_decoders: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``final_decoders`` of the ``decoders`` never take partials (at least one
        decoder always does)."""
        self.name = inner.name
        self.inner = inner
        self._cfg = cfg
        self._clock = clock
        self._heap: list[_Pending] = []
        self._seq = itertools.count()
        self._ready = threading.Condition()
        self._closed = False
        self._running = 0  # model calls in progress, partial or final
        self._partial_slots = max(1, decoders - final_decoders)
        self.stats = BatchStats()
        self._threads = [
            threading.Thread(target=self._serve, name=f"speech-decoder-{n}", daemon=True)
            for n in range(decoders)
        ]
        for thread in self._threads:
            thread.start()

    # -- callers' side -----------------------------------------------------------------

    def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
        return self.submit(audio, request).result()

    def submit(self, audio: np.ndarray, request: RecognitionRequest) -> Future[Recognition]:
        """Queue one utterance; the future holds its recognition (or its error)."""
        pending = _Pending(
            0 if request.final else 1, next(self._seq), audio, request, self._clock()
        )
        with self._ready:
            if self._closed:
                raise DecoderClosedError("the speech decoder has shut down")
            finals_waiting = sum(1 for p in self._heap if p.priority == 0)
            if not request.final and finals_waiting >= self._cfg.shed_partials_at:
                self.stats.partials_skipped += 1
                pending.future.set_result(SKIPPED)
                return pending.future
            heapq.heappush(self._heap, pending)
            self._ready.notify()
        return pending.future

    @property
    def queued(self) -> int:
        """Requests waiting for a decoder."""
        with self._ready:
            return len(self._heap)

    def close(self) -> None:
        """Stop the decoder threads; requests still waiting fail with
        :class:`DecoderClosedError`. Idempotent."""
        with self._ready:
            self._closed = True
            left, self._heap = self._heap, []
            self._ready.notify_all()
        for pending in left:
            if pending.future.set_running_or_notify_cancel():
                pending.future.set_exception(DecoderClosedError("the speech decoder has shut down"))
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()

    # -- decoder threads ---------------------------------------------------------------

    def _serve(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            if not batch:  # taken by another decoder, or all stale
                continue
            try:
                self._decode(batch)
            finally:
                with self._ready:
                    self._running -= 1
                    self._ready.notify_all()

    def _startable(self) -> bool:
        """A final waits, or a decoder may take partials: the final decoders are kept for
        finals, so a final never waits behind partial batches on every decoder. A final
        being decoded takes a partial slot too, so that no more model calls run at once
        than the replicas meant for both (the cores they were sized for): the final does
        not share its core with a third decode."""
        if not self._heap:
            return False
        return self._heap[0].priority == 0 or self._running < self._partial_slots

    def _next_batch(self) -> list[_Pending] | None:
        """The most urgent request and those that can share its model call; None once
        closed."""
        cfg = self._cfg
        with self._ready:
            while not self._startable():
                if self._closed:
                    return None
                self._ready.wait()
            # Company for the head request: wait a moment unless the batch is already full.
            deadline = self._clock() + cfg.window_ms / 1000
            while len(self._heap) < cfg.max_batch and not self._closed:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    break
                self._ready.wait(remaining)
            if not self._startable():  # another decoder took them meanwhile, or closed
                return [] if not self._closed else None
            now = self._clock()
            batch: list[_Pending] = []
            kept: list[_Pending] = []
            key: Hashable = None
            while self._heap and len(batch) < cfg.max_batch:
                pending = heapq.heappop(self._heap)
                if pending.future.cancelled():  # its caller moved on (the segment ended)
                    continue
                if pending.priority and now - pending.queued_at >= cfg.stale_partial_s:
                    self.stats.partials_skipped += 1
                    if pending.future.set_running_or_notify_cancel():
                        pending.future.set_result(SKIPPED)
                    continue
                try:
                    pending_key = self.inner.batch_key(pending.request)
                except Exception as exc:  # a bad request (unknown language) fails alone
                    if pending.future.set_running_or_notify_cancel():
                        pending.future.set_exception(exc)
                    continue
                if batch and (pending_key != key or not _fits(batch, pending)):
                    kept.append(pending)
                    continue
                if pending.future.set_running_or_notify_cancel():
                    key = pending_key
                    batch.append(pending)
            for pending in kept:
                heapq.heappush(self._heap, pending)
            if batch:
                self._running += 1
            return batch

    def _decode(self, batch: Sequence[_Pending]) -> None:
        try:
            if len(batch) == 1:  # the unbatched path: no padding to anyone's length
                results = [self.inner.recognize(batch[0].audio, batch[0].request)]
            else:
                results = self.inner.recognize_batch(
                    [p.audio for p in batch], [p.request for p in batch]
                )
            if len(results) != len(batch):
                raise RuntimeError(f"{len(results)} recognitions for {len(batch)} utterances")
        except Exception as exc:  # retried one by one, so that only the culprit fails
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            for pending in batch:
                self._decode([pending])
            return
        with self._ready:
            self.stats.batches += 1
            self.stats.decoded += len(batch)
            self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        for pending, result in zip(batch, results, strict=True):
            pending.future.set_result(result)


# Every utterance of a batch is padded to the longest: a 1 s partial decoded beside a 12 s
# final costs the encoder twelve times its own length. A companion joins only while the
# padding stays under this share of the audio actually decoded.
_MAX_PADDING_SHARE = 0.5


def _window(pending: _Pending) -> float:
    return len(pending.audio) / SAMPLE_RATE + pending.request.window_padding_s


def _fits(batch: Sequence[_Pending], candidate: _Pending) -> bool:
    windows = [*map(_window, batch), _window(candidate)]
    padded = max(windows) * len(windows)
    return padded - sum(windows) <= _MAX_PADDING_SHARE * sum(windows)
