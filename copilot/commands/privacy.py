"""``copilot purge``: delete what is older than the retention period (PIPL: keep personal
data no longer than needed); ``copilot erase``: a data subject's erasure request."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from copilot.commands.common import err, user_errors
from copilot.settings import get_settings
from copilot.store import repo
from copilot.store.db import make_engine, require_current, session_factory
from copilot.store.errors import StoreError
from copilot.store.models import Org
from copilot.store.retention import cutoff_for, erase_number, purge_org, retention_days


def purge(
    org: Annotated[
        str | None, typer.Option("--org", help="Org id or name (default: every org).")
    ] = None,
    older_than: Annotated[
        int | None,
        typer.Option(
            "--older-than",
            min=0,
            help="Days to keep (default: each org's retention_days policy, else "
            "COPILOT_PRIVACY__RETENTION_DAYS).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be deleted.")
    ] = False,
) -> None:
    """Delete recordings, transcripts and message texts older than the retention period.

    Prints one JSON line per org with the counts; each org's purge is one audit record."""
    from copilot.service.uploads import upload_dir  # the service's layout of its files

    settings = get_settings()
    uploads = upload_dir(settings.service.upload_dir)
    engine = make_engine(config=settings.database)
    try:
        with user_errors(StoreError, SQLAlchemyError):
            require_current(engine)
            with session_factory(engine).begin() as session:
                if org is not None:
                    orgs = [repo.find_org(session, org)]
                else:
                    orgs = list(session.scalars(select(Org).order_by(Org.created_at, Org.id)))
                for row in orgs:
                    days = older_than
                    if days is None:
                        days = retention_days(row, settings.privacy.retention_days)
                    counts = purge_org(
                        session,
                        row.id,
                        cutoff_for(days),
                        dry_run=dry_run,
                        older_than_days=days,
                        upload_root=uploads,
                    )
                    line = {"org_id": row.id, "older_than_days": days, "dry_run": dry_run}
                    print(json.dumps({**line, **counts.__dict__}, ensure_ascii=False))
    finally:
        engine.dispose()
    if dry_run:
        err.print("dry run: nothing was deleted")


def erase(
    number: Annotated[str, typer.Argument(help="The phone, ID-card or bank-card number.")],
    org: Annotated[str, typer.Option("--org", help="Org id or name.", show_default=False)],
) -> None:
    """Mask one personal number everywhere in an org's data (flags, transcripts, events,
    summaries); prints how many rows changed. The audit record names it by keyed reference."""
    engine = make_engine(config=get_settings().database)
    try:
        with user_errors(StoreError, SQLAlchemyError):
            require_current(engine)
            with session_factory(engine).begin() as session:
                changed = erase_number(session, repo.find_org(session, org).id, number)
    finally:
        engine.dispose()
    print(changed)


def register(app: typer.Typer) -> None:
    app.command("purge")(purge)
    app.command("erase")(erase)
