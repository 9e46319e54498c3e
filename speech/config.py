"""Configuration models of the speech library.

The service embeds these in its settings (``copilot.settings``); a notebook can build them
directly. ``extra="forbid"`` everywhere so that a misspelt option fails at start-up.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from speech.types import Speaker


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelConfig(_Options):
    """Which recognition backend and weights to load."""

    backend: str = "faster-whisper"
    # "bundled" (the Whisper base packages installed with the project), a directory with a
    # converted model, or a faster-whisper size name such as "small" (downloads: needs
    # allow_download and internet access).
    model: str = "bundled"
    allow_download: bool = False
    cache_dir: Path = Field(default_factory=lambda: Path.home() / ".cache" / "sales-copilot")
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = Field(default=2, ge=1)
    # Model replicas that decode at the same time (CTranslate2 inter-op workers), for a
    # server with several calls; each uses cpu_threads threads. One copy of the weights.
    num_workers: int = Field(default=1, ge=1, le=16)


class DecodeConfig(_Options):
    """How one utterance is decoded."""

    language: str = "zh"
    # For finals; partials are always greedy. Against greedy, beam 3 cuts CER on the real
    # clips from 0.201 to 0.186 for ~30% more compute; beam 5 gains nothing more
    # (docs/decoding.md).
    beam_size: int = Field(default=3, ge=1, le=10)
    # A sentence put before the prompt. None by default: 「以下是普通话的销售电话对话。」 made
    # Whisper stop after the first sentence of longer utterances (real-clip CER 0.254 against
    # 0.186 without); the call's terms alone do better on calls (docs/decoding.md).
    initial_prompt: str = ""
    hotwords: list[str] = Field(default_factory=list)
    # A final whose text has an amount in digits that a spoken range would give (a digit
    # then the next one: 2300万, 450万, 12030万) is decoded again with amounts in Chinese
    # numerals (such as 三十来万, 两三百万, 四五十万) after the prompt's terms: Whisper
    # copies the prompt's style, so a range said 两三百万, first written 2300万 (which reads
    # as 两千三百万), comes out as said. Empty turns it off. Measured in docs/decoding.md:
    # decoding every amount in digits again lost the dev calls a budget each (九十万一,
    # 三十万人); amounts that cannot be ranges now keep their first text.
    amount_examples: list[str] = Field(default_factory=lambda: ["三十来万", "两三百万", "四五十万"])
    # Audio of silence appended after the utterance before it is encoded. Whisper is trained
    # on 30 s windows; decoding a short window is ~4x faster and, with this little tail of
    # silence, as accurate on our calls.
    window_padding_s: float = Field(default=1.0, ge=0.0, le=30.0)
    # Drop a decode whose no-speech probability is above this while its mean log
    # probability is below log_prob_threshold (Whisper's own hallucination guard).
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0
    # The call's recent finals (both parties, most recent last) put after the prompt of a
    # final, at most this many characters; 0 turns it off. Partials never get them. Off by
    # default: with Whisper base it did not lower CER on our calls and cost decode time.
    context_chars: int = Field(default=0, ge=0, le=200)
    # Only finals decoded at least this confidently are fed to later prompts, so a
    # misheard turn does not bias the next ones.
    context_min_logprob: float = -0.8
    # Re-decode a final by sampling at these temperatures, in order, while the text looks
    # like a loop (compression ratio above the threshold) or the model was unsure (mean log
    # probability below log_prob_threshold); the most confident try wins. Empty: off, as
    # measured it changed nothing once the prompt sentence was gone.
    fallback_temperatures: tuple[float, ...] = ()
    compression_ratio_threshold: float = 2.4


class EndpointConfig(_Options):
    """When speech starts, when it ends, and how often provisional text is produced."""

    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    # Hysteresis: once speaking, only probabilities below this count as silence.
    neg_threshold: float = Field(default=0.35, gt=0.0, lt=1.0)
    min_speech_ms: int = Field(default=250, ge=0)
    # Long enough to bridge the pause at a comma (up to ~0.6 s in our calls), short enough
    # that the final still lands within a second of the speaker stopping.
    min_silence_ms: int = Field(default=650, ge=64)
    # Context decoded around the speech: Whisper drops first and last syllables without it.
    pre_roll_ms: int = Field(default=300, ge=0)
    post_roll_ms: int = Field(default=300, ge=0)
    # Leaves room for the decode itself so that text updates at least once a second.
    partial_interval_s: float = Field(default=0.6, gt=0.0)
    # A monologue longer than this is committed in pieces, cut at its quietest moment.
    max_segment_s: float = Field(default=15.0, ge=3.0, le=28.0)

    @model_validator(mode="after")
    def _check_thresholds(self) -> EndpointConfig:
        if self.neg_threshold > self.threshold:
            raise ValueError("neg_threshold must not exceed threshold")
        if self.post_roll_ms > self.min_silence_ms:
            raise ValueError("post_roll_ms must not exceed min_silence_ms")
        return self


class BatchConfig(_Options):
    """Decoding the utterances of all live calls together (speech/batching.py,
    docs/throughput.md)."""

    # Off: every caller decodes on its own thread, as before batching.
    enabled: bool = True
    # One more model replica (and decoder) than model.num_workers, that decodes finals
    # only: a final never waits for a batch of partials. 8 calls on 2 cores: final p95
    # 1.25 s with it, 1.55 s without (docs/throughput.md).
    final_decoder: bool = True
    # Most utterances in one model call; on a GPU raise it (32–64).
    max_batch: int = Field(default=8, ge=1, le=256)
    # How long a free decoder waits for more requests before starting a batch.
    window_ms: float = Field(default=5.0, ge=0.0, le=200.0)
    # A partial that waited this long for the decoder is dropped: its audio is already
    # stale and the next partial (or the final) replaces it. Keeps finals on time.
    stale_partial_s: float = Field(default=0.8, gt=0.0)
    # Finals waiting: with this many or more queued, new partials are not decoded at all
    # until the queue drains (the partial cadence stretches under load).
    shed_partials_at: int = Field(default=8, ge=1)


class SpeechConfig(_Options):
    """Everything the speech library needs."""

    model: ModelConfig = Field(default_factory=ModelConfig)
    decode: DecodeConfig = Field(default_factory=DecodeConfig)
    endpoint: EndpointConfig = Field(default_factory=EndpointConfig)
    batch: BatchConfig = Field(default_factory=BatchConfig)
    # Stereo recordings: who speaks on the left and on the right channel.
    channel_map: tuple[Speaker, Speaker] = ("rep", "customer")
    # Domain-aware correction of recognised text (speech/correction): on unless a deployment
    # wants the recogniser's words untouched (a benchmark's "before", an audit).
    correction: bool = True
