"""``copilot crm target|mappings|user-id`` as an administrator runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot.crm.mapping import builtin
from copilot.settings import get_settings
from copilot.store.db import make_engine, session_factory
from copilot.store.models import Org, User
from tests.store.test_vocab_cli import refused, run

MAPPINGS = Path(__file__).resolve().parents[2] / "copilot" / "crm" / "mappings"


@pytest.fixture
def org(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("COPILOT_DATABASE__URL", empty_db_url)
    get_settings.cache_clear()
    run("db", "upgrade")
    run("orgs", "create", "华东公司")
    yield "华东公司"
    get_settings.cache_clear()


def stored_target(db_url: str) -> object:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        (row,) = session.query(Org).all()
        found = row.crm
    engine.dispose()
    return found


def test_an_org_chooses_its_mapping_crm_url_and_lookup(org: str, empty_db_url: str) -> None:
    assert "salesforce" in run("crm", "mappings")
    shown = json.loads(run("crm", "target", org))
    assert shown == {"mapping": "generic", "constants": {}, "lookups": {}, "lookup_timeout_s": 3.0}
    run("crm", "target", org, "--mapping", "salesforce", "--base-url", "https://acme.my.sf.com")
    run("crm", "target", org, "--lookup-url", "https://gw.acme.cn/lookup")
    run("crm", "target", org, "--constant", "entity_type=11010", "--constant", "dim=1")
    run("crm", "target", org, "--constant", "dim=")
    assert stored_target(empty_db_url) == {
        "mapping": "salesforce",
        "base_url": "https://acme.my.sf.com",
        "lookup_url": "https://gw.acme.cn/lookup",
        "constants": {"entity_type": "11010"},
    }
    assert "NAME=VALUE" in refused("crm", "target", org, "--constant", "oops")
    assert "no built-in mapping 'sap'" in refused("crm", "target", org, "--mapping", "sap")
    assert "base_url" in refused("crm", "target", org, "--base-url", "ftp://x")
    run("crm", "target", org, "--reset")
    assert stored_target(empty_db_url) is None


def test_a_custom_mapping_is_checked_before_it_is_stored(
    org: str, empty_db_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntitle: y\nrequests: [{method: GET, path: ''}]\n", encoding="utf-8")
    assert "method" in refused("crm", "target", org, "--custom", str(bad))
    assert stored_target(empty_db_url) is None
    run("crm", "target", org, "--custom", str(MAPPINGS / "generic.yaml"))
    stored = stored_target(empty_db_url)
    assert isinstance(stored, dict) and stored["mapping"] == "custom"
    assert stored["custom"]["name"] == builtin("generic").name


def test_a_reps_crm_user_id(org: str, empty_db_url: str) -> None:
    run("users", "create", "--org", org, "--name", "王磊", "--email", "w@x.cn", "--role", "rep")
    run("crm", "user-id", "w@x.cn", "0055g00000Rep01")
    engine = make_engine(empty_db_url)
    with session_factory(engine)() as session:
        (user,) = session.query(User).all()
        assert user.crm_user_id == "0055g00000Rep01"
    engine.dispose()
