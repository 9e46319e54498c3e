"""The ``copilot`` command line; CONTRACT.md fixes the machine-readable outputs."""

from __future__ import annotations

import typer

from copilot.commands import admin, compliance, insights, kb, service, speech

app = typer.Typer(
    name="copilot",
    help="销售副驾 / Sales Copilot — live help for Chinese B2B sales calls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for area in (speech, insights, compliance, service, admin, kb):
    area.register(app)
