"""A run exported to CSV and to Parquet: one row per recording, the same values in both."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq

from copilot.batch.export import COLUMNS, export_rows, write_export
from copilot.batch.pools import InlinePool
from copilot.batch.runner import Owner, prepare, run_batch
from copilot.batch.sources import read_source
from speech.engine import SpeechEngine
from tests.batch.conftest import Store


def test_csv_and_parquet_exports_are_readable_and_equal(
    store: Store, recordings: Path, speech_engine: SpeechEngine, tmp_path: Path
) -> None:
    (recordings / "broken.wav").write_bytes(b"not audio")
    manifest = tmp_path / "calls.csv"
    manifest.write_text(
        "path,customer_name,rep\n"
        + "".join(
            f"{p},客户{n},rep@demo.example\n" for n, p in enumerate(sorted(recordings.iterdir()))
        )
    )
    run_id = prepare(store.sessions, manifest, read_source(manifest), Owner(), "test")
    run_batch(store.state, run_id, InlinePool(speech_engine))
    with store.sessions() as session:
        rows = export_rows(session, run_id)
    write_export(rows, tmp_path / "out.csv")
    write_export(rows, tmp_path / "out.parquet")

    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        from_csv = list(csv.DictReader(handle))
    from_parquet = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert list(from_csv[0]) == list(from_parquet[0]) == list(COLUMNS)
    assert from_csv == [
        {k: "" if v is None else str(v) for k, v in r.items()} for r in from_parquet
    ]

    by_file = {Path(r["path"]).name: r for r in from_parquet}
    assert by_file["broken.wav"]["status"] == "failed" and by_file["broken.wav"]["error"]
    assert by_file["broken.wav"]["customer_name"] == "客户0"
    analysed = [r for name, r in by_file.items() if name != "broken.wav"]
    assert {r["status"] for r in analysed} == {"done"}
    assert all(r["call_id"] and r["duration_s"] > 0 and r["summary_text"] for r in analysed)
    # What the fixture call says lands in its columns: the customer's budget (80万左右)
    # and the vendor they named, in the clip that holds that sentence.
    assert any(r["budget_min"] and r["budget_max"] for r in analysed)
    assert any(r["vendors"] for r in analysed)
    assert all(
        r["flags_total"]
        == sum(r[c] for c in COLUMNS if c.startswith("flags_") and c != "flags_total")
        for r in analysed
    )
