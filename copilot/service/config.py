"""Options of the live service (``COPILOT_SERVICE__*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from copilot.service.ratelimit import RateLimits


class LearningConfig(BaseModel):
    """Organisations' own models and LLM adjudication (``COPILOT_SERVICE__LEARNING__*``;
    docs/learning.md)."""

    model_config = ConfigDict(extra="forbid")

    # Where ``copilot train --org`` writes and the service reads orgs' models; default
    # ``<data home>/org_models``.
    org_models_dir: Path | None = None
    # The shipped corpus an org's model is trained on together with its own examples.
    corpus_dir: Path = Path("corpus")
    # Retrain an org's model in the background after this many new labels (0: never).
    retrain_after: int = Field(default=25, ge=0)
    # Ask the LLM of ``insights.llm`` to confirm or reject the model's finds.
    adjudicate: bool = False


class ClusterConfig(BaseModel):
    """Several instances on one database (``COPILOT_SERVICE__CLUSTER__*``; docs/instances.md)."""

    model_config = ConfigDict(extra="forbid")

    # How call events and org cache changes reach the other instances: "auto" is
    # "postgres" (LISTEN/NOTIFY on the service's own database) on PostgreSQL, else "local"
    # (this process only, as a single instance needs).
    bus: Literal["auto", "local", "postgres"] = "auto"
    # This instance's id in ``service_instances`` (default: a new random one per start).
    instance_id: str | None = Field(default=None, pattern=r"^[a-zA-Z0-9_-]{1,32}$")
    # How often this instance writes its heartbeat.
    heartbeat_s: float = Field(default=5.0, gt=0)
    # A call whose instance's heartbeat is older than this is taken over by the instance
    # its audio socket reconnects to; younger, that instance refuses it (close 4421).
    owner_stale_s: float = Field(default=15.0, gt=0)


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    # Model replicas decoding at the same time (CTranslate2 inter-op workers; one copy of the
    # weights), each with asr_threads_per_worker threads; this replaces
    # speech.model.cpu_threads and num_workers in the service. With batching on
    # (speech.batch, the default) the utterances of all calls are decoded together on these
    # replicas plus one kept for finals; with it off each of asr_workers threads decodes one
    # call's audio at a time. Two single-threaded replicas measured best on 2 cores
    # (bench.service, docs/throughput.md).
    asr_workers: int = Field(default=2, ge=1, le=64)
    asr_threads_per_worker: int = Field(default=1, ge=1, le=64)
    # Beyond this much audio waiting for recognition a call stops getting partials.
    max_lag_s: float = Field(default=2.0, gt=0)
    # Pacing of a live socket (copilot/service/pacing.py): audio is read at most this many
    # times faster than real time, after a burst of audio_burst_s; beyond, the server stops
    # reading and TCP flow control holds the client back. Files go to POST /v1/calls.
    max_audio_speed: float = Field(default=1.5, ge=1.0)
    audio_burst_s: float = Field(default=5.0, ge=0)
    # Audio queued for recognition per call is bounded: past this, reading stops too until
    # recognition catches up (memory stays bounded when the CPU is the bottleneck).
    max_queued_audio_s: float = Field(default=20.0, gt=0)
    # How often writes the database refused are retried (copilot/service/write_buffer.py).
    store_retry_s: float = Field(default=1.0, gt=0)
    max_live_calls: int = Field(default=32, ge=1)
    # Largest recording accepted by POST /v1/calls.
    max_upload_mb: int = Field(default=200, ge=1)
    # Longest recording analysed, unless the organisation's policy sets its own
    # ``max_upload_minutes``: a few MB of compressed silence can hold a day of audio.
    max_upload_minutes: int = Field(default=240, ge=1)
    # Where uploads wait for analysis (kept across a restart, which resumes them);
    # default ``<data home>/uploads``.
    upload_dir: Path | None = None
    # Largest JSON text message on a WebSocket or body of a scan/suggest request.
    max_text_bytes: int = Field(default=256_000, ge=1024)
    # POST /v1/compliance/scan/batch: at most this many messages, and this much text in all
    # (each message also within max_text_bytes).
    max_scan_batch: int = Field(default=500, ge=1, le=10_000)
    max_batch_bytes: int = Field(default=4_000_000, ge=1024)
    # Origins allowed to call the HTTP API from a browser (the extension's origin).
    cors_origins: list[str] = Field(default_factory=lambda: ["chrome-extension://*"])
    # Load the Whisper model at start-up (False: on the first call, e.g. for tests that
    # never stream audio).
    preload_speech: bool = True
    # Per caller and action, in this process: 429 with Retry-After past them.
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    # GET /metrics (Prometheus): with a token, only ``Authorization: Bearer <token>``; without
    # one, only from loopback and never through a proxy (docs/deploy.md).
    metrics_token: SecretStr | None = None
    # "human" (uvicorn's lines) or "json" (one object per line, copilot/service/logs.py).
    log_format: Literal["human", "json"] = "human"
    learning: LearningConfig = Field(default_factory=LearningConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
