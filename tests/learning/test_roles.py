"""The learned reader of named systems' roles: its corpus checks, training, artefact and
its place beside the rules (copilot/learning/roles.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.insights import RuleExtractor
from copilot.insights.base import InsightExtractor
from copilot.learning import (
    ModelAssistedExtractor,
    assisted_extractor,
    bundled_models,
    extractor_like,
)
from copilot.learning.combine import with_roles
from copilot.learning.corpus import CorpusError
from copilot.learning.roles import ROLES, ReadRole, RoleModel, judged_roles, load_lines
from copilot.learning.runtime import MODELS_DIR, Models, load_models
from copilot.learning.train import train_corpus

from .conftest import SMALL_CORPUS

# One cue (打通) said once of two systems: the rules give it to the nearer name only.
BOTH_CONNECTED = "我们医院HIS是卫宁的，电子病历是嘉和美康的，你们这个平台要跟两边都打通。"


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def roles_of(extractor: InsightExtractor, text: str) -> dict[str, str]:
    insights = extractor.extract(text)
    return {system.name: system.role for system in insights.systems}


def test_the_shipped_model_reads_a_cue_said_once_for_two_systems(rules: RuleExtractor) -> None:
    models = bundled_models()
    assert models.roles is not None and models.customer is not None, models.problems
    assert roles_of(rules, BOTH_CONNECTED) == {"卫宁健康": "incumbent", "嘉和美康": "integration"}
    learned = ModelAssistedExtractor(rules, models.customer, roles=models.roles)
    assert roles_of(learned, BOTH_CONNECTED) == {
        "卫宁健康": "integration",
        "嘉和美康": "integration",
    }
    systems = {system.name: system for system in learned.extract(BOTH_CONNECTED).systems}
    # The role the model changed is the model's, with its probability; the one it kept
    # stays the rules'.
    assert systems["卫宁健康"].source == "model" and 0.5 < systems["卫宁健康"].confidence < 1.0
    assert (systems["嘉和美康"].source, systems["嘉和美康"].confidence) == ("rule", 1.0)


def test_each_mention_gets_a_role_and_its_probabilities(rules: RuleExtractor) -> None:
    model = bundled_models().roles
    assert model is not None
    judgement = rules.judge("之前考察过纷享销客，价格谈不拢，现在用的是用友U8。")
    assert [m.name for m in judgement.mentions] == ["纷享销客", "用友U8"]
    for mention in judgement.mentions:
        probabilities = model.probabilities(judgement.text, mention)
        assert probabilities.shape == (len(ROLES),)
        assert abs(float(probabilities.sum()) - 1.0) < 1e-5
    judged = judged_roles(model, judgement)
    assert set(judged) == {"纷享销客", "用友U8"}
    assert all(read.role in ROLES and 0.0 < read.confidence <= 1.0 for read in judged.values())
    assert judged["用友U8"].role == "incumbent"
    assert judged["用友U8"].mention is judgement.mentions[1]


def test_a_role_the_model_reads_shows_the_mention_it_read_it_at(rules: RuleExtractor) -> None:
    models = bundled_models()
    assert models.roles is not None and models.customer is not None, models.problems
    said = "你们跟金蝶的云星空比，强在哪里？我们财务部门一直在用金蝶。"
    # The rules take the comparison's role for 金蝶, said in the first sentence.
    (kingdee,) = [s for s in rules.extract(said).systems if s.name == "金蝶"]
    assert (kingdee.role, kingdee.evidence.text) == ("competitor", "你们跟金蝶的云星空比，强在哪里")
    learned = ModelAssistedExtractor(rules, models.customer, roles=models.roles)
    (kingdee,) = [s for s in learned.extract(said).systems if s.name == "金蝶"]
    assert (kingdee.role, kingdee.source) == ("incumbent", "model")
    assert kingdee.evidence.text == "我们财务部门一直在用金蝶"

    # What was heard at that mention goes with it.
    heard = "你们跟金蝶的云星空比，强在哪里？我们财务部门一直在用金叠。"
    judgement = rules.judge(heard)
    second = next(m for m in judgement.mentions if m.name == "金蝶" and m.start > 12)
    assert second.heard == "金叠"
    read = {"金蝶": ReadRole("incumbent", 0.9, second)}
    (moved,) = [
        s for s in with_roles(judgement.insights, read, judgement.text).systems if s.name == "金蝶"
    ]
    assert (moved.evidence.text, moved.heard) == ("我们财务部门一直在用金叠", "金叠")


def test_the_roles_model_travels_with_the_extractor(small_models: Models) -> None:
    assert small_models.roles is not None and small_models.customer is not None
    learned = ModelAssistedExtractor(
        RuleExtractor(), small_models.customer, roles=small_models.roles
    )
    assert learned.with_model(small_models.customer).roles is small_models.roles
    copied = extractor_like(learned, RuleExtractor())
    assert isinstance(copied, ModelAssistedExtractor) and copied.roles is small_models.roles


def test_training_writes_the_role_artefact_the_same_bytes_twice(
    small_models_dir: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        app, ["train", "--side", "roles", "--corpus", str(SMALL_CORPUS), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "system_names.json",
        "system_names.npz",
        "system_roles.json",
        "system_roles.npz",
    ]
    for name in sorted(p.name for p in tmp_path.iterdir()):
        assert (tmp_path / name).read_bytes() == (small_models_dir / name).read_bytes(), name
    model = RoleModel.load(tmp_path)
    assert model.header["examples"] == 12 and model.header["labels"] == list(ROLES)


def test_roles_alone_need_a_systems_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["train", "--side", "roles", "--corpus", str(tmp_path), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "no systems files" in result.output and "systems" in result.output
    wrong = CliRunner().invoke(app, ["train", "--side", "vendors", "--out", str(tmp_path)])
    assert wrong.exit_code == 1 and "customer, rep, roles" in wrong.output


def test_a_bad_systems_line_is_named_and_nothing_is_trained(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SMALL_CORPUS, corpus)
    with (corpus / "systems" / "small.jsonl").open("a", encoding="utf-8") as file:
        file.write("{not json\n")
        file.write(
            '{"id": "x1", "text": "用的是钉钉", "systems": [{"vendor": "钉钉", '
            '"as_written": "钉钉", "role": "owner"}]}\n'
        )
        file.write('{"id": "s-01", "text": "用的是钉钉", "systems": []}\n')
        file.write('{"id": "x2", "text": "用的是钉钉", "systems": [{"vendor": "钉钉"}]}\n')
    with pytest.raises(CorpusError) as caught:
        load_lines([corpus / "systems" / "small.jsonl"])
    message = str(caught.value)
    assert "4 bad line(s)" in message
    assert "small.jsonl:22: not JSON" in message
    assert "small.jsonl:23: 钉钉: unknown role 'owner'" in message
    assert "small.jsonl:24: id 's-01' seen twice" in message
    assert "small.jsonl:25: 钉钉: 'as_written' missing" in message
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["train", "--corpus", str(corpus), "--out", str(out)])
    assert result.exit_code == 1 and "small.jsonl:23" in result.output
    assert not out.exists()


def test_without_the_role_artefact_the_rules_read_roles(
    small_models_dir: Path, tmp_path: Path, rules: RuleExtractor
) -> None:
    for name in ("customer", "rep"):
        for suffix in (".json", ".npz"):
            shutil.copy(small_models_dir / f"{name}{suffix}", tmp_path)
    models = load_models(tmp_path)
    assert models.roles is None and models.customer is not None
    assert any("system-role model is off" in p for p in models.problems)
    learned = ModelAssistedExtractor(rules, models.customer, roles=models.roles)
    assert roles_of(learned, BOTH_CONNECTED) == roles_of(rules, BOTH_CONNECTED)


def test_without_the_customer_artefact_the_role_model_still_reads_roles(
    tmp_path: Path, rules: RuleExtractor
) -> None:
    for path in MODELS_DIR.glob("system_*"):
        shutil.copy(path, tmp_path)
    models = load_models(tmp_path)
    assert models.customer is None and models.roles is not None
    assert models.roles.names is not None
    assert any("the customer model is off" in p for p in models.problems)
    learned = assisted_extractor(rules, models.customer, roles=models.roles)
    assert isinstance(learned, ModelAssistedExtractor) and learned.model is None
    assert roles_of(learned, BOTH_CONNECTED) == {
        "卫宁健康": "integration",
        "嘉和美康": "integration",
    }
    # Everything else is the rules' alone.
    said = "价格太贵了，我们再考虑考虑。"
    assert learned.extract(said) == rules.extract(said)
    assert assisted_extractor(rules, None) is rules


def test_a_damaged_role_artefact_is_a_warning_not_a_crash(
    small_models_dir: Path, tmp_path: Path
) -> None:
    for path in small_models_dir.iterdir():
        shutil.copy(path, tmp_path)
    (tmp_path / "system_roles.npz").write_bytes(b"not a zip")
    models = load_models(tmp_path)
    assert models.roles is None and models.rep is not None
    assert any("system_roles.npz unreadable" in p for p in models.problems)


def test_a_corpus_without_a_systems_folder_trains_the_sides_only(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for side in ("customer", "rep"):
        shutil.copytree(SMALL_CORPUS / side, corpus / side)
    written = train_corpus(corpus, tmp_path / "out")
    assert sorted(written) == ["customer", "rep"]
