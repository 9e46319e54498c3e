"""客户决策链图谱: a customer account's people and bodies, gathered over its calls.

An account is the ``account`` tag of a call (its CRM account id, else the customer's name).
Only the calls the viewer may see count, so a manager's graph is built from their team's
calls; an account none of whose calls they may see does not exist for them. Only the
summary's ``decision_chain`` is read from each call (extracted in SQL), never its transcript.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from copilot.auth import Principal, visible_calls_query
from copilot.store.models import Call, CallTag

ACCOUNTS_PAGE_SIZE = 50


def _visible(principal: Principal) -> ColumnElement[bool]:
    where = visible_calls_query(principal).whereclause
    assert where is not None  # always scoped to the org at least
    return where


@dataclass(frozen=True)
class AccountRow:
    key: str
    name: str  # a customer name of its latest call (the key may be a CRM id)
    calls: int
    last_call: datetime


def list_accounts(
    session: Session, principal: Principal, page: int, search: str | None = None
) -> tuple[list[AccountRow], int]:
    """One page of the accounts with visible calls, latest call first, and how many."""
    conditions = [
        CallTag.org_id == principal.org_id,
        CallTag.kind == "account",
        _visible(principal),
    ]
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            CallTag.value.like(pattern, escape="\\") | Call.customer_name.like(pattern, escape="\\")
        )
    last = func.max(Call.started_at).label("last_call")
    grouped = (
        select(CallTag.value, func.count().label("calls"), last, func.max(Call.customer_name))
        .join(Call, Call.id == CallTag.call_id)
        .where(*conditions)
        .group_by(CallTag.value)
    )
    total = session.scalar(select(func.count()).select_from(grouped.subquery())) or 0
    query = grouped.order_by(last.desc(), CallTag.value).limit(ACCOUNTS_PAGE_SIZE)
    rows = session.execute(query.offset((page - 1) * ACCOUNTS_PAGE_SIZE)).all()
    return [
        AccountRow(key, name or key, int(calls), _aware(last_call))
        for key, calls, last_call, name in rows
    ], int(total)


def _aware(moment: Any) -> datetime:
    # MAX() keeps the column's type, so this is the aware UTC time; the guard is for a
    # driver that hands back the raw value instead.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class ChainMember:
    """A person or body named in the account's calls."""

    name: str
    role: str | None = None
    kind: str = "person"  # person | body
    order: int | None = None  # place in the approval order last stated
    last_mentioned: datetime | None = None
    call_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AccountCall:
    id: str
    started_at: datetime
    rep_id: str
    customer_name: str
    people: list[str]


@dataclass
class AccountChain:
    key: str
    name: str
    calls: list[AccountCall]
    members: list[ChainMember]
    # (before, after) → how many calls stated that step of the approval order.
    steps: dict[tuple[str, str], int]
    # The approval order as last stated (the latest call naming two or more steps).
    approval_order: list[str]


def _chain_items(chain: Any) -> list[dict[str, Any]]:
    if not isinstance(chain, list):
        return []
    items = []
    for item in chain:
        if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].strip():
            items.append(item)
    return items


def account_chain(session: Session, principal: Principal, key: str) -> AccountChain | None:
    """The account's decision chain over the calls ``principal`` may see; None when there
    are none (missing, another team's or another org's account)."""
    query = (
        select(
            Call.id,
            Call.started_at,
            Call.rep_id,
            Call.customer_name,
            Call.summary["decision_chain"],
        )  # fmt: skip
        .join(CallTag, CallTag.call_id == Call.id)
        .where(
            CallTag.org_id == principal.org_id,
            CallTag.kind == "account",
            CallTag.value == key,
            _visible(principal),
        )
        .order_by(Call.started_at, Call.id)
    )
    rows = session.execute(query).all()
    if not rows:
        return None
    members: dict[str, ChainMember] = {}
    steps: dict[tuple[str, str], int] = {}
    calls: list[AccountCall] = []
    approval_order: list[str] = []
    for call_id, started_at, rep_id, customer_name, chain in rows:  # oldest first
        items = _chain_items(chain)
        for item in items:
            name = item["name"].strip()
            member = members.setdefault(name, ChainMember(name))
            member.role = item.get("role") or member.role
            member.kind = item.get("kind") or member.kind
            member.order = item.get("order") if isinstance(item.get("order"), int) else member.order
            member.last_mentioned = started_at
            if call_id not in member.call_ids:
                member.call_ids.append(call_id)
        ordered = sorted(
            (item for item in items if isinstance(item.get("order"), int)),
            key=lambda item: int(item["order"]),
        )
        names = list(dict.fromkeys(item["name"].strip() for item in ordered))
        for before, after in zip(names, names[1:], strict=False):
            steps[(before, after)] = steps.get((before, after), 0) + 1
        if len(names) >= 2:
            approval_order = names
        people = list(dict.fromkeys(item["name"].strip() for item in items))
        calls.append(AccountCall(call_id, started_at, rep_id, customer_name, people))
    ranked = sorted(
        members.values(),
        key=lambda m: (
            m.order is None,
            m.order or 0,
            -(m.last_mentioned or rows[0][1]).timestamp(),
        ),
    )
    return AccountChain(
        key=key,
        name=calls[-1].customer_name or key,
        calls=list(reversed(calls)),  # newest first on the page
        members=ranked,
        steps=steps,
        approval_order=approval_order,
    )
