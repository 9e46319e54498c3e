"""``copilot extract``: budget, decision chain, pain points, objections, competitors and
commitments from what a customer said (CONTRACT.md ``Insights``)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.markup import escape

from copilot.commands.common import UserError, err, out, print_json_line, read_jsonl, user_errors
from copilot.insights import InsightConfig, InsightExtractor, build_extractor
from copilot.insights.errors import InsightError
from copilot.insights.models import Speaker
from copilot.settings import get_settings

if TYPE_CHECKING:  # the models load only when a command uses them
    from copilot.learning import Models

SPEAKERS = ("customer", "rep", "unknown")

# Shared by extract, scan and analyze: the service's combination unless asked otherwise.
RulesOnlyOpt = Annotated[
    bool,
    typer.Option(
        "--rules-only", help="Rules alone, without the learned model (as before it, to compare)."
    ),
]


def insight_config() -> InsightConfig:
    return get_settings().insights


def learned_models() -> Models:
    """The shipped models; a side whose artefact is missing or damaged is one warning line
    on stderr (printed here rather than logged, so it shows once, in the command's words)."""
    from copilot.learning import bundled_models

    runtime_log = logging.getLogger("copilot.learning.runtime")
    muted, runtime_log.disabled = runtime_log.disabled, True
    try:
        models = bundled_models()
    finally:
        runtime_log.disabled = muted
    for problem in models.problems:
        err.print(f"[yellow]warning:[/yellow] {escape(problem)}")
    return models


def insight_extractor(config: InsightConfig, rules_only: bool = False) -> InsightExtractor:
    """The configured extractor with the shipped customer model beside it, as the service
    runs it (the rules alone when ``rules_only`` or when the artefact is missing)."""
    from copilot.learning import assisted_extractor

    rules = build_extractor(config)
    if rules_only:
        return rules
    models = learned_models()
    return assisted_extractor(rules, models.customer, roles=models.roles)


def extract(
    text: Annotated[
        str | None,
        typer.Argument(help="What was said; '-' reads it from stdin.", show_default=False),
    ] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option("--jsonl", help='File of {"id", "text"} lines: one Insights line each.'),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the CONTRACT JSON.")] = False,
    speaker: Annotated[
        str, typer.Option(help="Who said it: customer, rep (commitments only) or unknown.")
    ] = "customer",
    rules_only: RulesOnlyOpt = False,
) -> None:
    """Extract insights from one utterance, or from every line of a JSONL file."""
    with user_errors(InsightError, OSError):
        if speaker not in SPEAKERS:
            raise UserError(f"--speaker must be one of {', '.join(SPEAKERS)}, not {speaker!r}")
        if (text is None) == (jsonl is None):
            raise UserError("give either TEXT or --jsonl FILE")
        config = insight_config()
        extractor = insight_extractor(config, rules_only)
        who = cast(Speaker, speaker)
        if jsonl is not None:
            failed = _extract_lines(extractor, jsonl, who)
            if failed:
                raise UserError(f"{failed} line(s) of {jsonl} could not be read; see their 'error'")
            return
        said = sys.stdin.read() if text == "-" else cast(str, text)
        if len(said) > config.max_chars:
            err.print(f"note: the text was cut to {config.max_chars} characters before reading")
        insights = extractor.extract(said, speaker=who)
    if as_json:
        print(insights.model_dump_json())
    else:
        out.print(str(insights), markup=False)


def _extract_lines(extractor: InsightExtractor, path: Path, speaker: Speaker) -> int:
    """Print one record per input line; return how many lines were bad."""
    failed = 0
    for item in read_jsonl(path):
        if item.error is not None or item.text is None:
            failed += 1
            print_json_line({"id": item.id, "error": item.error or "missing text"})
            continue
        utterance_id = None if item.id is None else str(item.id)
        try:
            insights = extractor.extract(item.text, speaker=speaker, utterance_id=utterance_id)
        except InsightError as exc:
            failed += 1
            print_json_line({"id": item.id, "error": f"line {item.line_no}: {exc}"})
            continue
        print_json_line({"id": item.id, **insights.model_dump(mode="json")})
    return failed


def register(app: typer.Typer) -> None:
    app.command()(extract)
