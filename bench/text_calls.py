"""Decision makers and budgets of whole calls written as text: what the engines find before
any hearing loss.

    .venv/bin/python -m bench.text_calls [--misses]

``bench/data/text_calls/calls.json`` holds twenty calls written blind (DATASHEET there), each
with the decision makers the customer names and the budget said, or none. A decision maker
counts when a reported name holds the gold one or the reverse (as ``bench.heard_calls``
scores); a budget when the call's budget overlaps the gold range; a call without a budget
when none is reported.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.heard_calls import Tally, analyser

DATA = Path(__file__).resolve().parent / "data" / "text_calls" / "calls.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=Path, default=DATA)
    parser.add_argument("--misses", action="store_true", help="list what was missed")
    args = parser.parse_args()
    analyse = analyser(correction=False)
    decision, budget, no_budget = Tally(), Tally(), Tally()
    misses: list[str] = []
    for call in json.loads(args.calls.read_text(encoding="utf-8")):
        summary = analyse(None, call)  # the script's turns: perfect hearing
        names = [p.name for p in summary.decision_chain if p.name]
        for person in call["gold"]["decision"]:
            hit = any(name in person or person in name for name in names)
            decision.add(hit)
            if not hit:
                misses.append(f"{call['id']} decision {person}: found {names}")
        gold, found = call["gold"]["budget"], summary.budget
        if gold:
            low, high = gold
            hit = found is not None and found.estimate_min <= high and found.estimate_max >= low
            budget.add(hit)
            if not hit:
                misses.append(f"{call['id']} budget {gold}: found {found}")
        else:
            no_budget.add(found is None)
            if found is not None:
                misses.append(f"{call['id']} no budget: found {found}")
    table = Table(title=f"{args.calls.parent.name}: whole calls as text")
    table.add_column("measure")
    table.add_column("score", justify="right")
    table.add_row("decision-maker recall", str(decision))
    table.add_row("budget found", str(budget))
    table.add_row("no budget where none was said", str(no_budget))
    console = Console()
    console.print(table)
    if args.misses:
        for line in misses:
            console.print(line)


if __name__ == "__main__":
    main()
