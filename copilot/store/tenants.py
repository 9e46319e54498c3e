"""Orgs, teams, users and their API keys.

Plain functions over a ``Session``: they flush (so ids and constraint errors appear at once)
and never commit — the caller decides what one transaction is. Security-relevant changes
(users, keys) are written to the audit log in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from copilot.principal import ROLES, Principal
from copilot.store import audit
from copilot.store.errors import InvalidInput, NotFound
from copilot.store.keys import new_key, parse_key
from copilot.store.models import ApiKey, Org, Team, User, utcnow

# --- orgs and teams ---------------------------------------------------------------------


def create_org(
    session: Session, name: str, *, org_id: str | None = None, policy: dict[str, Any] | None = None
) -> Org:
    if not name.strip():
        raise InvalidInput("an org needs a name")
    org = Org(name=name.strip(), policy=policy or {})
    if org_id is not None:
        org.id = org_id
    session.add(org)
    session.flush()
    return org


def get_org(session: Session, org_id: str) -> Org | None:
    return session.get(Org, org_id)


def find_org(session: Session, id_or_name: str) -> Org:
    """The org with this id, else the one org with this name (for the command line)."""
    org = session.get(Org, id_or_name)
    if org is not None:
        return org
    named = list(session.scalars(select(Org).where(Org.name == id_or_name).limit(2)))
    if not named:
        raise NotFound(f"no org with id or name {id_or_name!r}")
    if len(named) > 1:
        raise InvalidInput(f"several orgs are named {id_or_name!r}: give the id")
    return named[0]


# Policy keys an organisation may set (``orgs.policy``), read through these accessors.
MAX_UPLOAD_MINUTES = "max_upload_minutes"


def max_upload_minutes(session: Session, org_id: str, default: float) -> float:
    """How long a recording the org lets its users upload for analysis; ``default`` (the
    service setting) when the org sets no valid limit of its own."""
    org = session.get(Org, org_id)
    value = org.policy.get(MAX_UPLOAD_MINUTES) if org is not None else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return default


def create_team(session: Session, org_id: str, name: str, *, team_id: str | None = None) -> Team:
    if session.get(Org, org_id) is None:
        raise NotFound(f"no org {org_id!r}")
    if not name.strip():
        raise InvalidInput("a team needs a name")
    team = Team(org_id=org_id, name=name.strip())
    if team_id is not None:
        team.id = team_id
    session.add(team)
    session.flush()
    return team


def find_team(session: Session, org_id: str, id_or_name: str) -> Team:
    """The org's team with this id or (unique) name."""
    team = session.get(Team, id_or_name)
    if team is not None and team.org_id == org_id:
        return team
    named = list(
        session.scalars(select(Team).where(Team.org_id == org_id, Team.name == id_or_name).limit(2))
    )
    if not named:
        raise NotFound(f"no team {id_or_name!r} in org {org_id}")
    if len(named) > 1:
        raise InvalidInput(f"several teams are named {id_or_name!r}: give the id")
    return named[0]


def list_teams(session: Session, org_id: str) -> list[Team]:
    return list(session.scalars(select(Team).where(Team.org_id == org_id).order_by(Team.name)))


# --- users ----------------------------------------------------------------------------


def create_user(
    session: Session,
    org_id: str,
    *,
    name: str,
    email: str,
    role: str,
    team_id: str | None = None,
    user_id: str | None = None,
    actor: Principal | None = None,
) -> User:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if session.get(Org, org_id) is None:
        raise NotFound(f"no org {org_id!r}")
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.org_id != org_id:
            raise InvalidInput(f"team {team_id!r} is not a team of org {org_id}")
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address")
    taken = session.scalar(select(User.id).where(User.org_id == org_id, User.email == email))
    if taken is not None:
        raise InvalidInput(f"org {org_id} already has a user with email {email}")
    user = User(org_id=org_id, name=name.strip(), email=email, role=role, team_id=team_id)
    if user_id is not None:
        user.id = user_id
    session.add(user)
    session.flush()
    audit.append(
        session,
        org_id,
        actor,
        "user.created",
        "user",
        user.id,
        {"role": role, "team_id": team_id, "email": email},
    )
    return user


def get_user(session: Session, user_id: str, *, org_id: str | None = None) -> User | None:
    user = session.get(User, user_id)
    if user is None or (org_id is not None and user.org_id != org_id):
        return None
    return user


def find_user(session: Session, id_or_email: str, *, org_id: str | None = None) -> User:
    """The user with this id, else the one user with this email (within ``org_id``)."""
    user = get_user(session, id_or_email, org_id=org_id)
    if user is not None:
        return user
    query = select(User).where(User.email == id_or_email.strip().lower())
    if org_id is not None:
        query = query.where(User.org_id == org_id)
    found = list(session.scalars(query.limit(2)))
    if not found:
        raise NotFound(f"no user with id or email {id_or_email!r}")
    if len(found) > 1:
        raise InvalidInput(f"users of several orgs have email {id_or_email!r}: give --org")
    return found[0]


def list_users(session: Session, org_id: str, *, team_id: str | None = None) -> list[User]:
    query = select(User).where(User.org_id == org_id)
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return list(session.scalars(query.order_by(User.created_at, User.id)))


def set_user_active(
    session: Session, user: User, active: bool, *, actor: Principal | None = None
) -> bool:
    """Enable or disable a user; True when that changed something. A disabled user's keys
    stop authenticating at once (``authenticate_api_key`` checks ``active``) and work
    again when the user is enabled: disabling is reversible, revoking a key is not."""
    if user.active == active:
        return False
    user.active = active
    session.flush()
    action = "user.enabled" if active else "user.disabled"
    audit.append(session, user.org_id, actor, action, "user", user.id, {"email": user.email})
    return True


def move_user_to_team(
    session: Session, user: User, team_id: str | None, *, actor: Principal | None = None
) -> bool:
    """Put a user in another team of their org (None: no team); True when it changed. A
    manager then sees the calls of the new team only."""
    if team_id is not None:
        team = session.get(Team, team_id)
        if team is None or team.org_id != user.org_id:
            raise InvalidInput(f"team {team_id!r} is not a team of org {user.org_id}")
    if user.team_id == team_id:
        return False
    previous = user.team_id
    user.team_id = team_id
    session.flush()
    audit.append(
        session,
        user.org_id,
        actor,
        "user.team_changed",
        "user",
        user.id,
        {"from_team_id": previous, "to_team_id": team_id},
    )
    return True


# --- API keys -------------------------------------------------------------------------


def create_api_key(
    session: Session,
    user: User,
    *,
    label: str = "",
    expires_at: datetime | None = None,
    actor: Principal | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``user``: the row and the plaintext ``cpk_…`` key.

    The plaintext is not stored anywhere: show it to the user now, it cannot be shown again.
    """
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("the key would already be expired")
    key_id, plaintext, secret_hash = new_key()
    row = ApiKey(
        id=key_id,
        org_id=user.org_id,
        user_id=user.id,
        secret_hash=secret_hash,
        label=label,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        user.org_id,
        actor,
        "api_key.created",
        "api_key",
        key_id,
        {
            "user_id": user.id,
            "label": label,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return row, plaintext


def revoke_api_key(
    session: Session,
    key_id_or_key: str,
    *,
    org_id: str | None = None,
    actor: Principal | None = None,
    now: datetime | None = None,
) -> ApiKey:
    """Revoke by key id (or by the whole key); revoking twice keeps the first time."""
    parsed = parse_key(key_id_or_key)
    key_id = parsed.key_id if parsed else key_id_or_key.strip()
    row = session.get(ApiKey, key_id)
    if row is None or (org_id is not None and row.org_id != org_id):
        raise NotFound(f"no API key {key_id!r}")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.flush()
        audit.append(
            session,
            row.org_id,
            actor,
            "api_key.revoked",
            "api_key",
            row.id,
            {"user_id": row.user_id},
        )
    return row


def list_api_keys(session: Session, user_id: str) -> list[ApiKey]:
    return list(
        session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at))
    )


# --- the demo tenant ------------------------------------------------------------------

DEMO_ORG_ID = "demo"
DEMO_TEAM_ID = "demo-team"
DEMO_MANAGER_ID = "demo-manager"
DEMO_REP_ID = "demo-rep"
DEMO_KEY_LABEL = "demo"


class DemoTenant(NamedTuple):
    org: Org
    manager: User
    rep: User
    rep_key: str
    manager_key: str


def ensure_demo_tenant(session: Session) -> DemoTenant:
    """The demo org (华东销售一组: a manager and a rep), created on first use, with fresh
    keys: earlier demo keys are revoked, since their plaintext is gone anyway."""
    org = session.get(Org, DEMO_ORG_ID) or create_org(session, "演示公司", org_id=DEMO_ORG_ID)
    if session.get(Team, DEMO_TEAM_ID) is None:
        create_team(session, org.id, "华东销售一组", team_id=DEMO_TEAM_ID)
    manager = session.get(User, DEMO_MANAGER_ID) or create_user(
        session,
        org.id,
        name="王经理",
        email="manager@demo.example",
        role="manager",
        team_id=DEMO_TEAM_ID,
        user_id=DEMO_MANAGER_ID,
    )
    rep = session.get(User, DEMO_REP_ID) or create_user(
        session,
        org.id,
        name="李销售",
        email="rep@demo.example",
        role="rep",
        team_id=DEMO_TEAM_ID,
        user_id=DEMO_REP_ID,
    )
    stale = session.scalars(
        select(ApiKey).where(
            or_(ApiKey.user_id == manager.id, ApiKey.user_id == rep.id),
            ApiKey.label == DEMO_KEY_LABEL,
            ApiKey.revoked_at.is_(None),
        )
    )
    for key in list(stale):
        revoke_api_key(session, key.id)
    _, rep_key = create_api_key(session, rep, label=DEMO_KEY_LABEL)
    _, manager_key = create_api_key(session, manager, label=DEMO_KEY_LABEL)
    return DemoTenant(org, manager, rep, rep_key, manager_key)


__all__ = [
    "DemoTenant",
    "create_api_key",
    "create_org",
    "create_team",
    "create_user",
    "ensure_demo_tenant",
    "find_org",
    "find_team",
    "find_user",
    "get_org",
    "get_user",
    "list_api_keys",
    "list_teams",
    "list_users",
    "max_upload_minutes",
    "move_user_to_team",
    "revoke_api_key",
    "set_user_active",
]
