"""Options of the live service (``COPILOT_SERVICE__*``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    # Threads running recognition and analysis for all calls. The Whisper weights are
    # shared; each worker decodes one call's audio at a time, on its own model replica with
    # asr_threads_per_worker threads (this replaces speech.model.cpu_threads and
    # num_workers in the service). Two single-threaded decodes at once kept 4 real-time
    # stereo calls within the latency targets on 2 cores, where one two-threaded decode at
    # a time fell behind (bench.service).
    asr_workers: int = Field(default=2, ge=1, le=64)
    asr_threads_per_worker: int = Field(default=1, ge=1, le=64)
    # Beyond this much audio waiting for recognition a call stops getting partials.
    max_lag_s: float = Field(default=2.0, gt=0)
    max_live_calls: int = Field(default=32, ge=1)
    # Largest recording accepted by POST /v1/calls.
    max_upload_mb: int = Field(default=200, ge=1)
    # Largest JSON text message on a WebSocket or body of a scan/suggest request.
    max_text_bytes: int = Field(default=256_000, ge=1024)
    # Origins allowed to call the HTTP API from a browser (the extension's origin).
    cors_origins: list[str] = Field(default_factory=lambda: ["chrome-extension://*"])
    # Load the Whisper model at start-up (False: on the first call, e.g. for tests that
    # never stream audio).
    preload_speech: bool = True
