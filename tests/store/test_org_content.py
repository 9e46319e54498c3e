"""An org's own KB entries, vendors, products and rule overrides: checked, stored, versioned,
kept apart from other orgs, and managed with ``copilot orgs kb|vendors|products|rules``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from compliance import ComplianceConfig, RulePackError
from copilot.commands import admin
from copilot.commands import org_content as org_commands
from copilot.settings import get_settings
from copilot.store import org_content, repo
from copilot.store.db import make_engine, session_factory
from copilot.store.errors import InvalidInput, NotFound
from copilot.store.models import AuditRecord
from copilot.store.org_content import Vendor
from knowledge_base import CONTENT_DIR
from retrieval import load_kb

SHIPPED = load_kb(CONTENT_DIR).tags

BATTLECARD = """\
- id: kb-battle-yunxiaotong
  kind: battlecard
  title: 对比云销通
  text: 云销通报价低，但不含 ERP 连接器；请客户把接口和实施费用一起算进总成本。
  tags: [competitor, yunxiaotong, general]
  updated: 2026-02-01
"""

BROKEN = """\
- id: kb-script-price-acme-01
  kind: script
  title: 价格异议（本公司话术）
  text: 先确认对比的版本和用户数。
  tags: [price, general]
  updated: 2026-02-01
- id: kb-script-price-acme-02
  kind: script
  title: 缺字段
  tags: [price, general, no_such_tag]
  updated: 2026-02-01
"""

RULES = """\
disable: [guarantee.delivery]
severity:
  absolute_claim.superlative: low
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_entries_need_known_tags_and_a_vendor_tag_makes_them_valid(
    db_session: Session, tmp_path: Path
) -> None:
    org = repo.create_org(db_session, "甲公司")
    path = write(tmp_path, "battle.yaml", BATTLECARD)
    with pytest.raises(InvalidInput, match=rf"{path}:5: kb-battle-yunxiaotong: unknown tag"):
        org_content.read_kb_file(path, org_content.org_vocabulary(SHIPPED, []))

    vendor = Vendor(name="云销通", aliases=("YunXiao",), tag="yunxiaotong")
    org_content.add_vendors(db_session, org.id, [vendor], SHIPPED)
    vocabulary = org_content.org_vocabulary(SHIPPED, org_content.list_vendors(db_session, org.id))
    entries, sources = org_content.read_kb_file(path, vocabulary)
    assert org_content.add_entries(db_session, org.id, entries, sources) == (1, 0)
    assert org_content.add_entries(db_session, org.id, entries, sources) == (0, 1)

    content = org_content.load_content(db_session, org.id)
    assert [e.id for e in content.entries] == ["kb-battle-yunxiaotong"]
    assert content.extra_tags() == {"competitor": {"yunxiaotong": "云销通"}}
    assert content.sources["kb-battle-yunxiaotong"] == f"{path}:1"
    assert content.version == 3  # one vendor change, two entry changes
    actions = db_session.scalars(select(AuditRecord.action).where(AuditRecord.org_id == org.id))
    assert list(actions) == ["org.vendors.added", "org.kb.added", "org.kb.added"]
    # While an entry carries the vendor's tag, the vendor stays.
    with pytest.raises(InvalidInput, match="kb-battle-yunxiaotong carries tag 'yunxiaotong'"):
        org_content.remove_vendors(db_session, org.id, ["云销通"])


def test_a_bad_kb_file_names_file_and_line_and_stores_nothing(
    db_session: Session, tmp_path: Path
) -> None:
    org = repo.create_org(db_session, "甲公司")
    path = write(tmp_path, "scripts.yaml", BROKEN)
    with pytest.raises(InvalidInput) as caught:
        org_content.read_kb_file(path, SHIPPED)
    message = str(caught.value)
    assert f"{path}:7: kb-script-price-acme-02: missing field 'text'" in message
    assert f"{path}:10: kb-script-price-acme-02: unknown tag 'no_such_tag'" in message
    broken_yaml = write(tmp_path, "broken.yaml", "- id: kb-x\n  tags: [a\n")
    with pytest.raises(InvalidInput, match=rf"{broken_yaml}:\d+: -: broken YAML"):
        org_content.read_kb_file(broken_yaml, SHIPPED)
    assert org_content.load_content(db_session, org.id).entries == ()


def test_rule_overrides_are_checked_against_the_pack(tmp_path: Path) -> None:
    config = ComplianceConfig()
    good = org_content.read_rule_overrides(write(tmp_path, "ok.yaml", RULES), config)
    assert good.disable == ["guarantee.delivery"]
    unknown = write(tmp_path, "bad.yaml", "disable: [guarantee.no_such_rule]\n")
    with pytest.raises(RulePackError, match=r"bad.yaml: rule guarantee.no_such_rule: disable"):
        org_content.read_rule_overrides(unknown, config)
    typo = write(tmp_path, "typo.yaml", "disabel: [guarantee.delivery]\n")
    with pytest.raises(RulePackError, match="typo.yaml: disabel: Extra inputs"):
        org_content.read_rule_overrides(typo, config)


def test_one_orgs_content_never_shows_in_another(db_session: Session, tmp_path: Path) -> None:
    mine = repo.create_org(db_session, "甲公司")
    theirs = repo.create_org(db_session, "乙公司")
    org_content.add_vendors(db_session, mine.id, [Vendor(name="云销通")], SHIPPED)
    org_content.add_products(db_session, mine.id, ["云帆CRM旗舰版", "云帆CRM旗舰版"])
    overrides = org_content.read_rule_overrides(
        write(tmp_path, "r.yaml", RULES), ComplianceConfig()
    )
    org_content.set_rule_overrides(db_session, mine.id, overrides, "r.yaml")

    content = org_content.load_content(db_session, mine.id)
    assert content.hotwords() == ("云帆CRM旗舰版", "云销通")
    assert content.overrides is not None and content.overrides.disable == ["guarantee.delivery"]
    other = org_content.load_content(db_session, theirs.id)
    assert (other.version, other.vendors, other.products, other.overrides) == (0, (), (), None)
    with pytest.raises(NotFound, match="no product"):
        org_content.remove_products(db_session, theirs.id, ["云帆CRM旗舰版"])
    org_content.set_rule_overrides(db_session, mine.id, None)
    assert org_content.load_content(db_session, mine.id).overrides is None


def test_a_vendor_tag_cannot_take_a_tag_of_another_group(db_session: Session) -> None:
    org = repo.create_org(db_session, "甲公司")
    with pytest.raises(InvalidInput, match="tag 'price' is a objection tag"):
        org_content.add_vendors(db_session, org.id, [Vendor(name="X", tag="price")], SHIPPED)


# --- the commands -------------------------------------------------------------------------

runner = CliRunner()
app = typer.Typer()
admin.register(app)
org_commands.register(app)


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("COPILOT_DATABASE__URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_the_commands_manage_an_orgs_content(cli_db: str, tmp_path: Path) -> None:
    org_id = run("orgs", "create", "甲公司")
    battle = write(tmp_path, "battle.yaml", BATTLECARD)
    refused = runner.invoke(app, ["orgs", "kb", "add", "--org", "甲公司", str(battle)])
    assert refused.exit_code == 1 and f"{battle}:5: kb-battle-yunxiaotong: unknown tag" in (
        refused.stderr
    )
    vendors = write(
        tmp_path,
        "vendors.yaml",
        "competitors:\n  - {name: 云销通, aliases: [YunXiao], tag: yunxiaotong}\n",
    )
    assert run("orgs", "vendors", "add", "--org", org_id, str(vendors)) == "云销通"
    assert run("orgs", "vendors", "add", "--org", org_id, "--name", "快启CRM") == "快启CRM"
    bad_tag = runner.invoke(
        app, ["orgs", "vendors", "add", "--org", org_id, "--name", "Y", "--tag", "Bad Tag"]
    )
    assert bad_tag.exit_code == 1 and "--tag" in bad_tag.stderr
    assert run("orgs", "kb", "validate", "--org", org_id, str(battle)) == ""
    assert run("orgs", "kb", "add", "--org", org_id, str(battle)) == "kb-battle-yunxiaotong"
    assert run("orgs", "kb", "list", "--org", org_id).startswith(
        "kb-battle-yunxiaotong\tbattlecard"
    )
    run("orgs", "products", "add", "--org", org_id, "云帆CRM旗舰版")
    assert run("orgs", "products", "list", "--org", org_id) == "云帆CRM旗舰版"

    unknown = write(tmp_path, "bad.yaml", "severity: {guarantee.nope: low}\n")
    refused = runner.invoke(app, ["orgs", "rules", "set", "--org", org_id, str(unknown)])
    assert refused.exit_code == 1 and "rule guarantee.nope: severity: no rule" in refused.stderr
    run("orgs", "rules", "set", "--org", org_id, str(write(tmp_path, "ok.yaml", RULES)))
    assert "guarantee.delivery" in run("orgs", "rules", "show", "--org", org_id)

    run("orgs", "kb", "remove", "--org", org_id, "kb-battle-yunxiaotong")
    run("orgs", "vendors", "remove", "--org", org_id, "云销通")
    run("orgs", "rules", "clear", "--org", org_id)
    assert run("orgs", "rules", "show", "--org", org_id) == ""
    engine = make_engine(cli_db)
    try:
        with session_factory(engine)() as session:
            content = org_content.load_content(session, org_id)
    finally:
        engine.dispose()
    assert [v.name for v in content.vendors] == ["快启CRM"] and content.entries == ()
    assert content.version == 8


def test_text_the_database_cannot_keep_is_refused_by_column_and_nothing_is_stored(
    cli_db: str, tmp_path: Path
) -> None:
    """A NUL escaped in a YAML file, or a command-line argument that was not UTF-8 (Python
    reads its bytes as lone surrogates), is named instead of failing in the database driver
    (PostgreSQL refuses NUL in text; neither database can encode a lone surrogate)."""
    org_id = run("orgs", "create", "甲公司")
    vendors = write(tmp_path, "vendors.yaml", 'competitors:\n  - {name: "云\\x00销通"}\n')
    refused = runner.invoke(app, ["orgs", "vendors", "add", "--org", org_id, str(vendors)])
    assert refused.exit_code == 1
    assert (
        "cannot store org_vendors.name: holds a NUL character (U+0000) at character 1"
        in refused.stderr
    )
    refused = runner.invoke(app, ["orgs", "products", "add", "--org", org_id, "云帆\udcff旗舰版"])
    assert refused.exit_code == 1
    assert "cannot store org_products.name: holds a lone UTF-16 surrogate" in refused.stderr
    run("orgs", "products", "add", "--org", org_id, "云帆CRM旗舰版")
    engine = make_engine(cli_db)
    try:
        with session_factory(engine)() as session:
            content = org_content.load_content(session, org_id)
            assert (content.vendors, content.products, content.version) == (
                (),
                ("云帆CRM旗舰版",),
                1,
            )
            # A change to a stored row is checked as a new one is.
            org = repo.find_org(session, org_id)
            org.name = "甲\x00公司"
            with pytest.raises(InvalidInput, match=r"cannot store orgs\.name: holds a NUL"):
                session.flush()
    finally:
        engine.dispose()
