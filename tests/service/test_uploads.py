"""Recordings uploaded for analysis: length and size limits refused early, bad audio failed
with its reason, and uploads that outlive a crash resumed or failed at start-up."""

from __future__ import annotations

import shutil
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from copilot.commands.service import running_service
from copilot.service.pipeline import Engines
from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from copilot.store.tenants import DEMO_ORG_ID, DEMO_REP_ID
from speech.engine import SpeechEngine
from tests.service.conftest import Service, service_settings
from tests.speech.test_chunked_decode import write_flac

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    return tmp_path / "uploads"


@pytest.fixture
def small_service(
    db_url: str, engines: Engines, speech_engine: SpeechEngine, uploads: Path
) -> Iterator[Service]:
    """A service taking at most 1 MB per upload, keeping uploads in a directory of the test."""
    settings = service_settings(db_url, upload_dir=uploads, max_upload_mb=1)
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        yield Service(url, key, settings)


def client(service: Service) -> httpx.Client:
    headers = {"Authorization": f"Bearer {service.rep_key}"}
    return httpx.Client(base_url=service.url, headers=headers, timeout=30)


def settled(http: httpx.Client, call_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while (call := http.get(f"/v1/calls/{call_id}").json())["status"] == "analysing":
        assert time.monotonic() < deadline, call
        time.sleep(0.1)
    return call  # type: ignore[no-any-return]


def files_in(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def set_policy(db_url: str, policy: dict[str, Any]) -> None:
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        org = repo.get_org(session, DEMO_ORG_ID)
        assert org is not None
        org.policy = policy
    engine.dispose()


def test_a_recording_longer_than_the_orgs_limit_is_refused(
    small_service: Service, db_url: str, uploads: Path, tmp_path: Path
) -> None:
    set_policy(db_url, {"max_upload_minutes": 1})
    declared = write_flac(tmp_path / "long.flac", 120)
    piped = write_flac(tmp_path / "piped.flac", 120, undeclared=True)
    with client(small_service) as http:
        started = time.monotonic()
        refused = http.post("/v1/calls", files={"file": ("long.flac", declared.read_bytes())})
        assert time.monotonic() - started < 5
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["code"] == "too_long"
        assert "2.0 min, more than the 1.0 min allowed" in error["message"]
        assert http.get("/v1/calls").json() == []
        # The length is not in the header: decoding stops at the limit and says why.
        accepted = http.post("/v1/calls", files={"file": ("piped.flac", piped.read_bytes())})
        assert accepted.status_code == 202
        call = settled(http, accepted.json()["call_id"])
    assert call["status"] == "failed"
    assert "more than the 1.0 min allowed" in call["error"], call
    assert str(uploads) not in call["error"]
    assert files_in(uploads) == []


def test_bad_audio_fails_with_its_reason_and_an_empty_file_is_refused(
    small_service: Service, uploads: Path
) -> None:
    with client(small_service) as http:
        broken = http.post("/v1/calls", files={"file": ("x.wav", b"RIFF....WAVEfmt nonsense")})
        assert broken.status_code == 202
        call = settled(http, broken.json()["call_id"])
        assert call["status"] == "failed"
        assert call["error"].startswith("not a readable audio file"), call
        empty = http.post("/v1/calls", files={"file": ("empty.wav", b"")})
        assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_file"
        missing = http.post("/v1/calls", files={"other": ("x.wav", b"RIFF")})
        assert missing.status_code == 422
        ok = http.post(
            "/v1/calls",
            files={"file": ("short.wav", (FIXTURES / "fx_short.mono.wav").read_bytes())},
        )
        assert settled(http, ok.json()["call_id"])["error"] is None
    assert files_in(uploads) == []


def test_an_oversized_chunked_upload_is_refused_at_the_limit(
    small_service: Service, uploads: Path
) -> None:
    """No content-length: the server must count, and answer 413 without waiting for the
    rest of the body (or writing it anywhere)."""
    limit, piece = 1024 * 1024, 64 * 1024
    parts = urlsplit(small_service.url)
    head = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="big.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n"
    )
    largest = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as sock:
        sock.sendall(
            (
                "POST /v1/calls HTTP/1.1\r\n"
                f"Host: {parts.netloc}\r\n"
                f"Authorization: Bearer {small_service.rep_key}\r\n"
                "Content-Type: multipart/form-data; boundary=b0undary\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        sock.sendall(_chunk(head))
        # The body would go on for 600 MiB; stop one piece past the limit, unfinished.
        for _ in range(limit // piece + 1):
            sock.sendall(_chunk(b"\0" * piece))
            time.sleep(0.005)
            for path in uploads.glob("*"):
                assert stat.S_IMODE(path.stat().st_mode) == 0o600
                largest = max(largest, path.stat().st_size)
        answer = sock.recv(65536).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert '"too_large"' in answer
    assert largest <= limit
    assert stat.S_IMODE(uploads.stat().st_mode) == 0o700
    assert files_in(uploads) == []


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_uploads_left_by_a_crash_are_resumed_or_failed_at_start_up(
    db_url: str, engines: Engines, speech_engine: SpeechEngine, uploads: Path
) -> None:
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        repo.ensure_demo_tenant(session)

        def call(source: str, status: str = "analysing") -> str:
            row = repo.create_call(
                session, org_id=DEMO_ORG_ID, rep_id=DEMO_REP_ID, source=source, status=status
            )
            return row.id

        resumable, half_received, scripted = call("upload"), call("upload"), call("transcript")
        finished = call("upload", "ended")
    engine.dispose()
    # What a crash leaves: a complete upload mid-analysis, one still being received, and
    # files whose calls are done or unknown.
    uploads.mkdir()
    shutil.copy(FIXTURES / "fx_short.stereo.wav", uploads / f"{resumable}.wav")
    (uploads / f"{half_received}.wav.part").write_bytes(b"RIFF")
    (uploads / f"{finished}.flac").write_bytes(b"fLaC")
    (uploads / "stray.mp3").write_bytes(b"ID3")
    settings = service_settings(db_url, upload_dir=uploads)
    with (
        running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key),
        client(Service(url, key, settings)) as http,
    ):
        done = settled(http, resumable)
        assert done["status"] == "ended" and done["error"] is None
        summary = http.get(f"/v1/calls/{resumable}/summary").json()
        assert {s["speaker"] for s in summary["transcript"]} == {"rep", "customer"}
        for lost in (half_received, scripted):
            failed = http.get(f"/v1/calls/{lost}").json()
            assert failed["status"] == "failed"
            assert "the service stopped" in failed["error"]
        assert http.get(f"/v1/calls/{finished}").json()["status"] == "ended"
        deadline = time.monotonic() + 10
        while files_in(uploads):
            assert time.monotonic() < deadline, files_in(uploads)
            time.sleep(0.1)
    assert stat.S_IMODE(uploads.stat().st_mode) == 0o700
