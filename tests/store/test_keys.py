"""API keys: shown once, stored as a hash, refused when expired, revoked or malformed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.auth import AuthError, authenticate_api_key
from copilot.store import repo
from copilot.store.keys import parse_key
from copilot.store.models import ApiKey, AuditRecord, utcnow

from .conftest import World


def test_a_new_key_is_returned_once_and_only_its_hash_is_stored(
    db_session: Session, world: World
) -> None:
    row, key = repo.create_api_key(db_session, world.rep_a1, label="chrome")
    db_session.commit()
    assert key.startswith(f"cpk_{row.id}_")
    secret = key.split("_", 2)[2]
    stored = db_session.scalars(select(ApiKey)).all()
    assert [k.id for k in stored] == [row.id]
    assert secret not in stored[0].secret_hash and key not in stored[0].secret_hash
    assert stored[0].secret_hash.startswith("sha256:")
    principal = authenticate_api_key(db_session, key)
    assert principal.model_dump() == {
        "org_id": world.org.id,
        "user_id": world.rep_a1.id,
        "role": "rep",
        "team_id": world.team_a.id,
    }
    actions = db_session.scalars(
        select(AuditRecord.action).where(AuditRecord.subject_id == row.id)
    ).all()
    assert actions == ["api_key.created"]


def test_last_used_is_recorded_but_not_on_every_request(db_session: Session, world: World) -> None:
    row, key = repo.create_api_key(db_session, world.rep_a1)
    assert row.last_used_at is None
    now = utcnow()
    authenticate_api_key(db_session, key, now=now)
    assert row.last_used_at == now
    authenticate_api_key(db_session, key, now=now + timedelta(seconds=5))
    assert row.last_used_at == now
    later = now + timedelta(minutes=2)
    authenticate_api_key(db_session, key, now=later)
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(ApiKey, row.id).last_used_at == later  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "cpk_",
        "Bearer cpk_0123456789abcdef_x",
        "cpk_0123456789abcdef_" + "A" * 43,  # well-formed, unknown id
        "sk-" + "a" * 48,
        "cpk_0123456789ABCDEF_" + "A" * 43,
        "cpk_0123456789abcdef_" + "A" * 42 + "!",
    ],
)
def test_malformed_and_unknown_keys_fail_alike(
    db_session: Session, world: World, presented: str
) -> None:
    with pytest.raises(AuthError, match="^invalid API key$"):
        authenticate_api_key(db_session, presented)


def test_wrong_secret_expired_revoked_and_deactivated_fail_alike(
    db_session: Session, world: World
) -> None:
    row, key = repo.create_api_key(db_session, world.rep_a1)
    wrong = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert parse_key(wrong) is not None
    with pytest.raises(AuthError, match="^invalid API key$"):
        authenticate_api_key(db_session, wrong)

    soon = utcnow() + timedelta(hours=1)
    expiring, expiring_key = repo.create_api_key(db_session, world.rep_a2, expires_at=soon)
    authenticate_api_key(db_session, expiring_key)
    with pytest.raises(AuthError, match="^invalid API key$"):
        authenticate_api_key(db_session, expiring_key, now=soon)

    repo.revoke_api_key(db_session, key)  # by the whole key, or by id below
    assert repo.revoke_api_key(db_session, row.id).revoked_at is not None
    with pytest.raises(AuthError, match="^invalid API key$"):
        authenticate_api_key(db_session, key)

    _, manager_key = repo.create_api_key(db_session, world.manager_a)
    world.manager_a.active = False
    db_session.flush()
    with pytest.raises(AuthError, match="^invalid API key$"):
        authenticate_api_key(db_session, manager_key)


def test_an_already_expired_key_cannot_be_created(db_session: Session, world: World) -> None:
    with pytest.raises(repo.InvalidInput):
        repo.create_api_key(db_session, world.rep_a1, expires_at=utcnow() - timedelta(days=1))


def test_revoking_an_unknown_key_or_another_orgs_key_is_not_found(
    db_session: Session, world: World
) -> None:
    row, _ = repo.create_api_key(db_session, world.other_rep)
    with pytest.raises(repo.NotFound):
        repo.revoke_api_key(db_session, "0123456789abcdef")
    with pytest.raises(repo.NotFound):
        repo.revoke_api_key(db_session, row.id, org_id=world.org.id)
