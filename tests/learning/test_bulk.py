"""Scanning and predicting many texts at once gives exactly what one at a time gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compliance import RulePackStore, Scanner
from compliance.loader import OverridesLayer
from compliance.schema import OverridesFile
from copilot.cli import app
from copilot.learning import (
    LabelHit,
    LinearModel,
    ModelAssistedScanner,
    Prediction,
    assisted_scanner,
    bundled_models,
    scanner_like,
)

DATA = Path(__file__).parents[1] / "compliance" / "data"
# Texts a batch must not trip over: nothing to read, punctuation alone, a line break inside
# (the batch joins texts with one), full-width and traditional characters, a text past the
# model's bound, Latin letters only.
ODD = [
    "",
    "   ",
    "。。！？",
    "第一行保证不延期\n第二行给您打五折",
    "ＶＸ轉賬就行，保證三十天上線",
    "好的" * 12_000,
    "ok thanks",
]


def _messages() -> list[str]:
    lines = (DATA / "messages_extra.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    # Single sentences, and messages of several (the model scores long ones chunk by chunk).
    long = ["".join(texts[i : i + 9]) for i in range(0, len(texts), 9)]
    return [*texts, *long, *ODD]


@pytest.fixture(scope="module")
def messages() -> list[str]:
    return _messages()


@pytest.mark.parametrize("name", ["rep", "customer"])
def test_predict_many_is_predict_of_each_text(name: str, messages: list[str]) -> None:
    model = getattr(bundled_models(), name)
    assert isinstance(model, LinearModel)
    skips = [model.labels[:: 2 + n % 3] if n % 4 == 0 else () for n in range(len(messages))]
    alone = [model.predict(text, skip=skip) for text, skip in zip(messages, skips, strict=True)]
    together: list[Prediction] = []
    for first in range(0, len(messages), 8):
        together += model.predict_many(messages[first : first + 8], skips[first : first + 8])
    assert together == alone
    assert sum(len(p.hits) for p in alone) > 20  # the comparison covers evidence too
    assert model.predict_many(messages[:50]) == [model.predict(text) for text in messages[:50]]


def test_predict_many_wants_one_skip_set_per_text() -> None:
    model = bundled_models().rep
    assert model is not None
    with pytest.raises(ValueError, match="one skip set per text"):
        model.predict_many(["a", "b"], [()])
    assert model.predict_many([]) == []


def test_scan_many_is_scan_of_each_message(messages: list[str]) -> None:
    model = bundled_models().rep
    assert model is not None
    scanner = assisted_scanner(Scanner(), model)
    alone = [scanner.scan(text) for text in messages]
    assert scanner.scan_many(messages) == alone
    assert sum(f.source == "model" for r in alone for f in r.flags) > 5
    assert Scanner().scan_many(messages[:40]) == [Scanner().scan(t) for t in messages[:40]]


def test_scan_many_keeps_an_orgs_switched_off_rule_and_any_predictor() -> None:
    text = "我保证上线不延期。"

    class Fixed:
        labels = ("guarantee",)

        def predict(self, said: str) -> Prediction:
            hit = LabelHit("guarantee", 0.97, said, 0, len(said))
            return Prediction({"guarantee": 0.97}, [hit])

    shared = ModelAssistedScanner(Scanner(), Fixed())
    layer = OverridesLayer("org", OverridesFile(disable=["guarantee.delivery"]))
    org = scanner_like(shared, Scanner(store=RulePackStore(None, layer)))
    texts = [text, "这个方案下周能给您。", "", text]
    results = org.scan_many(texts)
    assert results == [org.scan(t) for t in texts]
    assert [[f.rule_id for f in r.flags] for r in results] == [[], ["model.guarantee"], [], []]


def test_scan_jsonl_keeps_order_and_bad_lines_across_batches(tmp_path: Path) -> None:
    texts = _messages()[:150]
    lines = [json.dumps({"id": n, "text": t}, ensure_ascii=False) for n, t in enumerate(texts)]
    for where in (0, 70, 149):  # a bad line first, one inside a later batch, one last
        lines[where] = '{"id": "bad", "text": '
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["scan", "--jsonl", str(path)])
    assert result.exit_code == 1 and "3 line(s)" in result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == [
        None if n in (0, 70, 149) else n for n in range(len(texts))
    ]
    assert all("malformed JSON" in out[n]["error"] for n in (0, 70, 149))
    model = bundled_models().rep
    assert model is not None
    scanner = assisted_scanner(Scanner(), model)
    for n in (1, 69, 71, 148):
        expected = scanner.scan(texts[n]).model_dump(mode="json")
        assert {k: v for k, v in out[n].items() if k != "id"} == expected


def test_scan_jsonl_batches_are_bounded_in_lines_and_in_characters() -> None:
    from copilot.commands.common import JsonlItem
    from copilot.commands.compliance import JSONL_BATCH, JSONL_BATCH_CHARS, _batches

    small = [JsonlItem(n, n, "好") for n in range(100)]
    sizes = [len(b) for b in _batches(small)]
    assert sizes == [JSONL_BATCH] * (100 // JSONL_BATCH) + [100 % JSONL_BATCH]
    big = [JsonlItem(n, n, "好" * (JSONL_BATCH_CHARS // 3 + 1)) for n in range(5)]
    assert [len(b) for b in _batches(big)] == [3, 2]
    assert [item.id for b in _batches(big) for item in b] == list(range(5))
    assert list(_batches([])) == []
