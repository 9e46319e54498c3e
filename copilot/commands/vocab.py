"""``copilot vocab``: an organisation's correction vocabulary (docs/speech-correction.md).

The terms are names its calls should be heard with (products, customers, people, vendors).
Changes go to the configured database; a running service uses them from the org's next call.
Adding a term the org already has is no error (it is kept as it was).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from copilot.commands.admin import OrgOption, _transaction
from copilot.commands.common import err, user_errors
from copilot.store import repo
from copilot.store import vocabulary as store
from copilot.store.errors import StoreError

vocab_app = typer.Typer(
    help="An org's correction vocabulary: names its calls are heard with.", no_args_is_help=True
)

ERRORS = (StoreError, SQLAlchemyError)
TermArg = Annotated[str, typer.Argument(help="The term, e.g. 用友U8.", show_default=False)]
KindOpt = Annotated[str, typer.Option("--kind", help=f"One of {', '.join(store.KINDS)}.")]


@vocab_app.command("list")
def vocab_list(
    org: OrgOption, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """The org's terms: term, kind, source (manual or learned from a correction)."""
    with user_errors(*ERRORS), _transaction() as session:
        rows = store.list_terms(session, repo.find_org(session, org).id)
        listed = [
            {
                "term": row.term,
                "kind": row.kind,
                "source": row.source,
                "created_at": row.created_at.isoformat(),
            }
            for row in rows
        ]
    if as_json:
        print(json.dumps(listed, ensure_ascii=False))
        return
    for item in listed:
        print(f"{item['term']}\t{item['kind']}\t{item['source']}")


@vocab_app.command("add")
def vocab_add(term: TermArg, org: OrgOption, kind: KindOpt = "vocab") -> None:
    """Add one term (at most 64 characters)."""
    with user_errors(*ERRORS), _transaction() as session:
        org_id = repo.find_org(session, org).id
        new = store.add_terms(session, org_id, [store.VocabularyTerm(term, kind)])  # type: ignore[arg-type]
    err.print("added" if new else f"{term.strip()} is already in the vocabulary")


@vocab_app.command("remove")
def vocab_remove(term: TermArg, org: OrgOption) -> None:
    """Remove one term."""
    with user_errors(*ERRORS), _transaction() as session:
        store.remove_terms(session, repo.find_org(session, org).id, [term])
    err.print("removed")


@vocab_app.command("import")
def vocab_import(
    file: Annotated[
        Path, typer.Argument(help="One term per line, or CSV term,kind.", show_default=False)
    ],
    org: OrgOption,
) -> None:
    """Add the terms of FILE; nothing is stored when a line is bad (every bad line is named)."""
    with user_errors(*ERRORS), _transaction() as session:
        org_id = repo.find_org(session, org).id
        terms = store.read_terms_file(file)
        new = store.add_terms(session, org_id, terms)
    err.print(f"{len(new)} added, {len(terms) - len(new)} already there")


@vocab_app.command("export")
def vocab_export(org: OrgOption) -> None:
    """The org's terms as CSV term,kind (what ``import`` reads)."""
    with user_errors(*ERRORS), _transaction() as session:
        rows = [
            (row.term, row.kind)
            for row in store.list_terms(session, repo.find_org(session, org).id)
        ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    print(buffer.getvalue(), end="")


def register(app: typer.Typer) -> None:
    app.add_typer(vocab_app, name="vocab")
