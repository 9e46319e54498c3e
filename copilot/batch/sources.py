"""What a batch analyses: the recordings of a folder, or the rows of a manifest.

A manifest is CSV (with a header) or JSON Lines; each row names a recording and, optionally,
whom it belongs to::

    path,customer_name,rep,org
    calls/0001.wav,华东机械,rep@acme.example,acme

``path`` is relative to the manifest's folder unless absolute; ``rep`` is a user id or email
(``rep_email`` and ``rep_id`` are read as well); ``org`` an org id or name. Missing values
fall back to the command's ``--rep`` / ``--org``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from copilot.store.unstorable import unstorable

# Everything PyAV decodes that call recorders write; other files in a folder are not calls.
AUDIO_SUFFIXES = frozenset(
    {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".opus", ".amr", ".webm", ".wma"}
)
MANIFEST_SUFFIXES = frozenset({".csv", ".jsonl", ".ndjson"})


class SourceError(Exception):
    """A folder or manifest that cannot be read; the message says what to fix."""


class Recording(BaseModel):
    """One row of a source: a recording and, where the manifest says, whose it is."""

    model_config = ConfigDict(extra="ignore")

    path: Path
    customer_name: str = ""
    rep: str | None = None
    org: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, row: object) -> object:
        # What is kept is stored with the call (PostgreSQL's text cannot hold NUL).
        kept = (
            {k: v for k, v in row.items() if k in cls.model_fields}
            if isinstance(row, dict)
            else row
        )
        bad = unstorable(kept)
        if bad is not None:
            raise ValueError(bad)
        return row

    @field_validator("customer_name", mode="before")
    @classmethod
    def _blank_name(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("rep", "org", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def read_source(source: Path) -> list[Recording]:
    """The recordings of a folder (audio files under it, sorted) or of a manifest."""
    if source.is_dir():
        return [
            Recording(path=path.resolve())
            for path in sorted(source.rglob("*"))
            if path.is_file() and path.suffix.lower() in AUDIO_SUFFIXES
        ]
    if not source.is_file():
        raise SourceError(f"{source}: no such folder or manifest")
    suffix = source.suffix.lower()
    if suffix not in MANIFEST_SUFFIXES:
        raise SourceError(f"{source}: a manifest is .csv or .jsonl (or give a folder)")
    rows = _csv_rows(source) if suffix == ".csv" else _jsonl_rows(source)
    recordings = []
    for number, row in rows:
        row = _aliases(row)
        try:
            recording = Recording.model_validate(row)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])  # none: the row's own check
            message = problem["msg"].removeprefix("Value error, ")
            named = f"{where}: {message}" if where else message
            raise SourceError(f"{source}: row {number}: {named}") from exc
        if not recording.path.is_absolute():
            recording.path = source.parent / recording.path
        recording.path = recording.path.resolve()
        recordings.append(recording)
    return recordings


def _aliases(row: dict[str, object]) -> dict[str, object]:
    """Accept the names a CRM export is likely to use for the same columns."""
    out = {k.strip().lower(): v for k, v in row.items() if isinstance(k, str)}
    for alias, name in (
        ("customer", "customer_name"),
        ("rep_email", "rep"),
        ("rep_id", "rep"),
        ("org_id", "org"),
    ):
        if out.get(alias) not in (None, "") and out.get(name) in (None, ""):
            out[name] = out[alias]
    return out


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "path" not in [
                f.strip().lower() for f in reader.fieldnames
            ]:
                raise SourceError(f"{path}: the CSV header must name a 'path' column")
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text: {exc}") from exc
    for number, row in enumerate(rows, 2):  # line 1 is the header
        yield number, dict(row)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{path}: line {number}: not JSON: {exc.msg}") from exc
        if not isinstance(row, dict):
            raise SourceError(f'{path}: line {number}: expected {{"path": …}}')
        yield number, row


def content_hash(path: Path) -> str:
    """sha256 of the file's bytes: the same recording under another name is the same call."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
