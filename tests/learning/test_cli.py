"""The command line runs rules + the shipped models, as the service does; --rules-only
compares; a broken artefact is a warning and the rules keep working."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.commands import compliance as compliance_command
from copilot.learning import runtime

runner = CliRunner()
# Unseen wording the rules miss and the bundled models catch (see test_combine.py).
CUSTOMER = "上一家供应商把我们坑惨了，谁知道你们会不会也这样。"
REP = "放心，这个价格我私下再给您让一让，不用走审批。"


@pytest.fixture
def fresh_models() -> Iterator[None]:
    """The command's caches emptied before and after, so a test's artefacts stay its own."""
    runtime.bundled_models.cache_clear()
    compliance_command._scanner.cache_clear()
    yield
    runtime.bundled_models.cache_clear()
    compliance_command._scanner.cache_clear()


def _json(args: list[str]) -> dict[str, object]:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_extract_adds_the_models_finds_and_rules_only_does_not() -> None:
    assisted = _json(["extract", CUSTOMER, "--json"])
    objections = assisted["objections"]
    assert isinstance(objections, list)
    (found,) = [o for o in objections if o["type"] == "trust"]
    assert found["source"] == "model" and 0 < found["confidence"] < 1
    rules = _json(["extract", CUSTOMER, "--json", "--rules-only"])
    assert all(o.get("source", "rule") == "rule" for o in rules["objections"])  # type: ignore[union-attr]


def test_scan_adds_model_flags_and_keeps_rule_flags_in_the_contract_shape() -> None:
    assisted = _json(["scan", REP, "--json"])
    flags = assisted["flags"]
    assert isinstance(flags, list)
    assert {(f["rule_id"], f["source"]) for f in flags} == {
        ("model.unauthorized_discount", "model")
    }
    assert assisted["compliant"] is False
    assert _json(["scan", REP, "--json", "--rules-only"])["flags"] == []
    ruled = _json(["scan", "我们保证三十天内一定上线", "--json"])
    assert ruled["flags"] and all("source" not in f for f in ruled["flags"])  # type: ignore[union-attr]
    shown = runner.invoke(app, ["scan", REP])
    assert shown.exit_code == 0 and "model.unauthorized_discount (model, " in shown.stdout


def test_analyze_uses_the_models_unless_rules_only(tmp_path: Path) -> None:
    turns = tmp_path / "call.json"
    turns.write_text(
        json.dumps({"turns": [["customer", CUSTOMER], ["rep", REP]]}, ensure_ascii=False),
        encoding="utf-8",
    )
    assisted = _json(["analyze", str(turns), "--json"])
    assert "trust" in {o["type"] for o in assisted["objections"]}  # type: ignore[union-attr]
    assert "unauthorized_discount" in {f["category"] for f in assisted["compliance_flags"]}  # type: ignore[union-attr]
    rules = _json(["analyze", str(turns), "--json", "--rules-only"])
    assert rules["compliance_flags"] == []


def test_jsonl_with_invalid_utf8_names_the_line_and_reads_the_others(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    good = json.dumps({"id": "a", "text": REP}, ensure_ascii=False).encode("utf-8")
    path.write_bytes(good + b"\n" + b'{"id": "b", "text": "\xff\xfe bad"}\n' + good + b"\n")
    for command in ("scan", "extract"):
        result = runner.invoke(app, [command, "--jsonl", str(path)])
        assert result.exit_code == 1
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line.get("id") for line in lines] == ["a", None, "a"]
        assert "line 2: invalid UTF-8" in lines[1]["error"]
        assert "1 line(s)" in result.output
    scanned = runner.invoke(app, ["scan", "--jsonl", str(path)]).stdout.splitlines()
    assert json.loads(scanned[2])["flags"][0]["rule_id"] == "model.unauthorized_discount"


def test_a_corrupt_artefact_is_a_warning_and_the_rules_keep_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_models: None
) -> None:
    models = tmp_path / "models"
    shutil.copytree(runtime.MODELS_DIR, models)
    (models / "rep.npz").write_bytes(b"not a zip")
    (models / "customer.json").unlink()
    monkeypatch.setattr(runtime, "MODELS_DIR", models)
    result = runner.invoke(app, ["scan", "我们保证三十天内一定上线", "--json"])
    assert result.exit_code == 0, result.output
    assert "warning: the rep model is off, rules only" in result.stderr
    assert "copilot train" in result.stderr
    assert json.loads(result.stdout)["flags"][0]["rule_id"].startswith("guarantee.")
    extracted = runner.invoke(app, ["extract", "价格太贵了", "--json"])
    assert extracted.exit_code == 0, extracted.output
    assert "the customer model is off, rules only: model artefact missing" in extracted.stderr
    assert json.loads(extracted.stdout)["objections"][0]["type"] == "price"
