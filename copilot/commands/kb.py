"""``copilot kb validate|ingest|search`` and ``copilot suggest``: the knowledge base and live
suggestions on the command line (CONTRACT.md ``SuggestResult``)."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from copilot.commands.common import UserError, err, out, print_json_line, read_jsonl, user_errors
from copilot.insights import build_extractor
from copilot.insights.errors import InsightError
from copilot.settings import get_settings
from retrieval import Filters, RetrievalConfig, RetrievalError, Suggester, validate_kb
from retrieval.ingest import Progress as ProgressCallback
from retrieval.loader import kb_files

kb_app = typer.Typer(help="Validate, index and search the knowledge base.", no_args_is_help=True)

KbDirArg = Annotated[
    Path | None,
    typer.Argument(
        help="Knowledge-base directory (default: the configured one).", show_default=False
    ),
]
KbDirOpt = Annotated[
    Path | None,
    typer.Option("--kb-dir", help="Knowledge-base directory (default: the configured one)."),
]
KindOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--kind", help="Only this kind (script, case, battlecard, question, phrasing); repeatable."
    ),
]
IndustryOpt = Annotated[
    str | None, typer.Option("--industry", help="Entries for this industry, and general ones.")
]
ObjectionOpt = Annotated[
    str | None, typer.Option("--objection", help="Only entries tagged with this objection type.")
]
TierOpt = Annotated[
    str | None,
    typer.Option("--tier", help="Entries for this customer tier (smb, mid_market, enterprise)."),
]
KOpt = Annotated[int | None, typer.Option("-k", help="How many results.", min=1, max=50)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _config(kb_dir: Path | None) -> RetrievalConfig:
    config = get_settings().retrieval
    return config if kb_dir is None else config.model_copy(update={"kb_dir": kb_dir})


def _filters(
    kind: list[str] | None, industry: str | None, objection: str | None, tier: str | None
) -> Filters:
    try:
        return Filters.model_validate(
            {"kind": kind or None, "industry": industry, "objection": objection, "tier": tier}
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        option = str(error["loc"][0]) if error["loc"] else "filter"
        raise UserError(f"bad filter --{option}: {error['msg']}") from None


@contextmanager
def _progress(label: str) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr when it is a terminal; nothing in pipes and tests."""
    if not err.is_terminal:
        yield None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or 1)

        yield update


def _ready(suggester: Suggester) -> None:
    """Sync the index (embedding what changed, with a progress bar) and report an empty KB."""
    with warnings.catch_warnings(record=True) as caught, _progress("indexing knowledge base") as cb:
        warnings.simplefilter("always")
        suggester.ensure_ready(progress=cb)
    for warning in caught:
        err.print(f"[yellow]note:[/yellow] {warning.message}")


def _entry_files(directory: Path) -> list[Path]:
    """The folder's entry files; a folder with none is a mistaken path far more often than
    an empty knowledge base (and ingesting it would empty the index), so it is refused, as
    `copilot rules test` refuses a folder without rules."""
    files = kb_files(directory)
    if not files:
        raise UserError(f"{directory}: no knowledge-base files (*.yaml) in it; nothing changed")
    return files


@kb_app.command("validate")
def validate(kb_dir: KbDirArg = None, as_json: JsonOpt = False) -> None:
    """Check every KB file; list each problem as file:line: id: message. Exit 1 if any."""
    with user_errors(RetrievalError):
        directory = _config(kb_dir).kb_dir
        files = _entry_files(directory)
        problems = validate_kb(directory)
    if as_json:
        print(json.dumps([p.model_dump() for p in problems], ensure_ascii=False))
    else:
        for problem in problems:
            out.print(str(problem), markup=False)
        verdict = "[green]ok[/green]" if not problems else f"[red]{len(problems)} problem(s)[/red]"
        err.print(f"{verdict}: {len(files)} file(s) in {directory}")
    if problems:
        raise typer.Exit(1)


@kb_app.command("ingest")
def ingest(kb_dir: KbDirArg = None, as_json: JsonOpt = False) -> None:
    """Bring the vector index in line with the KB files (only changed entries are embedded)."""
    with user_errors(RetrievalError):
        config = _config(kb_dir)
        _entry_files(config.kb_dir)
        suggester = Suggester(config)
        _ready(suggester)
        report = suggester.last_ingest
    assert report is not None
    if as_json:
        print(report.model_dump_json())
    else:
        store = suggester.ensure_ready().store
        out.print(f"{report}  → {store.where}", markup=False)


@kb_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    kind: KindOpt = None,
    industry: IndustryOpt = None,
    objection: ObjectionOpt = None,
    tier: TierOpt = None,
    k: KOpt = None,
    kb_dir: KbDirOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search every kind of KB entry (hybrid BM25 + vector ranking)."""
    with user_errors(RetrievalError):
        filters = _filters(kind, industry, objection, tier)
        suggester = Suggester(_config(kb_dir))
        _ready(suggester)
        found = suggester.search(query, k=k, filters=filters)
    if as_json:
        print(json.dumps([s.model_dump() for s in found], ensure_ascii=False))
        return
    table = Table(title=f"「{query[:40]}」")
    for column in ("score", "kind", "id", "title"):
        table.add_column(column, no_wrap=column != "title")
    for item in found:
        table.add_row(f"{item.score:.2f}", item.kind, item.id, item.title)
    out.print(table)


def suggest(
    text: Annotated[
        str | None,
        typer.Argument(help="What the customer said; '-' reads it from stdin.", show_default=False),
    ] = None,
    jsonl: Annotated[
        Path | None,
        typer.Option("--jsonl", help='File of {"id", "text"} lines: one SuggestResult line each.'),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the CONTRACT JSON.")] = False,
    kind: KindOpt = None,
    industry: IndustryOpt = None,
    tier: TierOpt = None,
    k: KOpt = None,
    kb_dir: KbDirOpt = None,
) -> None:
    """Suggest scripts, cases and battlecards for what a customer said."""
    with user_errors(RetrievalError, InsightError, OSError):
        if (text is None) == (jsonl is None):
            raise UserError("give either TEXT or --jsonl FILE")
        filters = _filters(kind, industry, None, tier)
        settings = get_settings()
        suggester = Suggester(_config(kb_dir), extractor=build_extractor(settings.insights))
        _ready(suggester)
        if jsonl is not None:
            failed = _suggest_lines(suggester, jsonl, k, filters)
            if failed:
                raise UserError(f"{failed} line(s) of {jsonl} could not be read; see their 'error'")
            return
        said = sys.stdin.read() if text == "-" else str(text)
        result = suggester.suggest(said, k=k, filters=filters)
    if as_json:
        print(result.model_dump_json())
        return
    out.print(f"异议: {result.objection or '（未识别）'}", markup=False)
    for item in result.suggestions:
        out.print(
            f"\n[bold]{item.score:.2f}  {item.title}[/bold]  [dim]{item.kind} {item.id}[/dim]"
        )
        out.print(item.text, markup=False)
    if not result.suggestions:
        out.print("（没有合适的建议）")


def _suggest_lines(suggester: Suggester, path: Path, k: int | None, filters: Filters) -> int:
    """Print one record per input line; return how many lines were bad."""
    failed = 0
    for item in read_jsonl(path):
        if item.error is not None or item.text is None:
            failed += 1
            print_json_line({"id": item.id, "error": item.error or "missing text"})
            continue
        try:
            result = suggester.suggest(item.text, k=k, filters=filters)
        except (RetrievalError, InsightError) as exc:
            failed += 1
            print_json_line({"id": item.id, "error": f"line {item.line_no}: {exc}"})
            continue
        print_json_line({"id": item.id, **result.model_dump(mode="json")})
    return failed


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")
    app.command()(suggest)
