"""What the learned layer and its scanner/extractor entry points do with bad input: empty
text, a 2 MB message, characters UTF-8 cannot carry."""

from __future__ import annotations

import warnings

from compliance import ComplianceConfig, Scanner
from copilot.learning import (
    LinearModel,
    ModelAssistedExtractor,
    ModelAssistedScanner,
    Models,
    bundled_models,
)

KICKBACK = "合同签了以后，给您的那份辛苦费我单独包个信封送过去。"
FILLER = "您好，附件是本季度的方案说明。"


def _rep(models: Models) -> LinearModel:
    assert models.rep is not None
    return models.rep


def test_empty_and_blank_text_score_nothing(small_models: Models) -> None:
    model = _rep(small_models)
    for text in ("", "   \n\t", "。。。！！", "🙂🙂"):
        prediction = model.predict(text)
        assert prediction.hits == [] or all(h.evidence for h in prediction.hits)
        assert set(prediction.probabilities) == set(model.labels)
    assert model.predict("").probabilities == {label: 0.0 for label in model.labels}
    assert ModelAssistedScanner(Scanner(), model).scan("").compliant


def test_the_model_reads_no_further_than_its_bound(small_models: Models) -> None:
    model = _rep(small_models)
    before = model.predict(KICKBACK)
    assert before.hit("kickback") is not None
    late = FILLER * (model.max_chars // len(FILLER) + 1) + KICKBACK
    assert model.predict(late).hit("kickback") is None
    assert (
        model.probabilities(late).tolist() == model.probabilities(late[: model.max_chars]).tolist()
    )


def test_the_scanners_max_chars_bounds_the_model_too(small_models: Models) -> None:
    model = _rep(small_models)
    scanner = ModelAssistedScanner(Scanner(ComplianceConfig(max_chars=1000)), model)
    assert "kickback" in scanner.scan(KICKBACK).categories
    hidden = scanner.scan(FILLER * 80 + KICKBACK)
    assert hidden.truncated and "kickback" not in hidden.categories


def test_a_2mb_message_is_read_up_to_the_bound(small_models: Models) -> None:
    # Its time is `python -m bench.compliance`'s (a 2 M-character message).
    model = _rep(small_models)
    big = FILLER * 140_000 + KICKBACK  # about 2 MB, the violation at its very end
    scanner = ModelAssistedScanner(Scanner(), model)
    result = scanner.scan(big)
    assert result.truncated and "kickback" not in result.categories
    assert model.predict(big).hit("kickback") is None  # 20,000 characters, not 2 million


def test_lone_surrogates_and_astral_characters_do_not_break_scoring(small_models: Models) -> None:
    model = _rep(small_models)
    for text in (
        "\ud800" + KICKBACK,
        KICKBACK + "\udfff",
        "𠀀𠀁" + KICKBACK,
        "\x00\x01" + KICKBACK,
    ):
        hit = model.predict(text).hit("kickback")
        assert hit is not None and hit.evidence == text[hit.start : hit.end]


def test_a_wall_of_one_phrase_scores_without_a_warning() -> None:
    # Such text drives a logit far below zero, where exp overflows (the probability, 0, is
    # right); a service logging a RuntimeWarning per message would bury real warnings.
    model = bundled_models().rep
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for text in ("保证" * 3000, "折" * 5000, "a" * 30000):
            assert all(0.0 <= p <= 1.0 for p in model.predict(text).probabilities.values())


def test_the_extractor_reads_no_further_than_its_rules(small_models: Models) -> None:
    from copilot.insights import RuleExtractor

    assert small_models.customer is not None
    rules = RuleExtractor()
    extractor = ModelAssistedExtractor(rules, small_models.customer)
    assert extractor.extract("").objections == [] and extractor.extract("  ").pain_points == []
    said = "价格太贵了，超出预算太多了。"
    assert extractor.extract(said).objections
    limit = rules.config.max_chars
    late = extractor.extract("嗯。" * limit + said)  # past the rules' limit, not the model's
    assert late.objections == [] and late.pain_points == []
    huge = extractor.extract("嗯。" * 1_000_000 + said)  # about 2 MB: past the model's too
    assert huge.objections == [] and huge.pain_points == []
