"""The demo tenant: created once, fresh working keys on every call."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from copilot.auth import AuthError, authenticate_api_key
from copilot.store import audit, repo


def test_demo_tenant_is_reused_and_hands_out_fresh_keys(db_session: Session) -> None:
    first = repo.ensure_demo_tenant(db_session)
    db_session.commit()
    org, manager, rep, rep_key, manager_key = first
    assert (manager.role, rep.role) == ("manager", "rep")
    assert manager.team_id == rep.team_id is not None
    assert authenticate_api_key(db_session, rep_key).user_id == rep.id
    assert authenticate_api_key(db_session, manager_key).role == "manager"

    second = repo.ensure_demo_tenant(db_session)
    db_session.commit()
    assert (second.org.id, second.manager.id, second.rep.id) == (org.id, manager.id, rep.id)
    assert second.rep_key != rep_key
    assert authenticate_api_key(db_session, second.rep_key).user_id == rep.id
    with pytest.raises(AuthError):
        authenticate_api_key(db_session, rep_key)  # the old demo key was revoked
    assert audit.verify_chain(db_session, org.id).ok
