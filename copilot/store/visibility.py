"""What a principal may see, as SQL conditions and as in-Python checks.

A rep sees their own calls and flags, a manager those of the users in their team (and their
own), an admin and an integration key the whole org. Every rule is scoped to the principal's
org first, so no tenant ever sees another's rows.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from copilot.principal import Principal
from copilot.store.models import Call, Flag, User


def _sees_rep(principal: Principal, rep_column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    """The SQL condition "the principal may see rows of the rep in ``rep_column``"."""
    if principal.role in ("admin", "integration"):
        return true()  # org-wide: the org filter next to this condition does the scoping
    if principal.role == "manager" and principal.team_id is not None:
        team = select(User.id).where(
            User.org_id == principal.org_id, User.team_id == principal.team_id
        )
        return or_(rep_column == principal.user_id, rep_column.in_(team))
    return rep_column == principal.user_id


def visible_calls_query(principal: Principal) -> Select[Call]:
    """``SELECT calls`` the principal may see; add filters and ordering to it."""
    return select(Call).where(Call.org_id == principal.org_id, _sees_rep(principal, Call.rep_id))


def visible_flags_query(principal: Principal) -> Select[Flag]:
    """``SELECT flags`` the principal may see; add filters and ordering to it."""
    return select(Flag).where(Flag.org_id == principal.org_id, _sees_rep(principal, Flag.rep_id))


def can_see_rep_row(
    principal: Principal, org_id: str, rep_id: str, rep_team_id: str | None
) -> bool:
    """The in-Python twin of the queries above, for a row already loaded."""
    if org_id != principal.org_id:
        return False
    if principal.role in ("admin", "integration") or rep_id == principal.user_id:
        return True
    return (
        principal.role == "manager"
        and principal.team_id is not None
        and rep_team_id == principal.team_id
    )


def can_see_call(principal: Principal, call: Call, rep_team_id: str | None) -> bool:
    """Whether ``call`` (whose rep is in team ``rep_team_id``) is visible to the principal."""
    return can_see_rep_row(principal, call.org_id, call.rep_id, rep_team_id)


def can_see_flag(principal: Principal, flag: Flag, rep_team_id: str | None) -> bool:
    return can_see_rep_row(principal, flag.org_id, flag.rep_id, rep_team_id)
