"""Recordings uploaded for analysis: received as a stream straight into the data directory,
never held in memory or in a temp file first, and kept there until analysed so that a
restart can resume them.

Layout of the upload directory (0700, files 0600): ``<call id><suffix>.part`` while a body
is being received, ``<call id><suffix>`` once its call exists and it waits for (or is in)
analysis. Anything else found at start-up is an orphan of a crash.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from copilot.service.deps import ApiError
from copilot.store.db import data_home
from speech.audio import AudioTooLongError, open_audio
from speech.errors import SpeechError

PART = ".part"
_FLUSH_BYTES = 1 << 20
# Room for the multipart framing and a few small fields around the file itself.
_FRAMING_BYTES = 64 * 1024
_MAX_PARTS = 5
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


def upload_dir(configured: Path | None) -> Path:
    return configured if configured is not None else data_home() / "uploads"


class UploadStore:
    """The directory holding uploads that wait for analysis."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o700)  # mkdir's mode is masked by the umask, and may predate us

    def part_path(self, call_id: str, filename: str) -> Path:
        suffix = Path(filename).suffix
        return self.root / f"{call_id}{suffix if _SUFFIX.match(suffix) else ''}{PART}"

    def commit(self, part: Path) -> Path:
        """The upload is complete and its call exists: from now on a restart resumes it."""
        done = part.with_name(part.name.removesuffix(PART))
        part.rename(done)
        return done

    def find(self, call_id: str) -> Path | None:
        """The complete upload of a call, if any."""
        for path in self.root.glob(f"{call_id}*"):
            if path.name.split(".")[0] == call_id and not path.name.endswith(PART):
                return path
        return None

    def files(self) -> list[Path]:
        return [p for p in self.root.iterdir() if p.is_file()] if self.root.is_dir() else []


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)


@dataclass
class ReceivedUpload:
    path: Path
    size: int


# The small text fields an upload may carry beside the recording (customer_name, the CRM
# identity's ids); anything longer is refused rather than read into memory.
MAX_FIELD_BYTES = 1000


class _Receiver:
    """python-multipart callbacks: the ``file`` part goes to a file, counted; other fields
    are kept as short texts. Data is queued here and written by :func:`receive` off the
    event loop."""

    def __init__(self) -> None:
        self.parts = 0
        self.header_name = b""
        self.header_value = b""
        self.disposition = b""
        self.in_file = False
        self.filename: str | None = None
        self.pending = bytearray()
        self.file_bytes = 0
        self.field: str | None = None
        self.fields: dict[str, bytearray] = {}

    def on_part_begin(self) -> None:
        self.parts += 1
        self.disposition, self.in_file, self.field = b"", False, None
        if self.parts > _MAX_PARTS:
            raise ApiError(422, "invalid_body", f"at most {_MAX_PARTS} multipart fields")

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        if options.get(b"name") == b"file":
            if self.filename is not None:
                raise ApiError(422, "invalid_body", "send one recording per request")
            self.in_file = True
            self.filename = options.get(b"filename", b"upload").decode("utf-8", "replace")
        elif options.get(b"name"):
            self.field = options[b"name"].decode("utf-8", "replace")
            self.fields[self.field] = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.pending += data[start:end]
            self.file_bytes += end - start
        elif self.field is not None:
            value = self.fields[self.field]
            value += data[start:end]
            if len(value) > MAX_FIELD_BYTES:
                raise ApiError(
                    422, "invalid_body", f"field {self.field!r} is over {MAX_FIELD_BYTES} bytes"
                )

    def text_fields(self) -> dict[str, str]:
        return {name: bytes(v).decode("utf-8", "replace") for name, v in self.fields.items()}


class Received(NamedTuple):
    path: Path
    fields: dict[str, str]  # the upload's other multipart fields, as text


async def receive(request: Request, store: UploadStore, call_id: str, limit: int) -> Received:
    """Stream the multipart body's ``file`` field into ``<call id>.part``, refusing with
    413 as soon as it passes ``limit`` bytes: no more than the limit is ever written, and
    nothing is left behind when the upload is refused or the client goes away."""
    too_large = ApiError(413, "too_large", f"the recording is over {limit // (1024 * 1024)} MB")
    if int(request.headers.get("content-length") or 0) > limit + _FRAMING_BYTES:
        raise too_large
    _, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if not boundary:
        raise ApiError(422, "invalid_body", "the multipart body has no boundary")
    state = _Receiver()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": state.on_part_begin,
            "on_header_field": state.on_header_field,
            "on_header_value": state.on_header_value,
            "on_header_end": state.on_header_end,
            "on_headers_finished": state.on_headers_finished,
            "on_part_data": state.on_part_data,
        },
    )
    await asyncio.to_thread(store.ensure)
    path: Path | None = None
    handle: int | None = None
    body_bytes = 0
    try:
        async for chunk in request.stream():
            body_bytes += len(chunk)
            if body_bytes > limit + _FRAMING_BYTES:
                raise too_large
            parser.write(chunk)
            if state.file_bytes > limit:
                raise too_large
            if state.filename is not None and handle is None:
                path = store.part_path(call_id, state.filename)
                handle = await asyncio.to_thread(_create_private, path)
            if handle is not None and len(state.pending) >= _FLUSH_BYTES:
                await asyncio.to_thread(_write_all, handle, bytes(state.pending))
                state.pending.clear()
        parser.finalize()
        if handle is not None and state.pending:
            await asyncio.to_thread(_write_all, handle, bytes(state.pending))
    except FormParserError as exc:
        await _abandon(handle, path)
        raise ApiError(422, "invalid_body", f"malformed multipart body: {exc}") from exc
    except BaseException:  # refused, client gone, disk full, cancelled: leave nothing
        await _abandon(handle, path)
        raise
    if handle is not None:
        await asyncio.to_thread(os.close, handle)
    if path is None:
        raise ApiError(422, "invalid_body", "multipart field 'file' with the recording is missing")
    if state.file_bytes == 0:
        await asyncio.to_thread(discard, path)
        raise ApiError(422, "empty_file", "the uploaded file is empty")
    return Received(path, state.text_fields())


def _write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


def _create_private(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)


async def _abandon(handle: int | None, path: Path | None) -> None:
    if handle is not None:
        await asyncio.to_thread(os.close, handle)
    if path is not None:
        await asyncio.to_thread(discard, path)


def check_declared_length(path: Path, max_s: float) -> None:
    """Refuse a recording whose container declares more than ``max_s`` seconds
    (:class:`AudioTooLongError`) without decoding it. Unreadable audio is not judged
    here: it fails its call later, with the reason, like any other analysis failure."""
    try:
        open_audio(path, max_duration_s=max_s).close()
    except AudioTooLongError:
        raise
    except SpeechError:
        pass
