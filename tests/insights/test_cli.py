"""``copilot extract`` as a user runs it, on a Typer app the command registers into."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from copilot.commands import insights

runner = CliRunner()
app = typer.Typer()
insights.register(app)


@app.callback()
def _root() -> None:
    """Keeps `extract` a subcommand, as in the real CLI."""


CONTRACT_KEYS = {"budget", "decision_chain", "pain_points", "objections", "competitors"}


def test_one_utterance_as_json() -> None:
    result = runner.invoke(app, ["extract", "我们这边预算一百万以内，要李总拍板。", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert CONTRACT_KEYS | {"commitments"} <= set(data)
    assert data["budget"]["amount_min"] is None
    assert data["budget"]["amount_max"] == 1000000
    assert data["budget"]["currency"] == "CNY"
    assert data["decision_chain"][0]["name"] == "李总"
    assert data["decision_chain"][0]["evidence"] == {
        "utterance_id": None,
        "text": "我们这边预算一百万以内，要李总拍板",
    }


def test_readable_summary() -> None:
    result = runner.invoke(app, ["extract", "销售易给的方案比你们完整多了。"])
    assert result.exit_code == 0, result.output
    assert "竞品" in result.stdout and "销售易" in result.stdout
    assert "competitor" in result.stdout


def test_empty_text_gives_empty_insights() -> None:
    result = runner.invoke(app, ["extract", "", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["budget"] is None
    assert all(data[key] == [] for key in CONTRACT_KEYS - {"budget"})


def test_text_from_stdin() -> None:
    result = runner.invoke(app, ["extract", "-", "--json"], input="太贵了。")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objections"][0]["type"] == "price"


def test_rep_speaker_gives_commitments_only() -> None:
    result = runner.invoke(
        app, ["extract", "预算五十万的话，我明天把方案发您。", "--speaker", "rep", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["budget"] is None
    assert data["commitments"][0]["due"] == "明天"


def test_a_huge_text_does_not_hang() -> None:
    text = "我们预算一百万以内，" + "线索没人跟进，客户流失了。" * 160_000  # ~2 MB
    result = runner.invoke(app, ["extract", "-", "--json"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["budget"]["amount_max"] == 1000000
    assert "cut to 2000" in result.stderr


def test_jsonl_echoes_ids_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = tmp_path / "in.jsonl"
    lines.write_bytes(
        "\n".join(
            [
                json.dumps({"id": "d02", "text": "你们这个价格我们实在接受不了，太贵了。"}),
                "{not json",
                json.dumps({"id": 7, "text": ""}),
                json.dumps({"id": "x", "words": "no text field"}),
                json.dumps({"id": "d04", "text": "销售易给的方案比你们完整多了。"}),
            ]
        ).encode()
        + b"\n\xff\xfe\n"
    )
    result = runner.invoke(app, ["extract", "--jsonl", str(lines)])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("id") for r in records] == ["d02", None, 7, "x", "d04", None]
    assert records[0]["objections"][0]["type"] == "price"
    assert records[0]["objections"][0]["evidence"]["utterance_id"] == "d02"
    assert "malformed JSON" in records[1]["error"]
    assert records[2]["budget"] is None and records[2]["objections"] == []
    assert "missing string 'text'" in records[3]["error"]
    assert records[4]["competitors"][0]["name"] == "销售易"
    assert "invalid UTF-8" in records[5]["error"]
    # Bad lines make the exit status non-zero (CONTRACT.md), after every line was processed.
    assert result.exit_code == 1
    assert "3 line(s)" in result.stderr


def test_user_errors_are_one_line() -> None:
    for args in (
        ["extract"],
        ["extract", "x", "--jsonl", "f"],
        ["extract", "x", "--speaker", "boss"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and "error:" in result.stderr
    missing = runner.invoke(app, ["extract", "--jsonl", "/no/such/file.jsonl"])
    assert missing.exit_code == 1 and "no such file" in missing.stderr
