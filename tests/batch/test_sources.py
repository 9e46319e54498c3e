"""Folders and manifests as batch sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.batch.sources import SourceError, read_source


def test_a_folder_gives_its_audio_files_sorted_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for name in ("b/2.mp3", "1.WAV", "notes.txt", "b/3.m4a"):
        (tmp_path / name).write_bytes(b"x")
    assert [r.path.relative_to(tmp_path).as_posix() for r in read_source(tmp_path)] == [
        "1.WAV",
        "b/2.mp3",
        "b/3.m4a",
    ]


def test_a_csv_manifest_reads_owners_with_their_usual_column_names(tmp_path: Path) -> None:
    manifest = tmp_path / "calls.csv"
    manifest.write_text(
        "Path,Customer,rep_email,org\ncalls/a.wav,华东机械,rep@demo.example,\n/abs/b.wav,,,acme\n",
        encoding="utf-8-sig",  # as Excel saves it
    )
    first, second = read_source(manifest)
    assert first.path == tmp_path / "calls" / "a.wav"
    assert (first.customer_name, first.rep, first.org) == ("华东机械", "rep@demo.example", None)
    assert second.path == Path("/abs/b.wav")
    assert (second.customer_name, second.rep, second.org) == ("", None, "acme")


def test_a_jsonl_manifest_and_its_errors_name_the_line(tmp_path: Path) -> None:
    manifest = tmp_path / "calls.jsonl"
    manifest.write_text('{"path": "a.wav", "customer_name": "甲", "rep_id": "u1"}\n\n')
    (recording,) = read_source(manifest)
    assert (recording.path, recording.customer_name, recording.rep) == (
        tmp_path / "a.wav",
        "甲",
        "u1",
    )
    manifest.write_text('{"path": "a.wav"}\n{"customer_name": "乙"}\n')
    with pytest.raises(SourceError, match="row 2: path"):
        read_source(manifest)
    manifest.write_text("not json\n")
    with pytest.raises(SourceError, match="line 1: not JSON"):
        read_source(manifest)


def test_a_csv_without_a_path_column_or_a_missing_source_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "calls.csv"
    manifest.write_text("file,customer\na.wav,甲\n")
    with pytest.raises(SourceError, match="'path' column"):
        read_source(manifest)
    with pytest.raises(SourceError, match="no such folder or manifest"):
        read_source(tmp_path / "missing")


def test_text_a_call_cannot_store_is_refused_with_its_row(tmp_path: Path) -> None:
    # Stored with the call: PostgreSQL's text cannot hold NUL, UTF-8 no lone surrogate.
    manifest = tmp_path / "calls.csv"
    manifest.write_text("path,customer,notes\na.wav,华东,\x00ok\nb.wav,华\x00东,\n")
    with pytest.raises(SourceError, match=r"row 3: customer_name: holds a NUL character"):
        read_source(manifest)  # row 2's NUL is in a column nobody keeps
    manifest = tmp_path / "calls.jsonl"
    manifest.write_text('{"path": "a.wav", "customer_name": "\\ud800甲"}\n')
    with pytest.raises(SourceError, match=r"row 1: customer_name: holds a lone UTF-16"):
        read_source(manifest)
