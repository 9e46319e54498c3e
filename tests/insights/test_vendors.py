"""The vendor catalogue: shipped data valid and broad, bad data refused with the file named,
and competitor lists (an org's own vendors) folded in."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.insights.errors import LexiconError
from copilot.insights.lexicon import CompetitorEntry, load
from copilot.insights.transliteration import heard_key, latin_key
from copilot.insights.vendors import CATALOGUE_FILE, VendorCatalogue, builtin, squash, systems_of


def test_the_shipped_catalogue_is_broad() -> None:
    catalogue = builtin()
    names = {spec.name for spec in catalogue.systems}
    assert len(names) >= 150
    for name in (
        "用友U8",
        "金蝶云星空",
        "泛微",
        "致远A8",
        "钉钉",
        "飞书",
        "企业微信",
        "简道云",
        "纷享销客",
        "销售易",
        "红圈",
        "Salesforce",
        "帆软",
        "北森",
        "聚水潭",
        "网易七鱼",
        "法大大",
        "e签宝",
        "契约锁",
        "广联达",
        "卫宁健康",
        "携程商旅",
    ):
        assert name in names
    categories = {spec.category for spec in catalogue.systems}
    assert {"crm", "erp", "oa", "lowcode", "bi", "hr", "ecommerce", "service", "mes"} <= categories
    rivals = {spec.name for spec in catalogue.systems if spec.rival}
    assert {"纷享销客", "销售易", "红圈"} <= rivals
    assert "金蝶" not in rivals


def test_products_name_their_vendor() -> None:
    specs = {spec.name: spec for spec in builtin().systems}
    assert specs["用友U8"].vendor == "用友"
    assert specs["FineBI"].vendor == "帆软"


def _write(tmp_path: Path, systems: str) -> Path:
    head = CATALOGUE_FILE.read_text(encoding="utf-8").split("\nsystems:")[0]
    path = tmp_path / "vendors.yaml"
    path.write_text(f"{head}\nsystems:\n{systems}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("systems", "message"),
    [
        (
            "  - {name: 甲, category: crm, aliases: [Foo]}\n"
            "  - {name: 乙, category: crm, aliases: [foo]}\n",
            "also",
        ),
        ("  - {name: 甲U8, vendor: 甲, category: erp}\n", "not in the catalogue"),
        ("  - {name: 甲, category: crm, ambiguous: [乙]}\n", "not its spellings"),
        ("  - {name: 甲, category: crm, written_only: [乙]}\n", "written_only"),
        ("  - {name: 甲, category: spreadsheets}\n", "category"),
        ("  - {name: 甲, category: crm, rivall: true}\n", "rivall"),
    ],
)
def test_bad_catalogues_are_refused(tmp_path: Path, systems: str, message: str) -> None:
    path = _write(tmp_path, systems)
    with pytest.raises(LexiconError, match=message) as raised:
        load(path, VendorCatalogue)
    assert str(path) in str(raised.value)


def test_competitor_lists_extend_the_catalogue() -> None:
    org = [
        CompetitorEntry(name="云之道", aliases=("YZD",), kind="crm"),
        CompetitorEntry(name="金蝶", aliases=("金蝶新品", "U8"), kind="crm"),
    ]
    systems = {s.name: s for s in systems_of(builtin(), org)}
    assert systems["云之道"].rival and systems["云之道"].category == "crm"
    assert systems["金蝶"].rival  # the org competes with it
    assert "金蝶新品" in systems["金蝶"].spellings
    # A spelling another entry owns stays with it.
    assert "U8" not in systems["金蝶"].spellings
    assert "U8" in systems["用友U8"].spellings


def test_squash() -> None:
    assert squash("Sales Force") == "salesforce"
    assert squash("金蝶 K3") == "金蝶k3"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [("Zendesk", "赞迪斯克"), ("Workday", "沃克戴"), ("Udesk", "优戴斯克"), ("Tableau", "塔布洛")],
)
def test_an_english_name_and_its_reading_share_a_skeleton(english: str, chinese: str) -> None:
    assert latin_key(english) == heard_key(chinese)


def test_an_m_before_a_consonant_is_read_either_way() -> None:
    # A final (Campaign -> 坎) or a syllable of its own (Teamcenter -> 提姆森特).
    assert latin_key("Teamcenter") == heard_key("提南森特")
    assert latin_key("Teamcenter", "m") == heard_key("提姆森特")


def test_makers_named_as_vendors_are_listed() -> None:
    by_name = {spec.name: spec for spec in builtin().systems}
    assert by_name["宜搭"].vendor == "钉钉"
    assert by_name["Jira"].vendor == "Atlassian"
    assert by_name["Microsoft Teams"].vendor == "微软"
    assert by_name["企业微信"].vendor == "腾讯"
    assert len(by_name) >= 400
