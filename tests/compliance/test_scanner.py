"""The scanner as a notebook user or the service calls it."""

from __future__ import annotations

import pytest

from compliance import Flag, Scanner, ScanResult
from compliance.models import CATEGORIES


def test_contract_shape(scanner: Scanner) -> None:
    data = scanner.scan("您放心，我们保证下个月一定上线。").model_dump(mode="json")
    assert data["compliant"] is False
    assert {"compliant", "flags"} <= set(data)
    flag = data["flags"][0]
    assert set(flag) == {"rule_id", "category", "severity", "start", "end", "match", "suggestion"}
    assert flag["category"] == "guarantee" and flag["severity"] == "high"
    assert flag["rule_id"].startswith("guarantee.")
    assert flag["suggestion"]


def test_flag_spans_point_into_the_original_text(scanner: Scanner) -> None:
    text = "ＯＫ，我们 保 证 三十天  上线！另外款项转 我 个人 微信。"
    result = scanner.scan(text)
    assert {flag.category for flag in result.flags} == {"guarantee", "off_channel_payment"}
    for flag in result.flags:
        assert text[flag.start : flag.end] == flag.match
    guarantee = next(f for f in result.flags if f.category == "guarantee")
    assert guarantee.match.startswith("保") and guarantee.match.endswith("上线")


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_compliant(scanner: Scanner, text: str) -> None:
    assert scanner.scan(text) == ScanResult(compliant=True, flags=[])


@pytest.mark.parametrize("bad", [None, b"\xe4\xbf\x9d\xe8\xaf\x81", 42, ["保证上线"]])
def test_non_text_is_a_type_error(scanner: Scanner, bad: object) -> None:
    with pytest.raises(TypeError, match="expects text as str"):
        scanner.scan(bad)  # type: ignore[arg-type]


def test_two_megabytes_are_capped(scanner: Scanner) -> None:
    # Its time is `python -m bench.compliance`'s (a 2 M-character message).
    text = "我们保证三十天上线，今天给您打五折。" * 120_000
    assert len(text) > 2_000_000
    result = scanner.scan(text)
    assert result.truncated and not result.compliant
    assert len(result.flags) <= scanner.config.max_flags


def test_odd_characters_do_not_crash(scanner: Scanner) -> None:
    for text in ["\ud800保证上线", "\x00\x01打五折", "🙂" * 1000, "折" * 5000, "1" * 5000]:
        assert isinstance(scanner.scan(text), ScanResult)


def test_a_lone_surrogate_hides_no_violation(scanner: Scanner) -> None:
    # Broken UTF-16 from a client cannot be encoded for the word automaton; the words
    # around it are still found, at their places in the text as given.
    text = "\ud800我们保证三十天内一定上线"
    [flag] = scanner.scan(text).flags
    assert flag.category == "guarantee"
    assert text[flag.start : flag.end] == flag.match and flag.start > 0
    assert [f.match for f in scanner.scan(text[1:]).flags] == [flag.match]


@pytest.mark.parametrize(
    "text",
    [
        "履约保证金为合同总额的百分之五。",
        "我们无法保证不延期，但合同写明了延期的违约责任。",
        "我们不能保证三十天上线。",
        "第一阶段先做线索管理。",
        "这是我们第一次合作。",
        "最晚周三给您答复。",
        "我们会尽最大努力配合。",
        "SLA里写明的承诺是四小时响应。",
        "我们承诺两小时响应（写在SLA里）。",
        "九五折是我能给的价格。",
        "年付的话我帮您申请九折（走审批）。",
        "公司统一的赠品政策是签约送培训。",
        "我们客观对比一下各自优势。",
        "经客户同意，可以安排您去参观。",
        "款项请汇入合同约定的对公账户。",
    ],
)
def test_look_alikes_from_the_contract_pass(scanner: Scanner, text: str) -> None:
    result = scanner.scan(text)
    assert result.compliant and not result.flags, [str(flag) for flag in result.flags]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("我们保证项目不延期。", "guarantee"),
        ("这个投资稳赚不赔。", "guarantee"),
        ("我们是行业第一品牌。", "absolute_claim"),
        ("这是全网最低价。", "absolute_claim"),
        ("给您打六五折。", "unauthorized_discount"),
        ("首年服务费全免。", "unauthorized_discount"),
        ("返点打到您个人卡上。", "kickback"),
        ("他们就是骗子公司。", "disparagement"),
        ("另一个客户的手机号是13912345678。", "privacy"),
        ("尾款转我个人微信就行。", "off_channel_payment"),
    ],
)
def test_each_category_is_caught(scanner: Scanner, text: str, category: str) -> None:
    result = scanner.scan(text)
    assert not result.compliant and category in result.categories


def test_overlapping_hits_of_one_category_become_one_flag(scanner: Scanner) -> None:
    result = scanner.scan("我们保证三十天内一定上线。")
    assert [flag.category for flag in result.flags] == ["guarantee"]


def test_discount_suggestion_names_the_limit(scanner: Scanner) -> None:
    (flag,) = scanner.scan("给您打七折。").flags
    assert "七折" in flag.suggestion and "九折" in flag.suggestion


def test_low_severity_flags_do_not_block() -> None:
    low = Flag(
        rule_id="x.y",
        category="guarantee",
        severity="low",
        start=0,
        end=1,
        match="x",
        suggestion="s",
    )
    assert ScanResult.from_flags([low]).compliant
    assert not ScanResult.from_flags([low.model_copy(update={"severity": "medium"})]).compliant


def test_categories_are_the_contract_ids() -> None:
    assert set(CATEGORIES) == {
        "guarantee",
        "absolute_claim",
        "unauthorized_discount",
        "kickback",
        "disparagement",
        "privacy",
        "off_channel_payment",
    }
