"""Correction of recognised text: its speed, and how often it changes text that was right.

``python -m bench.correction`` runs the corrector (sales vocabulary + the vendor catalogue)
over the labelled corpus lines that are correct human text (``corpus/customer``,
``corpus/rep``; lines marked ``"noise": "asr"`` left out): every change is a false
correction. It also times corrections of finals and partials (lines of 30–50 characters),
and of finals for an org with 900 terms of its own, and prints p50/p95.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.timing import percentile, pin_to_one_core
from copilot.engines import correction_lexicon
from copilot.settings import Settings
from speech.correction import Corrector, Term

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
TARGET_MS = 5.0  # what correction may add to a final (issue 13)


def clean_lines() -> list[str]:
    lines: list[str] = []
    for folder in ("customer", "rep"):
        for path in sorted((CORPUS / folder).glob("*.jsonl")):
            for raw in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(raw)
                if record.get("noise") != "asr" and record.get("text"):
                    lines.append(record["text"])
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", type=int, default=20, help="false corrections to print")
    args = parser.parse_args()
    print(pin_to_one_core())
    started = time.perf_counter()
    lexicon = correction_lexicon(Settings())
    corrector = Corrector(lexicon)
    print(f"lexicon: {len(lexicon.terms)} terms, built in {time.perf_counter() - started:.2f} s")

    lines = clean_lines()
    changed = []
    for line in lines:
        result = corrector.correct(line)
        if result.changed:
            changed.append(result)
    share = len(changed) / len(lines)
    print(f"false corrections: {len(changed)} of {len(lines)} correct lines ({share:.2%})")
    for result in changed[: args.show]:
        print("  ", result.raw_text)
        print("   ->", result.text, "  ", ", ".join(str(e) for e in result.edits))

    finals = [line for line in lines if 30 <= len(line) <= 50][:500]
    # An org that lists 900 products, customers and contacts of its own (`copilot vocab`).
    big = corrector.with_terms(Term(f"测试厂商{i}号", "vendor") for i in range(900))
    for name, engine, partial in (
        ("final", corrector, False),
        ("partial", corrector, True),
        ("final, 900 org terms", big, False),
    ):
        engine.correct(finals[0], partial=partial)  # the org's lexicon is built on first use
        timings = []
        for line in finals:
            t0 = time.perf_counter()
            engine.correct(line, partial=partial)
            timings.append((time.perf_counter() - t0) * 1000)
        p95 = percentile(timings, 95)
        verdict = "ok" if p95 <= TARGET_MS else "MISSED"
        print(
            f"{name}: {len(finals)} lines of 30-50 chars, p50 {percentile(timings, 50):.2f} ms, "
            f"p95 {p95:.2f} ms (target ≤ {TARGET_MS:g} ms: {verdict})"
        )


if __name__ == "__main__":
    main()
