"""The ``copilot`` command line; CONTRACT.md fixes the machine-readable outputs."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from copilot.commands import (
    admin,
    analytics,
    backup,
    batch,
    compliance,
    crm,
    insights,
    kb,
    org_content,
    privacy,
    scorecard,
    service,
    speech,
    train,
    vocab,
)
from copilot.commands.common import fail, user_message


class CopilotGroup(TyperGroup):
    """Every command runs inside this one ``invoke``: errors a user can fix (a bad setting,
    a service that is not running) become one ``error:`` line and exit status 1 instead of
    a traceback, whichever command raised them."""

    # ``Any``: typer's own Context class moved between versions (click's, then a vendored one).
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = user_message(exc)
            if message is None:
                raise
            fail(message)


app = typer.Typer(
    name="copilot",
    help="销售副驾 / Sales Copilot — live help for Chinese B2B sales calls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=CopilotGroup,
)

for area in (
    speech,
    insights,
    compliance,
    crm,
    service,
    admin,
    kb,
    privacy,
    org_content,
    train,
    vocab,
    scorecard,
    analytics,
    batch,
    backup,
):
    area.register(app)
