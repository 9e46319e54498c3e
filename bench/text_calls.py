"""Decision makers and budgets of whole calls written as text: what the engines find before
any hearing loss.

    .venv/bin/python -m bench.text_calls [--misses]
    .venv/bin/python -m bench.text_calls --blind      # the held-out calls: scores only

``bench/data/text_calls/calls.json`` holds eighty calls written blind (DATASHEET there), each
with the decision makers the customer names and the budget said, or none. A decision maker
counts when a reported name holds the gold one or the reverse (as ``bench.heard_calls``
scores), and a reported name is right when it so matches one of the call's gold decision
makers; a budget when the call's budget overlaps the gold range; a call without a budget
when none is reported.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.heard_calls import Tally, analyser, same_person

DATA = Path(__file__).resolve().parent / "data" / "text_calls" / "calls.json"
# Never tuned on (DATASHEET there): its misses are not printed.
BLIND = Path(__file__).resolve().parent / "data" / "text_calls_blind" / "calls.json"


@dataclass
class TextCallScores:
    decision: Tally = field(default_factory=Tally)
    named_right: Tally = field(default_factory=Tally)
    budget: Tally = field(default_factory=Tally)
    no_budget: Tally = field(default_factory=Tally)
    misses: list[str] = field(default_factory=list)


def score_calls(calls: list[dict[str, Any]]) -> TextCallScores:
    """Decision makers and budgets the engines find in each call's script."""
    analyse = analyser(correction=False)
    scores = TextCallScores()
    for call in calls:
        summary, _ = analyse(None, call)  # the script's turns: perfect hearing
        names = [p.name for p in summary.decision_chain if p.name]
        for person in call["gold"]["decision"]:
            hit = any(same_person(name, person) for name in names)
            scores.decision.add(hit)
            if not hit:
                scores.misses.append(f"{call['id']} decision {person}: found {names}")
        for name in names:
            right = any(same_person(name, person) for person in call["gold"]["decision"])
            scores.named_right.add(right)
            if not right:
                scores.misses.append(f"{call['id']} named {name}: no gold decision maker")
        gold, found = call["gold"]["budget"], summary.budget
        if gold:
            low, high = gold
            hit = found is not None and found.estimate_min <= high and found.estimate_max >= low
            scores.budget.add(hit)
            if not hit:
                scores.misses.append(f"{call['id']} budget {gold}: found {found}")
        else:
            scores.no_budget.add(found is None)
            if found is not None:
                scores.misses.append(f"{call['id']} no budget: found {found}")
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=Path, default=DATA)
    parser.add_argument("--misses", action="store_true", help="list what was missed")
    parser.add_argument("--blind", action="store_true", help="the held-out calls, scores only")
    args = parser.parse_args()
    if args.blind:
        args.calls, args.misses = BLIND, False
    scores = score_calls(json.loads(args.calls.read_text(encoding="utf-8")))
    table = Table(title=f"{args.calls.parent.name}: whole calls as text")
    table.add_column("measure")
    table.add_column("score", justify="right")
    table.add_row("decision-maker recall", str(scores.decision))
    table.add_row("decision-maker names right", str(scores.named_right))
    table.add_row("budget found", str(scores.budget))
    table.add_row("no budget where none was said", str(scores.no_budget))
    console = Console()
    console.print(table)
    if args.misses:
        for line in scores.misses:
            console.print(line)


if __name__ == "__main__":
    main()
