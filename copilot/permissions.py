"""Who may do what to whose data: the permission table, as data, and the one check.

``docs/permissions.md`` is the same table in prose (a test keeps the two identical). Each
action maps every role allowed to do it to the widest data it may act on:

- ``own``: rows whose rep is the caller;
- ``team``: the caller's own, and those of the users in the caller's team;
- ``org``: anyone's in the caller's org.

A role missing from an action's row may not do it at all (403, before any lookup, so the
answer never says whether the data exists). Data in another org is never in scope; the
routes answer it ``404`` through the visibility rules (``copilot.store.visibility``), which
every scope here stays within. Data the caller can see but not act on is ``403``.

Framework-free, like ``copilot.auth``: every HTTP route, WebSocket and dashboard action
calls :func:`authorize` and maps :class:`~copilot.auth.Forbidden` to its own answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from copilot.auth import Forbidden
from copilot.principal import Principal, Role

Scope = Literal["own", "team", "org"]
SCOPES: tuple[str, ...] = get_args(Scope)

Action = Literal[
    "calls.create",
    "calls.read",
    "calls.events",
    "calls.stream",
    "calls.end",
    "calls.edit_summary",
    "calls.confirm",
    "crm.lookup",
    "followups.read",
    "followups.update",
    "auth.socket_token",
    "compliance.scan",
    "compliance.scan_batch",
    "compliance.override",
    "suggestions.suggest",
    "suggestions.feedback",
    "flags.list",
    "flags.review",
    "flags.reveal",
    "flags.verdict",
    "labels.correct_insight",
    "transcripts.correct",
    "audit.read",
    "dashboard.use",
    "scorecards.read",
    "scorecards.items",
    "scorecards.dispute",
    "scorecards.decide",
]
ACTIONS: tuple[str, ...] = get_args(Action)

# Keep in step with docs/permissions.md (tests/service/test_permissions.py compares them).
PERMISSIONS: dict[Action, dict[Role, Scope]] = {
    "calls.create": {"rep": "own", "manager": "own", "admin": "own", "integration": "own"},
    "calls.read": {"rep": "own", "manager": "team", "admin": "org", "integration": "org"},
    "calls.events": {"rep": "own", "manager": "team", "admin": "org", "integration": "own"},
    "calls.stream": {"rep": "own", "manager": "own", "admin": "own", "integration": "own"},
    "calls.end": {"rep": "own", "manager": "own", "admin": "org", "integration": "own"},
    "calls.edit_summary": {"rep": "own", "manager": "team", "admin": "org"},
    "calls.confirm": {"rep": "own", "manager": "team", "admin": "org"},
    "crm.lookup": {"rep": "own", "manager": "own", "admin": "own"},
    "followups.read": {"rep": "own", "manager": "own", "admin": "own"},
    "followups.update": {"rep": "own", "manager": "own", "admin": "own"},
    "auth.socket_token": {"rep": "own", "manager": "team", "admin": "org", "integration": "own"},
    "compliance.scan": {"rep": "own", "manager": "own", "admin": "own", "integration": "own"},
    "compliance.scan_batch": {
        "rep": "own",
        "manager": "team",
        "admin": "org",
        "integration": "org",
    },
    "compliance.override": {"rep": "own", "manager": "own", "admin": "own"},
    "suggestions.suggest": {"rep": "own", "manager": "own", "admin": "own"},
    "suggestions.feedback": {"rep": "own", "manager": "own", "admin": "own"},
    "flags.list": {"rep": "own", "manager": "team", "admin": "org"},
    "flags.review": {"manager": "team", "admin": "org"},
    "flags.reveal": {"admin": "org"},
    "flags.verdict": {"manager": "team", "admin": "org"},
    "labels.correct_insight": {"rep": "own", "manager": "team", "admin": "org"},
    "transcripts.correct": {"manager": "team", "admin": "org"},
    "audit.read": {"manager": "team", "admin": "org"},
    "dashboard.use": {"manager": "team", "admin": "org"},
    "scorecards.read": {"rep": "own", "manager": "team", "admin": "org"},
    "scorecards.items": {"rep": "own", "manager": "own", "admin": "own"},
    "scorecards.dispute": {"rep": "own", "manager": "own", "admin": "own"},
    "scorecards.decide": {"manager": "team", "admin": "org"},
}


@dataclass(frozen=True)
class Owner:
    """Whose data a row is: the rep it belongs to, with their org and team."""

    org_id: str
    user_id: str
    team_id: str | None


def scope_of(role: str, action: Action) -> Scope | None:
    """The widest data ``role`` may do ``action`` on; None: not at all."""
    return PERMISSIONS[action].get(role)  # type: ignore[call-overload]


def covers(principal: Principal, scope: Scope, owner: Owner) -> bool:
    """Whether ``owner``'s data lies within ``scope`` as seen from ``principal``."""
    if owner.org_id != principal.org_id:
        return False
    if owner.user_id == principal.user_id or scope == "org":
        return True
    return scope == "team" and principal.team_id is not None and owner.team_id == principal.team_id


def authorize(principal: Principal, action: Action, owner: Owner | None = None) -> None:
    """Raise :class:`Forbidden` unless ``principal`` may do ``action`` (on ``owner``'s data).

    Call it without ``owner`` before loading anything (the role check), and again with the
    loaded row's owner (the scope check).
    """
    scope = scope_of(principal.role, action)
    if scope is None:
        allowed = " or ".join(PERMISSIONS[action]) or "nobody"
        raise Forbidden(f"{action} is for {allowed}; this key is {principal.role}")
    if owner is not None and not covers(principal, scope, owner):
        raise Forbidden(f"a {principal.role} may do {action} only on {_SCOPE_WORDS[scope]}")


_SCOPE_WORDS: dict[Scope, str] = {
    "own": "their own calls and flags",
    "team": "their team's calls and flags",
    "org": "their organisation's calls and flags",
}
