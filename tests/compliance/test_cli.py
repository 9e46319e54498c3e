"""``copilot scan`` and ``copilot rules test`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from copilot.commands import compliance as compliance_commands

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    compliance_commands.register(app)
    return app


def test_scan_json_prints_a_scan_result() -> None:
    result = runner.invoke(_app(), ["scan", "今天签的话给您打六折。", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["compliant"] is False
    assert data["flags"][0]["category"] == "unauthorized_discount"


def test_scan_human_readable_lists_flags() -> None:
    result = runner.invoke(_app(), ["scan", "我们保证下周上线，另外他们就是骗子公司。"])
    assert result.exit_code == 0, result.output
    assert "guarantee.delivery" in result.stdout and "disparagement" in result.stdout
    clean = runner.invoke(_app(), ["scan", "会议纪要已经发到您邮箱了。"])
    assert clean.exit_code == 0 and "合规" in clean.stdout


def test_scan_jsonl_echoes_ids_and_survives_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    lines = [
        json.dumps({"id": "a", "text": "给您打五折"}, ensure_ascii=False).encode(),
        b'{"id": "b", "text": ',
        b'{"id": "c", "text": "\xff\xfe"}',
        json.dumps({"id": "d"}).encode(),
        json.dumps({"id": 5, "text": "会议纪要发您了"}, ensure_ascii=False).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = runner.invoke(_app(), ["scan", "--jsonl", str(path)])
    # Bad lines make the exit status 1 (as extract and suggest), after every line was output.
    assert result.exit_code == 1, result.output
    assert "3 line(s)" in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("id") for r in records] == ["a", None, None, "d", 5]
    assert records[0]["compliant"] is False and records[4]["compliant"] is True
    assert "malformed JSON" in records[1]["error"]
    assert "invalid UTF-8" in records[2]["error"]
    assert "text" in records[3]["error"]


def test_scan_bad_input_is_one_line_on_stderr(tmp_path: Path) -> None:
    missing = runner.invoke(_app(), ["scan", "--jsonl", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 1 and "no such file" in missing.output
    neither = runner.invoke(_app(), ["scan"])
    assert neither.exit_code == 1 and "TEXT or --jsonl" in neither.output


def test_rules_test_passes_on_the_packaged_pack() -> None:
    result = runner.invoke(_app(), ["rules", "test"])
    assert result.exit_code == 0, result.output
    assert "guarantee.delivery" in result.stdout
    assert "0 failed" in result.stdout


def test_rules_test_fails_on_a_failing_example(rules_copy: Path) -> None:
    path = rules_copy / "kickback.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("      negative:\n", "      negative:\n        - 这是回扣。\n", 1)
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(_app(), ["rules", "test", str(rules_copy)])
    assert result.exit_code == 1
    assert "kickback.bribe" in result.output and "这是回扣" in result.output


def test_rules_test_names_file_and_rule_of_an_invalid_pack(rules_copy: Path) -> None:
    path = rules_copy / "privacy.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("detector: id_card", "detector: crystal_ball"),
        encoding="utf-8",
    )
    result = runner.invoke(_app(), ["rules", "test", str(rules_copy)])
    assert result.exit_code == 1
    assert "privacy.yaml" in result.output and "privacy.id_card" in result.output
    assert "Traceback" not in result.output
