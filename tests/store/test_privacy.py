"""Personal data: masked for display, bounded in flags, never in the audit chain, and a
manager reads only their team's audit records."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.detectors.pii import id_check_char, luhn_check_digit
from copilot.privacy import find_pii, mask_text, pii_key, pseudonymize, refs_for
from copilot.store import audit, repo
from copilot.store.flags import CONTEXT_CHARS
from copilot.store.models import AuditRecord

from .conftest import World

PHONE = "13912345678"
ID_CARD = "11010519491231002" + id_check_char("11010519491231002")
CARD = "622202123456789" + luhn_check_digit("622202123456789")


def test_numbers_are_masked_keeping_their_length() -> None:
    text = f"李总手机 139-1234-5678，身份证{ID_CARD}，卡号{CARD}，订单 2024051312345678。"
    masked = mask_text(text)
    assert "139-****-5678" in masked
    assert f"1101**********{ID_CARD[-4:]}" in masked
    assert f"************{CARD[-4:]}" in masked
    assert "2024051312345678" in masked  # an order number is not personal data
    assert len(masked) == len(text)
    assert [span.kind for span in find_pii(text)] == ["mobile", "id_card", "bank_card"]


def test_references_are_keyed_and_ignore_formatting() -> None:
    key, other = b"k" * 32, b"o" * 32
    spaced = pseudonymize("电话 139 1234 5678", key)
    assert PHONE[3:] not in spaced.replace(" ", "")
    assert spaced == pseudonymize(f"电话 {PHONE}", key) == "电话 " + refs_for(PHONE, key)[0]
    assert pseudonymize(PHONE, other) != pseudonymize(PHONE, key)


def _flag(session: Session, world: World, text: str, match: str) -> str:
    start = text.index(match)
    return repo.add_flag(
        session, org_id=world.org.id, rep_id=world.rep_a1.id, source="message", text=text,
        rule_id="privacy.mobile_number", category="privacy", severity="high",
        start=start, end=start + len(match), match=match,
    ).id  # fmt: skip


def test_a_flag_keeps_a_bounded_window_of_a_huge_message(db_session: Session, world: World) -> None:
    s = db_session
    # A phone number straddling where the window would start is left out whole.
    head = "好" * 100_000 + f"联系{PHONE}"
    text = head + "好" * (CONTEXT_CHARS - 8) + "我们保证效果" + "好" * 150_000
    flag = repo.get_flag(s, world.who(world.admin), _flag(s, world, text, "保证"))
    assert flag is not None
    assert len(flag.text) <= 2 * CONTEXT_CHARS + 2
    assert flag.text[flag.start : flag.end] == "保证"
    assert text[flag.text_offset : flag.text_offset + len(flag.text)] == flag.text
    assert flag.text_offset == len(head) and flag.text_chars == len(text)
    assert not any(ch.isdigit() for ch in flag.text)
    short = repo.get_flag(s, world.who(world.admin), _flag(s, world, "我保证", "保证"))
    assert short is not None and (short.text, short.start, short.text_offset) == ("我保证", 1, 0)


def test_no_personal_number_enters_the_audit_chain(db_session: Session, world: World) -> None:
    s = db_session
    flag_id = _flag(s, world, f"王经理的手机是{PHONE}，您直接打。", PHONE)
    repo.set_flag_status(
        s, world.who(world.rep_a1), flag_id, "overridden", f"客户要求，身份证 {ID_CARD}"
    )
    s.commit()
    details = [r.detail for r in s.scalars(select(AuditRecord))]
    dump = str(details)
    for value in (PHONE, ID_CARD, ID_CARD[:17]):
        assert value not in dump
    key = pii_key()
    assert refs_for(PHONE, key)[0] in dump and refs_for(ID_CARD, key)[0] in dump
    assert audit.verify_chain(s, world.org.id).ok
    # The flag itself keeps the number: an admin's reveal needs it, retention masks it.
    assert repo.reveal_flag(s, world.who(world.admin), flag_id) is not None
    s.commit()
    revealed = s.scalars(audit.visible_audit_query(world.who(world.admin)).limit(1)).one()
    assert (revealed.action, revealed.subject_id) == ("flag.revealed", flag_id)


def test_a_manager_reads_only_their_teams_audit_records(db_session: Session, world: World) -> None:
    s = db_session
    mine = _flag(s, world, "我保证", "保证")
    theirs = repo.add_flag(
        s, org_id=world.org.id, rep_id=world.rep_b.id, source="message", text="业内第一",
        rule_id="x", category="absolute_claim", severity="high", start=0, end=4, match="业内第一",
    ).id  # fmt: skip
    audit.append(s, world.org.id, world.who(world.admin), "flags.exported", "org", world.org.id)
    s.commit()

    def seen(user_principal: object) -> set[tuple[str, str]]:
        query = audit.visible_audit_query(user_principal)  # type: ignore[arg-type]
        return {(r.subject_type, r.subject_id) for r in s.scalars(query)}

    manager = seen(world.who(world.manager_a))
    assert ("flag", mine) in manager and ("flag", theirs) not in manager
    assert ("user", world.rep_a1.id) in manager and ("user", world.rep_b.id) not in manager
    assert ("org", world.org.id) not in manager  # another's export
    assert not any(sid == world.other_rep.id for _, sid in manager)
    admin = seen(world.who(world.admin))
    assert {("flag", mine), ("flag", theirs), ("org", world.org.id)} <= admin
    assert audit.count_visible(s, world.who(world.manager_a)) == len(manager)
