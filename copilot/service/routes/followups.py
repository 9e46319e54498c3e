"""The rep's reminders and the CRM records a call can be filed under.

``GET /v1/followups?state=open|done|all``, ``PATCH /v1/followups/{id}`` with ``{"done"}``:
the tasks the rep's confirmed calls committed them (or their customers) to.
``GET /v1/crm/accounts?q=`` offers CRM identities for the side panel's picker: the ones the
org's reps picked before for a matching customer, and the org's CRM lookup's answer.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Literal

import httpx
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, TypeAdapter, ValidationError

from copilot.crm.filing import CrmIdentity
from copilot.crm.targets import OrgCrm, org_crm
from copilot.principal import Principal
from copilot.service.deps import Permit, StateDep, call_for, not_found
from copilot.service.routes.models import Body
from copilot.store import filing
from copilot.store.models import FollowUp, Org, User

router = APIRouter(tags=["followups"])

MAX_LOOKUP_RESULTS = 20


class FollowUpInfo(BaseModel):
    id: str
    call_id: str
    subject: str
    owner: str
    due_date: date | None
    due_text: str | None
    customer_name: str
    evidence: str
    done: bool


class FollowUps(BaseModel):
    followups: list[FollowUpInfo]


class DoneChange(Body):
    done: bool


def _info(row: FollowUp, customer_name: str) -> FollowUpInfo:
    return FollowUpInfo(
        id=row.id,
        call_id=row.call_id,
        subject=row.subject,
        owner=row.owner,
        due_date=row.due_date,
        due_text=row.due_text,
        customer_name=customer_name,
        evidence=row.evidence,
        done=row.done_at is not None,
    )


@router.get("/followups")
def list_followups(
    principal: Annotated[Principal, Depends(Permit("followups.read"))],
    state: StateDep,
    which: Annotated[Literal["open", "done", "all"], Query(alias="state")] = "open",
) -> FollowUps:
    with state.sessions() as session:
        rows = filing.list_followups(session, principal, which)
        return FollowUps(followups=[_info(row, name) for row, name in rows])


@router.patch("/followups/{followup_id}")
def mark_followup(
    followup_id: str,
    body: DoneChange,
    principal: Annotated[Principal, Depends(Permit("followups.update"))],
    state: StateDep,
) -> FollowUpInfo:
    with state.sessions.begin() as session:
        row = filing.get_followup(session, principal.org_id, followup_id)
        if row is None:
            raise not_found("follow-up")
        call = call_for(session, principal, row.call_id, "followups.update")
        filing.set_followup_done(session, principal, row, body.done)
        return _info(row, call.customer_name)


class OfferedIdentity(CrmIdentity):
    source: Literal["remembered", "lookup"]


class Accounts(BaseModel):
    accounts: list[OfferedIdentity]
    # Why the org's CRM lookup gave nothing this time (down, slow, a bad answer).
    lookup_error: str | None = None


_IDENTITIES = TypeAdapter(list[CrmIdentity])


def lookup(config: OrgCrm, query: str, rep_email: str) -> list[CrmIdentity]:
    """Ask the org's CRM lookup endpoint; raises ``LookupFailed`` with a reason."""
    assert config.lookup_url is not None
    try:
        response = httpx.get(
            config.lookup_url,
            params={"q": query, "rep": rep_email},
            timeout=config.lookup_timeout_s,
            follow_redirects=False,
        )
    except httpx.TimeoutException as exc:
        raise LookupFailed(f"the CRM lookup took over {config.lookup_timeout_s:g} s") from exc
    except httpx.HTTPError as exc:
        raise LookupFailed(f"the CRM lookup is unreachable ({type(exc).__name__})") from exc
    if not response.is_success:
        raise LookupFailed(f"the CRM lookup answered HTTP {response.status_code}")
    try:
        found = _IDENTITIES.validate_json(response.content)
    except ValidationError as exc:
        raise LookupFailed("the CRM lookup's answer is not a list of CRM identities") from exc
    return found[:MAX_LOOKUP_RESULTS]


class LookupFailed(Exception):
    pass


@router.get("/crm/accounts")
async def find_accounts(
    principal: Annotated[Principal, Depends(Permit("crm.lookup"))],
    state: StateDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Accounts:
    def stored() -> tuple[list[CrmIdentity], OrgCrm, str]:
        with state.sessions() as session:
            org = session.get(Org, principal.org_id)
            user = session.get(User, principal.user_id)
            return (
                filing.search_accounts(session, principal.org_id, q.strip()),
                org_crm(org.crm if org else None),
                user.email if user else "",
            )

    remembered, config, email = await state.run_db(stored)
    offered = [OfferedIdentity(**i.model_dump(), source="remembered") for i in remembered]
    error = None
    if config.lookup_url and q.strip():
        try:
            found = await asyncio.to_thread(lookup, config, q.strip(), email)
        except LookupFailed as exc:
            error = str(exc)
        else:
            known = {(i.account_id, i.opportunity_id, i.contact_id) for i in remembered}
            offered += [
                OfferedIdentity(**i.model_dump(), source="lookup")
                for i in found
                if (i.account_id, i.opportunity_id, i.contact_id) not in known
            ]
    return Accounts(accounts=offered, lookup_error=error)
