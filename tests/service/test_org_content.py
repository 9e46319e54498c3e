"""Each org's own KB entries, vendors and rule overrides, against the real server: two orgs
send the same text and get different answers, and a change made with ``copilot orgs …``
applies to the running service without a restart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from compliance.schema import OverridesFile
from copilot.cli import app as cli
from copilot.service.org_engines import OrgEnginesCache
from copilot.service.pipeline import Engines
from copilot.settings import get_settings
from copilot.store import org_content, repo
from copilot.store.db import make_engine, session_factory
from tests.service.conftest import Service

BATTLECARD = """\
- id: kb-battle-yunxiaotong
  kind: battlecard
  title: 对比云销通
  text: 云销通报价低，但不含 ERP 连接器；请客户把接口、实施和第二年续费一起算进总成本再比较。
  tags: [competitor, yunxiaotong, cost, general]
  updated: 2026-02-01
"""
VENDORS = "competitors:\n  - {name: 云销通, aliases: [YunXiao], tag: yunxiaotong}\n"
RULES = "disable: [guarantee.delivery]\n"
SAID = "云销通比你们便宜一半，我们还是倾向用云销通。"
PROMISED = "我保证上线不延期。"
DELIVERY = "guarantee.delivery"

runner = CliRunner()


@pytest.fixture
def command(service: Service, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``copilot …`` on the service's database, as an administrator runs it."""
    monkeypatch.setenv("COPILOT_DATABASE__URL", service.settings.database.url)
    get_settings.cache_clear()

    def run(*args: str) -> str:
        result = runner.invoke(cli, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    yield run
    get_settings.cache_clear()


def other_org_key(service: Service) -> tuple[str, str]:
    """A second org with a rep: its id and the rep's key."""
    engine = make_engine(service.settings.database.url)
    try:
        with session_factory(engine).begin() as session:
            org = repo.create_org(session, "乙公司")
            rep = repo.create_user(session, org.id, name="赵销售", email="z@b.example", role="rep")
            _, key = repo.create_api_key(session, rep, label="test")
            return org.id, key
    finally:
        engine.dispose()


def answers(service: Service, key: str) -> dict[str, Any]:
    """What one org's rep gets for the same words: suggestions, a scan, an analysed call."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as http:
        suggested = http.post("/v1/suggest", json={"text": SAID}).json()
        scanned = http.post("/v1/compliance/scan", json={"text": PROMISED}).json()
        turns = [["customer", SAID], ["rep", PROMISED]]
        call_id = http.post("/v1/calls", json={"turns": turns}).json()["call_id"]
        deadline = time.monotonic() + 60
        while http.get(f"/v1/calls/{call_id}").json()["status"] == "analysing":
            assert time.monotonic() < deadline, "the analysis did not finish"
            time.sleep(0.1)
        summary = http.get(f"/v1/calls/{call_id}/summary").json()
    return {
        "suggested": [s["id"] for s in suggested["suggestions"]],
        "flagged": sorted(f["rule_id"] for f in scanned["flags"]),
        "competitors": [c["name"] for c in summary["competitors"]],
        "call_flags": sorted(f["rule_id"] for f in summary["compliance_flags"]),
    }


def test_two_orgs_same_text_different_content_changed_without_restart(
    service: Service, command: Any, tmp_path: Path
) -> None:
    other_id, other_key = other_org_key(service)
    before = answers(service, service.rep_key)
    assert before == answers(service, other_key)  # nobody has content of their own yet
    assert "kb-battle-yunxiaotong" not in before["suggested"]
    assert before["flagged"] == ["guarantee.delivery"] and "云销通" not in before["competitors"]

    for name, text in (("v.yaml", VENDORS), ("kb.yaml", BATTLECARD), ("r.yaml", RULES)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    command("orgs", "vendors", "add", "--org", "演示公司", str(tmp_path / "v.yaml"))
    command("orgs", "kb", "add", "--org", "演示公司", str(tmp_path / "kb.yaml"))
    command("orgs", "rules", "set", "--org", "演示公司", str(tmp_path / "r.yaml"))

    mine = answers(service, service.rep_key)
    assert mine["suggested"][0] == "kb-battle-yunxiaotong"
    assert mine["flagged"] == [] and mine["call_flags"] == []
    assert mine["competitors"] == ["云销通"]
    # The other org, same words, same server: none of it.
    assert answers(service, other_key) == before

    command("orgs", "rules", "clear", "--org", "演示公司")
    command("orgs", "kb", "remove", "--org", "演示公司", "kb-battle-yunxiaotong")
    again = answers(service, service.rep_key)
    assert again["flagged"] == ["guarantee.delivery"]
    assert "kb-battle-yunxiaotong" not in again["suggested"]
    assert again["competitors"] == ["云销通"]  # the vendor is still the org's


def test_shipped_only_orgs_share_the_engines_and_builds_follow_the_version(
    db_url: str, engines: Engines, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    cache = OrgEnginesCache(engines, sessions, get_settings().insights)
    try:
        with sessions.begin() as session:
            plain = repo.create_org(session, "甲公司").id
            own = repo.create_org(session, "乙公司").id
            org_content.add_products(session, own, ["云帆CRM旗舰版"])
        assert cache.get(plain) is engines  # no content: the shared engines themselves
        built = cache.get(own)
        assert built is not engines and built.hotwords == ("云帆CRM旗舰版",)
        assert built.suggester is engines.suggester  # no entries, no vendors: nothing to layer
        assert cache.get(own) is built  # same version: not rebuilt
        with sessions.begin() as session:
            org_content.add_vendors(session, own, [org_content.Vendor(name="云销通")], _tags())
        rebuilt = cache.get(own)
        assert rebuilt is not built and rebuilt.extractor is not engines.extractor
        found = rebuilt.extractor.extract("我们在用云销通").competitors
        assert [c.name for c in found] == ["云销通"]
        assert engines.extractor.extract("我们在用云销通").competitors == []
        # Rule overrides and the policy's discount authority apply together.
        said = "这单我给您打个七折，我保证上线不延期。"
        assert not rebuilt.scanner.scan(said).compliant
        with sessions.begin() as session:
            org_content.set_rule_overrides(session, own, OverridesFile(disable=[DELIVERY]))
            repo.find_org(session, own).policy = {"max_discount_off": 0.35}
        assert cache.get(own).scanner.scan(said).compliant
        assert not cache.get(plain).scanner.scan(said).compliant
    finally:
        engine.dispose()


def _tags() -> Any:
    from knowledge_base import CONTENT_DIR
    from retrieval import load_kb

    return load_kb(CONTENT_DIR).tags


def test_an_org_entry_with_a_shipped_id_replaces_it_for_that_org_only(engines: Engines) -> None:
    from retrieval import Filters, KbEntry, Suggester

    shipped = engines.suggester
    assert isinstance(shipped, Suggester)
    said = "你们这个价格太贵了"
    top = shipped.suggest(said).suggestions[0]
    ours = KbEntry.model_validate(
        {
            "id": top.id,
            "kind": "script",
            "title": "本公司的价格话术",
            "text": "先问清预算口径，再给出分期付款和标准版两种方案，价格太贵的顾虑按年摊开算。",
            "tags": ["price", "general"],
            "updated": "2026-02-01",
        }
    )
    layered = shipped.layered([ours])
    found = layered.suggest(said).suggestions
    assert [s.text for s in found if s.id == top.id] == [ours.text]
    assert len({s.id for s in found}) == len(found)  # the shipped copy is not also there
    # A narrow filter searches named ids: the org's entry is found in memory.
    narrow = layered.search("分期付款 标准版", filters=Filters(kind="script", objection="price"))
    assert narrow[0].id == top.id and narrow[0].text == ours.text
    assert shipped.suggest(said).suggestions[0].text == top.text  # the shipped one is intact
