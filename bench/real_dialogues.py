"""Every compliance flag raised on real customer-service talk (``shared/real/dialogues.jsonl``:
China Mobile call-centre transcripts and Taobao chats), for a person to judge one by one.

    .venv/bin/python -m bench.real_dialogues [--rules-only]

Every line is scanned, as the product scans what a rep says or sends (the agent's lines are
the rep's); customers' lines are listed too because a flag there would be a false alarm of a
different kind. Prints one row per flag: id, speaker, source (rule or model), category,
matched words, and the line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from compliance import Scanner
from copilot.learning.combine import assisted_scanner
from copilot.learning.runtime import bundled_models
from copilot.settings import get_settings

DIALOGUES = Path(__file__).resolve().parents[2] / "shared" / "real" / "dialogues.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DIALOGUES)
    parser.add_argument("--rules-only", action="store_true")
    args = parser.parse_args()
    rules = Scanner(get_settings().compliance)
    scanner = rules if args.rules_only else assisted_scanner(rules, bundled_models().rep)
    rows = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line]
    table = Table(title=f"flags on {args.file.name} ({len(rows)} lines)")
    for column in ("id", "speaker", "source", "category", "match", "text"):
        table.add_column(column, overflow="fold")
    flagged = 0
    for row in rows:
        flags = scanner.scan(row["text"]).flags
        flagged += bool(flags)
        for flag in flags:
            table.add_row(
                row["id"], row["speaker"], flag.source, flag.category, flag.match, row["text"]
            )
    Console(width=200).print(table)
    print(f"{flagged} of {len(rows)} lines flagged")


if __name__ == "__main__":
    main()
