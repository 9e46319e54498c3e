"""Administration: ``copilot db``, ``orgs``, ``teams``, ``users``, ``keys`` and ``audit``.

Each command works on the configured database (``COPILOT_DATABASE__URL``) in one
transaction. Ids are printed alone on stdout so scripts can capture them; notes go to
stderr. Orgs and teams are accepted by id or by name, users by id or email.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from copilot.auth import ROLES
from copilot.commands.common import UserError, err, user_errors
from copilot.settings import get_settings
from copilot.store import audit, repo, tenants, user_import
from copilot.store.db import display_url, make_engine, migrate, require_current, session_factory
from copilot.store.errors import StoreError
from copilot.store.models import ApiKey, utcnow

db_app = typer.Typer(help="The service's database.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations (tenants).", no_args_is_help=True)
teams_app = typer.Typer(help="Teams: a manager sees the calls of their team.", no_args_is_help=True)
users_app = typer.Typer(help="Users: roles, teams, disabling, CSV import.", no_args_is_help=True)
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
    max_upload_minutes: Annotated[
        int | None,
        typer.Option("--max-upload-minutes", min=1, help="Longest recording the org may upload."),
    ] = None,
    retention_days: Annotated[
        int | None,
        typer.Option(
            "--retention-days",
            min=1,
            help="Days transcripts and message texts are kept (copilot purge deletes older).",
        ),
    ] = None,
    keep_recordings: Annotated[
        bool | None,
        typer.Option(
            "--keep-recordings/--no-keep-recordings",
            help="Keep each call's audio after analysis (uploads, and streamed calls as WAV).",
            show_default=False,
        ),
    ] = None,
    recording_retention_days: Annotated[
        int | None,
        typer.Option(
            "--recording-retention-days",
            min=1,
            help="Days kept recordings stay (at most --retention-days; copilot purge).",
        ),
    ] = None,
) -> None:
    """Show or change an organisation's policy: discount authority, upload length,
    retention (applied by the service at once)."""
    changes = {
        "max_discount_off": max_discount_off,
        "max_upload_minutes": max_upload_minutes,
        "retention_days": retention_days,
        "keep_recordings": keep_recordings,
        "recording_retention_days": recording_retention_days,
    }
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        row = repo.find_org(session, org)
        changed = {name: value for name, value in changes.items() if value is not None}
        if changed:
            row.policy = {**row.policy, **changed}
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


UserArg = Annotated[str, typer.Argument(help="User id or email.", show_default=False)]
MaybeOrgOption = Annotated[
    str | None, typer.Option("--org", help="Org id or name, when the email is in several orgs.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object per line.")]


@users_app.command("list")
def users_list(
    org: OrgOption,
    team: Annotated[str | None, typer.Option(help="Only this team (id or name).")] = None,
    as_json: JsonOption = False,
) -> None:
    """List an org's users with their team, status and number of usable API keys."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        org_row = repo.find_org(session, org)
        team_id = repo.find_team(session, org_row.id, team).id if team else None
        teams = {row.id: row.name for row in tenants.list_teams(session, org_row.id)}
        now = utcnow()
        rows = [
            {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "team": teams.get(user.team_id) if user.team_id else None,
                "active": user.active,
                "usable_keys": sum(
                    key_status(key, now) == "active" for key in repo.list_api_keys(session, user.id)
                ),
            }
            for user in repo.list_users(session, org_row.id, team_id=team_id)
        ]
    _print_rows(rows, as_json)


def _set_active(user: str, org: str | None, active: bool) -> None:
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        org_id = repo.find_org(session, org).id if org else None
        row = repo.find_user(session, user, org_id=org_id)
        changed = tenants.set_user_active(session, row, active)
    state = "enabled" if active else "disabled"
    keys = "work again" if active else "no longer authenticate"
    if changed:
        err.print(f"{row.name} <{row.email}> {state}: their API keys {keys}")
    else:
        err.print(f"{row.name} <{row.email}> was already {state}")


@users_app.command("disable")
def users_disable(user: UserArg, org: MaybeOrgOption = None) -> None:
    """Disable a user: their API keys stop working at once (reversible with enable)."""
    _set_active(user, org, False)


@users_app.command("enable")
def users_enable(user: UserArg, org: MaybeOrgOption = None) -> None:
    """Enable a disabled user again: their unrevoked, unexpired keys work again."""
    _set_active(user, org, True)


@users_app.command("move-team")
def users_move_team(
    user: UserArg,
    team: Annotated[
        str | None, typer.Option(help="The new team (id or name).", show_default=False)
    ] = None,
    no_team: Annotated[
        bool, typer.Option("--no-team", help="Take the user out of any team.")
    ] = False,
    org: MaybeOrgOption = None,
) -> None:
    """Move a user to another team of their org (a manager sees their team's calls)."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        if (team is None) == (not no_team):
            raise UserError("give either --team TEAM or --no-team")
        org_id = repo.find_org(session, org).id if org else None
        row = repo.find_user(session, user, org_id=org_id)
        team_row = repo.find_team(session, row.org_id, team) if team else None
        changed = tenants.move_user_to_team(session, row, team_row.id if team_row else None)
    where = f"team {team_row.name}" if team_row else "no team"
    err.print(f"{row.name} <{row.email}> {'moved to' if changed else 'already in'} {where}")


@users_app.command("import")
def users_import(
    csv_file: Annotated[
        Path, typer.Argument(help="CSV with the header email,name,role,team (UTF-8).")
    ],
    org: OrgOption,
) -> None:
    """Create or update an org's users from a CSV file; safe to repeat.

    Every line is checked first: with any bad line nothing is imported. Prints
    ``created|updated|unchanged <id> <email>`` per line on stdout.
    """
    with user_errors(StoreError, SQLAlchemyError):
        try:
            text = csv_file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise UserError(f"{csv_file}: no such file") from None
        except OSError as exc:  # a directory, no permission
            raise UserError(f"{csv_file}: cannot read ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise UserError(f"{csv_file}: not UTF-8 (save it as “CSV UTF-8”)") from None
        try:
            with _transaction() as session:
                org_id = repo.find_org(session, org).id
                report = user_import.import_users(
                    session, org_id, user_import.parse_users_csv(text)
                )
                lines = [f"{status}\t{user.id}\t{user.email}" for status, user in report.rows]
        except user_import.ImportRejected as rejected:
            for problem in rejected.problems:
                err.print(f"{csv_file}: {problem}", markup=False)
            raise UserError(f"{csv_file}: {rejected}") from None
    for line in lines:
        print(line)
    counts = ", ".join(f"{report.count(s)} {s}" for s in ("created", "updated", "unchanged"))
    err.print(f"{csv_file}: {counts}")


@keys_app.command("list")
def keys_list(
    user: Annotated[str, typer.Option(help="User id or email.", show_default=False)],
    org: MaybeOrgOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a user's API keys (never the secrets) with their status and last use."""
    with user_errors(StoreError, SQLAlchemyError), _transaction() as session:
        org_id = repo.find_org(session, org).id if org else None
        owner = repo.find_user(session, user, org_id=org_id)
        now = utcnow()
        rows = [
            {
                "id": key.id,
                "label": key.label,
                "status": key_status(key, now) if owner.active else "user disabled",
                "created_at": _when(key.created_at),
                "expires_at": _when(key.expires_at),
                "revoked_at": _when(key.revoked_at),
                "last_used_at": _when(key.last_used_at),
            }
            for key in repo.list_api_keys(session, owner.id)
        ]
    _print_rows(rows, as_json)


def key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "expired"
    return "active"


def _when(moment: datetime | None) -> str | None:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else None


def _print_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    """JSON lines for scripts, else aligned columns for people (both on stdout, never cut
    to the terminal's width)."""
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        err.print("none")
        return
    cells = [list(rows[0])] + [["-" if v is None else str(v) for v in row.values()] for row in rows]
    widths = [max(cell_len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for line in cells:
        padded = (
            text + " " * (width - cell_len(text)) for text, width in zip(line, widths, strict=True)
        )
        print("  ".join(padded).rstrip())


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
