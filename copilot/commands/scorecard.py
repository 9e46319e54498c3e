"""``copilot scorecard``: an organisation's scorecard checklist (docs/scorecards.md).

An org starts with the default template (录音告知, 自报家门, 确认预算, 确认决策人,
约定下一步); the first change copies it into the org's own items. New calls are scored with
the items of the moment; past results stay as they were scored (``backfill --rescore``
redoes undisputed ones).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from copilot.commands.admin import OrgOption, _transaction
from copilot.commands.common import err, user_errors
from copilot.scorecards.items import ScorecardItem
from copilot.store import repo
from copilot.store import scorecards as store
from copilot.store.errors import StoreError

scorecard_app = typer.Typer(
    help="An org's scorecard: the checklist every call is scored on.", no_args_is_help=True
)

ERRORS = (StoreError, SQLAlchemyError, ValueError)
KeyArg = Annotated[
    str, typer.Argument(help="The item's key, e.g. budget (a-z, 0-9, _).", show_default=False)
]


@scorecard_app.command("list")
def scorecard_list(
    org: OrgOption, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False
) -> None:
    """The org's items in order: key, label, must-say, cues."""
    with user_errors(*ERRORS), _transaction() as session:
        items = store.org_items(session, repo.find_org(session, org).id)
    if as_json:
        print(json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False))
        return
    for item in items:
        must = "必说" if item.must_say else "-"
        print(f"{item.key}\t{item.label}\t{must}\t{' / '.join(item.cues)}")


@scorecard_app.command("add")
def scorecard_add(
    key: KeyArg,
    org: OrgOption,
    label: Annotated[str, typer.Option(help="What managers and reps see, e.g. 介绍案例.")],
    cue: Annotated[
        list[str],
        typer.Option(help="A phrase or pattern the rep may say; repeat for more.", min=1),
    ],
    must_say: Annotated[
        bool, typer.Option("--must-say", help="Remind the rep before the call ends.")
    ] = False,
) -> None:
    """Add an item, or replace the one with this key."""
    with user_errors(*ERRORS), _transaction() as session:
        try:
            item = ScorecardItem(key=key, label=label, cues=tuple(cue), must_say=must_say)
        except ValidationError as exc:
            raise ValueError(str(exc.errors()[0]["msg"])) from exc
        store.put_item(session, repo.find_org(session, org).id, item)
    err.print(f"{key}: saved")


@scorecard_app.command("remove")
def scorecard_remove(key: KeyArg, org: OrgOption) -> None:
    """Stop checking an item on the org's new calls."""
    with user_errors(*ERRORS), _transaction() as session:
        store.remove_item(session, repo.find_org(session, org).id, key)
    err.print(f"{key}: removed")


@scorecard_app.command("reset")
def scorecard_reset(org: OrgOption) -> None:
    """Back to the default template."""
    with user_errors(*ERRORS), _transaction() as session:
        store.reset_items(session, repo.find_org(session, org).id)
    err.print("the default template applies")


@scorecard_app.command("backfill")
def scorecard_backfill(
    org: Annotated[str | None, typer.Option("--org", help="Org id or name (all orgs).")] = None,
    rescore: Annotated[
        bool, typer.Option("--rescore", help="Score again calls already scored.")
    ] = False,
) -> None:
    """Score calls that have a summary and no scorecard yet."""
    with user_errors(*ERRORS), _transaction() as session:
        org_id = repo.find_org(session, org).id if org else None
        count = store.backfill(session, org_id, rescore=rescore)
    err.print(f"{count} call(s) scored")


def register(app: typer.Typer) -> None:
    app.add_typer(scorecard_app, name="scorecard")
