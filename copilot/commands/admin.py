"""Administration: ``copilot db``, ``orgs``, ``teams``, ``users``, ``keys`` and ``audit``.

Each command works on the configured database (``COPILOT_DATABASE__URL``) in one
transaction. Ids are printed alone on stdout so scripts can capture them; notes go to
stderr. Orgs and teams are accepted by id or by name, users by id or email.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from copilot.auth import ROLES
from copilot.commands.common import err, user_errors
from copilot.settings import get_settings
from copilot.store import audit, repo
from copilot.store.db import display_url, make_engine, migrate, require_current, session_factory
from copilot.store.errors import StoreError
from copilot.store.models import utcnow

db_app = typer.Typer(help="The service's database.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
teams_app = typer.Typer(help="Teams: a manager sees the calls of their team.", no_args_is_help=True)
users_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys (Authorization: Bearer cpk_…).", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)

OrgOption = Annotated[str, typer.Option("--org", help="Org id or name.", show_default=False)]


@contextmanager
def _transaction() -> Iterator[Session]:
    """One committed transaction on the configured, up-to-date database."""
    engine = make_engine(config=get_settings().database)
    try:
        require_current(engine)
        with session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the tables to this version's schema (safe to repeat)."""
    config = get_settings().database
    with user_errors(StoreError, SQLAlchemyError):
        engine = make_engine(config=config)
        try:
            revision = migrate(engine)
        finally:
            engine.dispose()
    err.print(f"{display_url(config.url)} is at revision {revision}")


@orgs_app.command("create")
def orgs_create(name: Annotated[str, typer.Argument(help="The organisation's name.")]) -> None:
    """Create an organisation; prints its id."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        org = repo.create_org(session, name)
    print(org.id)


@orgs_app.command("policy")
def orgs_policy(
    org: Annotated[str, typer.Argument(help="Org id or name.")],
    max_discount_off: Annotated[
        float | None,
        typer.Option(
            "--max-discount-off",
            min=0.0,
            max=0.99,
            help="Largest discount a rep may offer, as a fraction off (0.1 = 九折).",
        ),
    ] = None,
) -> None:
    """Show or change an organisation's compliance policy (applied by the service at once)."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        row = repo.find_org(session, org)
        if max_discount_off is not None:
            row.policy = {**row.policy, "max_discount_off": max_discount_off}
    print(json.dumps(row.policy, ensure_ascii=False))


@teams_app.command("create")
def teams_create(
    name: Annotated[str, typer.Argument(help="The team's name.")], org: OrgOption
) -> None:
    """Create a team in an org; prints its id."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        team = repo.create_team(session, repo.find_org(session, org).id, name)
    print(team.id)


@users_app.command("create")
def users_create(
    org: OrgOption,
    name: Annotated[str, typer.Option(help="Display name, e.g. 李销售.", show_default=False)],
    email: Annotated[str, typer.Option(help="Unique within the org.", show_default=False)],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.", show_default=False)],
    team: Annotated[
        str | None, typer.Option(help="Team id or name (reps and managers).", show_default=False)
    ] = None,
) -> None:
    """Create a user; prints the user id (give it to `copilot keys create --user`)."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        org_row = repo.find_org(session, org)
        team_id = repo.find_team(session, org_row.id, team).id if team else None
        user = repo.create_user(
            session, org_row.id, name=name, email=email, role=role, team_id=team_id
        )
    print(user.id)


@keys_app.command("create")
def keys_create(
    user: Annotated[str, typer.Option(help="User id or email.", show_default=False)],
    org: Annotated[
        str | None, typer.Option(help="Org id or name, when the email is in several orgs.")
    ] = None,
    label: Annotated[str, typer.Option(help="What the key is for, e.g. 'chrome'.")] = "",
    expires_days: Annotated[
        int | None, typer.Option(min=1, help="Expire after this many days (default: never).")
    ] = None,
) -> None:
    """Create an API key for a user; prints it once — it cannot be shown again."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        org_id = repo.find_org(session, org).id if org else None
        owner = repo.find_user(session, user, org_id=org_id)
        expires = utcnow() + timedelta(days=expires_days) if expires_days else None
        row, plaintext = repo.create_api_key(session, owner, label=label, expires_at=expires)
    print(plaintext)
    until = f", expires {row.expires_at:%Y-%m-%d %H:%M} UTC" if row.expires_at else ""
    err.print(
        f"key {row.id} for {owner.name} <{owner.email}> ({owner.role}){until}. "
        "Store it now: only its hash is kept."
    )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after cpk_) or the key.")],
) -> None:
    """Revoke an API key at once."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        row = repo.revoke_api_key(session, key_id)
    err.print(f"key {row.id} revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


@audit_app.command("verify")
def audit_verify(org: OrgOption) -> None:
    """Check an org's audit chain; exit status 1 if a record was altered."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        org_id = repo.find_org(session, org).id
        report = audit.verify_chain(session, org_id)
    if report.ok:
        print(f"ok: {report.count} records, head {report.head_hash}")
        return
    print(f"BROKEN at record {report.first_broken_id}: {report.reason} ({report.count} records)")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(orgs_app, name="orgs")
    app.add_typer(teams_app, name="teams")
    app.add_typer(users_app, name="users")
    app.add_typer(keys_app, name="keys")
    app.add_typer(audit_app, name="audit")
