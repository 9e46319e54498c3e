"""``copilot scan`` and ``copilot rules test``: the compliance scanner on the command line."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from compliance import ComplianceConfig, RulePackError, Scanner, ScanResult
from compliance.loader import load_pack
from compliance.normalize import RECENT_TEXTS
from compliance.pack import RulePack
from compliance.selftest import run_examples
from copilot.commands.common import (
    JsonlItem,
    UserError,
    err,
    out,
    print_json_line,
    read_jsonl,
    user_errors,
)
from copilot.commands.insights import RulesOnlyOpt, learned_models
from copilot.settings import get_settings

_SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
# ``scan --jsonl`` reads as many lines as the learned scanner's model reads at once (the
# canonical forms ``normalize`` keeps; fewer when they hold this many characters: a file of
# 2 MB messages is not held eight at a time), then scans them together (Scanner.scan_many):
# results held for longer only cost memory and the CPU's cache (64 lines measured slower).
JSONL_BATCH = RECENT_TEXTS
JSONL_BATCH_CHARS = 1_000_000


def _config(rules_dir: Path | None, overrides: Path | None) -> ComplianceConfig:
    """The service's compliance settings, with the command line's choices on top."""
    updates: dict[str, object] = {}
    if rules_dir is not None:
        updates["rules_dir"] = rules_dir
    if overrides is not None:
        updates["overrides_path"] = overrides
    return get_settings().compliance.model_copy(update=updates)


@lru_cache(maxsize=4)
def _scanner(config_json: str, rules_only: bool = False) -> Scanner:
    # One compiled pack per configuration for the life of the process (tests call the
    # command many times). The shipped rep model beside the rules, as the service runs it.
    from copilot.learning import assisted_scanner

    rules = Scanner(ComplianceConfig.model_validate_json(config_json))
    return rules if rules_only else assisted_scanner(rules, learned_models().rep)


RulesDirOpt = Annotated[
    Path | None, typer.Option("--rules-dir", help="Rule pack directory (default: packaged rules).")
]
OverridesOpt = Annotated[
    Path | None, typer.Option("--overrides", help="An organisation's overrides YAML file.")
]


def scan(
    text: Annotated[str | None, typer.Argument(help="Message to check.")] = None,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", help='File with one {"id", "text"} per line.')
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the CONTRACT JSON.")] = False,
    rules_dir: RulesDirOpt = None,
    overrides: OverridesOpt = None,
    rules_only: RulesOnlyOpt = False,
) -> None:
    """Check a message for promises the company cannot keep (compliance rules, and the
    learned model for wording they miss)."""
    with user_errors(RulePackError):
        if (text is None) == (jsonl is None):
            raise UserError("give either TEXT or --jsonl FILE")
        scanner = _scanner(_config(rules_dir, overrides).model_dump_json(), rules_only)
        if jsonl is not None:
            failed = _scan_jsonl(scanner, jsonl)
            if failed:
                raise UserError(f"{failed} line(s) of {jsonl} could not be read; see their 'error'")
            return
        assert text is not None
        result = scanner.scan(text)
    if as_json:
        print(result.model_dump_json())
    else:
        _show(text, result)


def _scan_jsonl(scanner: Scanner, path: Path) -> int:
    """Print one record per input line, in order; return how many lines were bad (as
    ``extract``). Lines are read and scanned a batch at a time (``Scanner.scan_many``)."""
    failed = 0
    for batch in _batches(read_jsonl(path)):
        texts = [item.text for item in batch if item.error is None and item.text is not None]
        results = iter(scanner.scan_many(texts))
        for item in batch:
            if item.error is not None or item.text is None:
                failed += 1
                print_json_line({"id": item.id, "error": item.error or "missing text"})
            else:
                print_json_line({"id": item.id, **next(results).model_dump(mode="json")})
    return failed


def _batches(items: Iterable[JsonlItem]) -> Iterator[list[JsonlItem]]:
    batch: list[JsonlItem] = []
    chars = 0
    for item in items:
        batch.append(item)
        chars += len(item.text or "")
        if len(batch) >= JSONL_BATCH or chars >= JSONL_BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def _show(text: str, result: ScanResult) -> None:
    if not result.flags:
        out.print("[green]✓ 合规[/green] no flags")
        return
    verdict = "[bold red]✗ 不合规[/bold red]" if not result.compliant else "[cyan]提示[/cyan]"
    out.print(f"{verdict} {len(result.flags)} flag(s)")
    for flag in result.flags:
        style = _SEVERITY_STYLE[flag.severity]
        confidence = f" (model, {flag.confidence:.2f})" if flag.source == "model" else ""
        out.print(
            f"  [{style}]{flag.severity:<6}[/{style}] {flag.rule_id}{confidence}  "
            f"{flag.start}-{flag.end} 「{text[flag.start : flag.end]}」"
        )
        out.print(f"         → {flag.suggestion}", markup=False)
    if result.truncated:
        out.print("[yellow]note:[/yellow] message truncated to max_chars before scanning")


rules_app = typer.Typer(help="Work with compliance rule packs.", no_args_is_help=True)


@rules_app.command("test")
def rules_test(
    rules_dir: Annotated[
        Path | None, typer.Argument(help="Rule pack directory (default: packaged rules).")
    ] = None,
    overrides: OverridesOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print results as JSON.")] = False,
) -> None:
    """Validate a rule pack and run every rule's own examples; exit 1 on any failure."""
    with user_errors(RulePackError):
        pack = load_pack(_config(rules_dir, overrides))
    outcomes = run_examples(pack)
    failures = [o for o in outcomes if not o.passed]
    if as_json:
        print(json.dumps([o.__dict__ for o in outcomes], ensure_ascii=False))
    else:
        passed: Counter[tuple[str, str]] = Counter()
        total: Counter[tuple[str, str]] = Counter()
        for outcome in outcomes:
            total[(outcome.rule_id, outcome.kind)] += 1
            passed[(outcome.rule_id, outcome.kind)] += outcome.passed
        table = Table(title="rule examples")  # the id starts with the category
        table.add_column("rule", no_wrap=True)
        for name in ("severity", "pos", "neg", "status"):
            table.add_column(name, no_wrap=True)
        for rule in pack.rules:
            pos, neg = (rule.id, "positive"), (rule.id, "negative")
            ok = passed[pos] == total[pos] and passed[neg] == total[neg]
            table.add_row(
                rule.id,
                rule.severity,
                f"{passed[pos]}/{total[pos]}",
                f"{passed[neg]}/{total[neg]}",
                "[green]ok[/green]" if ok else "[red]FAIL[/red]",
            )
        out.print(table)
        for failure in failures:
            expected = "should fire" if failure.kind == "positive" else "should not fire"
            err.print(
                f"[red]FAIL[/red] {failure.rule_id} ({_source(pack, failure.rule_id)}): "
                f"{expected} on 「{failure.text}」"
            )
        out.print(f"{len(pack.rules)} rules, {len(outcomes)} examples, {len(failures)} failed")
    if failures:
        raise typer.Exit(1)


def _source(pack: RulePack, rule_id: str) -> str:
    rule = pack.rule(rule_id)
    return str(rule.source) if rule is not None else "?"


def register(app: typer.Typer) -> None:
    app.command()(scan)
    app.add_typer(rules_app, name="rules")
