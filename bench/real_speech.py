"""Character error rate on real human speech, per tag, with and without correction.

    .venv/bin/python -m bench.real_speech [--telephone]

``../shared/real/speech.jsonl``: 35 clips from outside the project (AISHELL, WenetSpeech,
podcasts, a meeting, accents) with reference transcripts and tags. Each clip is recognised
as ``copilot transcribe`` does, once with the recogniser's words untouched and once with the
domain-aware correction (speech/correction, the vendor catalogue and sales vocabulary), and
scored per tag (a clip counts under each of its tags). ``--telephone`` also runs every clip
through the simulated telephone line of bench/telephone.py (simulated, not recorded).
Measured, never tuned on.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.heard_calls import settings_with, speech_stack
from bench.telephone import degrade, write_mulaw
from speech.audio import decode_file
from speech.normalize import edit_distance, normalize_for_scoring

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real"


def cer_by_tag(
    rows: list[dict], correction: bool, folder: Path | None
) -> dict[str, tuple[int, int]]:
    from copilot.engines import build_speech_engine

    settings = settings_with(correction)
    engine = build_speech_engine(settings)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        path = REAL / row["file"]
        if folder is not None:
            decoded = decode_file(path)
            path = folder / f"{row['id']}.phone.wav"
            if not path.exists():
                write_mulaw(path, degrade(decoded.samples.mean(axis=0, keepdims=True), 16_000))
        transcript = engine.transcribe_file(path, hotwords=settings.vocabulary.hotwords())
        said = normalize_for_scoring("".join(s.text for s in transcript.segments))
        reference = normalize_for_scoring(row["text"])
        edits = edit_distance(said, reference)
        for tag in ["all", *row.get("tags", [])]:
            totals[tag][0] += edits
            totals[tag][1] += len(reference)
    return {tag: (e, n) for tag, (e, n) in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--telephone", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in (REAL / "speech.jsonl").read_text().splitlines() if line]
    columns: dict[str, dict[str, tuple[int, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        variants = [("16 kHz", None)]
        if args.telephone:
            variants.append(("telephone (simulated)", Path(tmp)))
        for name, folder in variants:
            columns[f"{name}, raw"] = cer_by_tag(rows, False, folder)
            columns[f"{name}, corrected"] = cer_by_tag(rows, True, folder)
    table = Table(title=f"CER on {len(rows)} real clips (../shared/real/speech.jsonl), per tag")
    table.add_column("tag")
    table.add_column("chars", justify="right")
    for name in columns:
        table.add_column(name, justify="right")
    first = next(iter(columns.values()))
    for tag in sorted(first, key=lambda t: (t != "all", t)):
        cells = [f"{c[tag][0] / max(c[tag][1], 1):.3f}" for c in columns.values()]
        table.add_row(tag, str(first[tag][1]), *cells)
    table.caption = speech_stack()
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
