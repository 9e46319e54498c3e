"""The learned confirmer of names the rules could not confirm (copilot/learning/names.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from copilot.insights import RuleExtractor
from copilot.learning import ModelAssistedExtractor, bundled_models
from copilot.learning.names import NameModel, readable
from copilot.learning.runtime import Models, load_models
from copilot.learning.train import train_corpus

from .conftest import SMALL_CORPUS

# No software word near the name: the rules drop it as they would an ordinary word.
SAID_PLAINLY = "排班那块一直是华为的那套在跑。"
EVERYDAY = "我新买的手机是华为的，拍照挺好。"


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def learned(rules: RuleExtractor, models: Models) -> ModelAssistedExtractor:
    assert models.customer is not None and models.roles is not None, models.problems
    return ModelAssistedExtractor(rules, models.customer, roles=models.roles)


def test_the_shipped_confirmer_takes_a_name_said_without_software_words(
    rules: RuleExtractor,
) -> None:
    models = bundled_models()
    assert models.roles is not None and models.roles.names is not None, models.problems
    assert rules.extract(SAID_PLAINLY).systems == []
    (system,) = learned(rules, models).extract(SAID_PLAINLY, utterance_id="u1").systems
    assert (system.name, system.source, system.role) == ("华为", "model", "incumbent")
    assert models.roles.names.threshold <= system.confidence <= 1.0
    assert system.evidence.utterance_id == "u1" and "华为" in system.evidence.text


def test_an_everyday_word_stays_one(rules: RuleExtractor) -> None:
    judgement = rules.judge(EVERYDAY)
    assert [name.system.name for name in judgement.unconfirmed] == ["华为"]
    assert learned(rules, bundled_models()).extract(EVERYDAY).systems == []


def test_a_name_heard_by_its_sound_only_is_left_to_the_rules(rules: RuleExtractor) -> None:
    # 万以 sounds like 网易: a budget, not a vendor.
    said = "门禁这块控制在十五万以内，你们按这个出方案。"
    judgement = rules.judge(said)
    assert [(n.system.name, n.heard_wrong) for n in judgement.unconfirmed] == [("网易", True)]
    assert readable(judgement) == []
    assert learned(rules, bundled_models()).extract(said).systems == []


def test_the_small_corpus_trains_a_confirmer(small_models: Models, rules: RuleExtractor) -> None:
    assert small_models.roles is not None and small_models.roles.names is not None
    names = small_models.roles.names
    assert names.header["examples"] == 8 and names.header["systems"] == 4
    judgement = rules.judge("外卖都走美团，堂食这块还没弄。")
    (name,) = readable(judgement)
    assert 0.0 < names.probability(judgement.text, name) < 1.0


def test_without_the_name_artefact_the_rules_alone_confirm_names(
    small_models_dir: Path, tmp_path: Path, rules: RuleExtractor
) -> None:
    for path in small_models_dir.iterdir():
        if not path.name.startswith("system_names"):
            shutil.copy(path, tmp_path)
    models = load_models(tmp_path)
    assert models.roles is not None and models.roles.names is None
    assert any("name confirmer is off" in p for p in models.problems)
    said = "外卖都走美团，堂食这块还没弄。"
    assert learned(rules, models).extract(said).systems == rules.extract(said).systems == []


def test_a_damaged_name_artefact_is_a_warning_not_a_crash(
    small_models_dir: Path, tmp_path: Path
) -> None:
    for path in small_models_dir.iterdir():
        shutil.copy(path, tmp_path)
    (tmp_path / "system_names.npz").write_bytes(b"not a zip")
    models = load_models(tmp_path)
    assert models.roles is not None and models.roles.names is None
    assert any("system_names.npz unreadable" in p for p in models.problems)
    with pytest.raises(Exception, match="system_names"):
        NameModel.load(tmp_path)


def test_nothing_to_learn_from_writes_no_confirmer_and_removes_an_old_one(
    small_models_dir: Path, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SMALL_CORPUS, corpus)
    small = corpus / "systems" / "small.jsonl"
    # Only the lines whose names the rules confirm: no unconfirmed name at all.
    kept = [line for line in small.read_text("utf-8").splitlines() if '"s-1' not in line[:12]]
    small.write_text("\n".join(kept[:13]) + "\n", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    for suffix in (".json", ".npz"):
        shutil.copy(small_models_dir / f"system_names{suffix}", out)
    written = train_corpus(corpus, out, sides=(), roles=True)
    assert sorted(written) == ["system_roles"]
    assert not any(path.name.startswith("system_names") for path in out.iterdir())


def test_a_name_said_twice_is_read_where_it_is_a_system(rules: RuleExtractor) -> None:
    said = EVERYDAY + SAID_PLAINLY
    judgement = rules.judge(said)
    assert [name.system.name for name in judgement.unconfirmed] == ["华为", "华为"]
    (system,) = learned(rules, bundled_models()).extract(said).systems
    assert system.name == "华为" and system.source == "model"
    assert SAID_PLAINLY.rstrip("。") in system.evidence.text
    assert "手机" not in system.evidence.text
