"""Importing an org's users from a CSV file (``email,name,role,team``).

All or nothing: every line is checked before anything is written, and a file with one bad
line imports nothing, so a half-imported org never has to be cleaned up by hand. Importing
the same file again changes nothing: users are matched by email, created when missing and
brought in line with the file (name, role, team) when present. Their ``active`` flag is left
alone: re-importing never re-enables someone an administrator disabled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.principal import ROLES, Principal
from copilot.store import audit
from copilot.store.csv_records import UnreadableRecord, csv_records
from copilot.store.errors import InvalidInput, StoreError
from copilot.store.models import User
from copilot.store.tenants import create_user, find_team, move_user_to_team
from copilot.store.unstorable import unstorable

COLUMNS = ("email", "name", "role", "team")
ImportStatus = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class UserRow:
    """One data line of the file; ``line_no`` counts the header as line 1."""

    line_no: int
    email: str
    name: str
    role: str
    team: str  # team name or id; "" for none


@dataclass
class ImportReport:
    rows: list[tuple[ImportStatus, User]] = field(default_factory=list)

    def count(self, status: ImportStatus) -> int:
        return sum(1 for got, _ in self.rows if got == status)


class ImportRejected(InvalidInput):
    """The file has bad lines; ``problems`` names each one (``line N: …``)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} bad line(s); nothing was imported")
        self.problems = problems


def parse_users_csv(text: str) -> list[UserRow]:
    """The rows of a CSV whose header has ``email,name,role`` (and optionally ``team``);
    :class:`ImportRejected` for a bad header or bad lines."""
    records = csv_records(text)
    try:
        _, first = next(records, (1, []))
    except UnreadableRecord as exc:
        raise ImportRejected([str(exc)]) from None
    header = [name.strip().lower() for name in first]
    missing = [name for name in COLUMNS[:3] if name not in header]
    if missing:
        raise ImportRejected(
            [f"line 1: the header must name the columns {','.join(COLUMNS)}; "
             f"missing {','.join(missing)}"]
        )  # fmt: skip
    rows, problems = [], []
    try:
        for line_no, cells in records:
            if not cells:
                continue  # a blank line
            if len(cells) > len(header):
                problems.append(f"line {line_no}: more fields than the header's {len(header)}")
                continue
            record = dict(zip(header, cells, strict=False))  # missing fields are empty
            values = {name: (record.get(name) or "").strip() for name in COLUMNS}
            rows.append(UserRow(line_no, values["email"].lower(), values["name"],
                                values["role"], values["team"]))  # fmt: skip
    except UnreadableRecord as exc:  # a record the csv module cannot read ends the file
        problems.append(str(exc))
    if problems:
        raise ImportRejected(problems)
    return rows


def check_rows(session: Session, org_id: str, rows: list[UserRow]) -> list[str]:
    """Every problem of every line, as ``line N: …``; empty when the whole file can go in."""
    problems = []
    first_line: dict[str, int] = {}
    for row in rows:
        where = f"line {row.line_no}"
        # Named here, not a database error mid-import (PostgreSQL's text cannot hold NUL).
        values = dict(zip(COLUMNS, (row.email, row.name, row.role, row.team), strict=True))
        if (bad := unstorable(values)) is not None:
            problems.append(f"{where}: {bad}")
        if "@" not in row.email:
            problems.append(f"{where}: {row.email!r} is not an email address")
        elif row.email in first_line:
            problems.append(f"{where}: {row.email} is already on line {first_line[row.email]}")
        else:
            first_line[row.email] = row.line_no
        if not row.name:
            problems.append(f"{where}: the name is empty")
        if row.role not in ROLES:
            problems.append(f"{where}: role must be one of {', '.join(ROLES)}, not {row.role!r}")
        if row.team:
            try:
                find_team(session, org_id, row.team)
            except StoreError as exc:
                problems.append(f"{where}: {exc}")
    return problems


def import_users(
    session: Session, org_id: str, rows: list[UserRow], *, actor: Principal | None = None
) -> ImportReport:
    """Create or update every row's user; :class:`ImportRejected` (nothing written) when a
    line is bad."""
    problems = check_rows(session, org_id, rows)
    if problems:
        raise ImportRejected(problems)
    report = ImportReport()
    for row in rows:
        team_id = find_team(session, org_id, row.team).id if row.team else None
        user = session.scalar(select(User).where(User.org_id == org_id, User.email == row.email))
        if user is None:
            user = create_user(
                session, org_id, name=row.name, email=row.email, role=row.role,
                team_id=team_id, actor=actor,
            )  # fmt: skip
            report.rows.append(("created", user))
            continue
        changed = {
            name: value
            for name, value in (("name", row.name), ("role", row.role))
            if getattr(user, name) != value
        }
        if changed:
            for name, value in changed.items():
                setattr(user, name, value)
            session.flush()
            audit.append(session, org_id, actor, "user.updated", "user", user.id, changed)
        moved = move_user_to_team(session, user, team_id, actor=actor)
        report.rows.append(("updated" if changed or moved else "unchanged", user))
    return report
