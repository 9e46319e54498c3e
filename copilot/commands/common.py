"""What every command shares: consoles, user-facing errors, ``--jsonl`` input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class UserError(Exception):
    """Bad input from the user: reported as one line on stderr, exit status 1."""


@contextmanager
def user_errors(*kinds: type[Exception]) -> Iterator[None]:
    """Turn the given exception types (and :class:`UserError`) into one line on stderr
    and exit status 1, never a traceback."""
    handled: tuple[type[Exception], ...] = (UserError, *kinds)
    try:
        yield
    except handled as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(1) from None


@dataclass(frozen=True)
class JsonlItem:
    """One input line of a ``--jsonl`` file: either an ``id`` and ``text``, or an error."""

    line_no: int
    id: str | int | None
    text: str | None
    error: str | None = None


def read_jsonl(path: Path) -> Iterator[JsonlItem]:
    """Yield each line's ``{"id", "text"}``; a bad line yields an item with ``error`` set and
    reading goes on. Invalid UTF-8 is reported per line, not for the whole file."""
    if not path.is_file():
        raise UserError(f"{path}: no such file")
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield JsonlItem(
                    line_no, None, None, f"line {line_no}: invalid UTF-8 ({exc.reason})"
                )
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield JsonlItem(line_no, None, None, f"line {line_no}: malformed JSON ({exc.msg})")
                continue
            if not isinstance(record, dict):
                yield JsonlItem(line_no, None, None, f"line {line_no}: expected a JSON object")
                continue
            item_id = record.get("id")
            text = record.get("text")
            if not isinstance(text, str):
                yield JsonlItem(line_no, item_id, None, f"line {line_no}: missing string 'text'")
                continue
            yield JsonlItem(line_no, item_id, text)


def print_json_line(record: dict[str, object]) -> None:
    print(json.dumps(record, ensure_ascii=False), flush=True)
