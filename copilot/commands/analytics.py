"""``copilot analytics``: the per-call figures behind the analytics pages (docs/metrics.md).

They are recorded as each call's summary is stored; ``backfill`` records them for calls
stored before this version, or computed under an older definition of a metric.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from copilot.commands.admin import _transaction
from copilot.commands.common import user_errors
from copilot.store import call_metrics, repo
from copilot.store.errors import StoreError

analytics_app = typer.Typer(
    help="Per-call metrics and tags for the analytics pages.", no_args_is_help=True
)


@analytics_app.command("backfill")
def backfill(
    org: Annotated[
        str | None, typer.Option("--org", help="Org id or name (default: every org).")
    ] = None,
    recompute: Annotated[
        bool, typer.Option("--all", help="Recompute every call, not only missing or stale.")
    ] = False,
) -> None:
    """Record metrics and tags of calls that have a summary but none (or older ones).

    Prints one JSON line: {"org_id", "calls"}; one transaction, safe to repeat."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        org_id = repo.find_org(session, org).id if org is not None else None
        done = call_metrics.backfill(session, org_id, recompute=recompute)
    print(json.dumps({"org_id": org_id, "calls": done}))


def register(app: typer.Typer) -> None:
    app.add_typer(analytics_app, name="analytics")
