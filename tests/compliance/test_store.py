"""Rule files: validation errors that name the file and rule, reloading without a restart,
and an organisation's overrides."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compliance import ComplianceConfig, RulePackError, RulePackStore, Scanner

RULE = """
category: guarantee
rules:
  - id: guarantee.{name}
    severity: high
    words: [{word}]
    suggestion: 改为合规表述。
    examples:
      positive: [这个{word}您放心]
      negative: [没有问题]
"""


def _touch(path: Path) -> None:
    """Move the modification time forward so that a reload notices even on coarse clocks."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    _touch(path)


def test_a_changed_rule_file_is_picked_up_without_restart(rules_copy: Path) -> None:
    scanner = Scanner(ComplianceConfig(rules_dir=rules_copy, reload_interval_s=0))
    assert scanner.scan("这个铁板钉钉您放心").compliant
    extra = (rules_copy / "guarantee.yaml").read_text(encoding="utf-8")
    extra += RULE.split("rules:\n", 1)[1].format(name="nailed", word="铁板钉钉")
    _write(rules_copy / "guarantee.yaml", extra)
    result = scanner.scan("这个铁板钉钉您放心")
    assert [flag.rule_id for flag in result.flags] == ["guarantee.nailed"]


def test_a_broken_file_keeps_the_previous_pack(rules_copy: Path) -> None:
    store = RulePackStore(ComplianceConfig(rules_dir=rules_copy, reload_interval_s=0))
    scanner = Scanner(store=store)
    before = store.pack
    broken = (
        (rules_copy / "guarantee.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "id: guarantee.refund\n    severity: high", "id: guarantee.refund\n    severity: urgent"
        )
    )
    _write(rules_copy / "guarantee.yaml", broken)
    assert not scanner.scan("我们保证不延期").compliant  # scanned with the old pack
    assert store.pack is before
    assert store.last_error is not None
    assert "guarantee.yaml" in str(store.last_error) and "guarantee.refund" in str(store.last_error)
    with pytest.raises(RulePackError, match=r"guarantee\.yaml: rule guarantee\.refund: severity"):
        scanner.reload()
    assert store.pack is before
    _write(rules_copy / "guarantee.yaml", broken.replace("severity: urgent", "severity: medium"))
    assert scanner.reload() is store.pack and store.last_error is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            RULE.format(name="x", word="保票").replace("words: [保票]", "regex: '(unclosed'"),
            r"rule guarantee\.x: regex.*does not compile",
        ),
        (RULE.format(name="x", word='"@no_such_list"'), r"rule guarantee\.x: unknown lexicon"),
        (
            RULE.format(name="x", word="保票").replace("words: [保票]", "detector: telepathy"),
            r"rule guarantee\.x: unknown detector",
        ),
        (
            RULE.format(name="x", word="保票").replace("guarantee.x", "kickback.x"),
            r"must start with 'guarantee\.'",
        ),
        (
            RULE.format(name="x", word="保票").replace("      positive: [这个保票您放心]\n", ""),
            r"rule guarantee\.x: examples\.positive",
        ),
        (
            RULE.format(name="x", word="保票").replace("words: [保票]", "wrods: [保票]"),
            r"rule guarantee\.x: wrods",
        ),
        ("category: guarantee\nrules: [\n", r"invalid YAML"),
        ("- just\n- a list\n", r"expected a mapping"),
        (RULE.format(name="refund", word="保票"), r"rule guarantee\.refund: duplicate id"),
    ],
)
def test_invalid_files_name_the_file_and_rule(rules_copy: Path, body: str, message: str) -> None:
    (rules_copy / "zz_extra.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(RulePackError, match=message) as caught:
        Scanner(ComplianceConfig(rules_dir=rules_copy))
    assert "zz_extra.yaml" in str(caught.value) or "guarantee.yaml" in str(caught.value)


def test_missing_rules_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="rules directory not found"):
        Scanner(ComplianceConfig(rules_dir=tmp_path / "nowhere"))


def test_overrides_change_limit_severity_and_rules(tmp_path: Path) -> None:
    overrides = tmp_path / "acme.yaml"
    overrides.write_text(
        """
max_discount: 八五折
disable: [absolute_claim.extreme_words]
severity: {guarantee.delivery: medium}
lexicons: {competitor: [某某云]}
rules:
  - id: acme.no_free_hardware
    category: unauthorized_discount
    severity: medium
    words: [送硬件, 硬件白送]
    suggestion: 硬件按报价单收费。
    examples: {positive: [签约送硬件], negative: [硬件单独报价]}
""",
        encoding="utf-8",
    )
    scanner = Scanner(ComplianceConfig(overrides_path=overrides))
    assert scanner.scan("给您打八五折。").compliant
    (flag,) = scanner.scan("给您打八折。").flags
    assert "八五折" in flag.suggestion
    assert scanner.scan("我们是顶级厂商。").compliant
    (delivery,) = scanner.scan("我们保证下周上线。").flags
    assert delivery.severity == "medium"
    assert [f.rule_id for f in scanner.scan("签约送硬件").flags] == ["acme.no_free_hardware"]
    assert "disparagement" in scanner.scan("某某云就是垃圾").categories


def test_overrides_reload_and_reject_unknown_ids(tmp_path: Path) -> None:
    overrides = tmp_path / "acme.yaml"
    overrides.write_text("max_discount_off: 0.25\n", encoding="utf-8")
    scanner = Scanner(ComplianceConfig(overrides_path=overrides, reload_interval_s=0))
    assert scanner.scan("给您打七五折。").compliant
    _write(overrides, "max_discount_off: 0.10\n")
    assert not scanner.scan("给您打七五折。").compliant
    _write(overrides, "disable: [guarantee.no_such_rule]\n")
    with pytest.raises(RulePackError, match=r"acme\.yaml: rule guarantee\.no_such_rule: disable"):
        scanner.reload()
    assert not scanner.scan("给您打七五折。").compliant  # old pack still active


def test_overrides_set_a_categorys_rewrite_in_general(tmp_path: Path) -> None:
    """A category's id in `suggestion` sets the rewrite shown for a flag none of its rules
    raised (a learned model's); its rules keep their own."""
    shipped = Scanner().pack
    overrides = tmp_path / "acme.yaml"
    overrides.write_text(
        "suggestion: {guarantee: 改为：以合同约定的服务条款为准。}\n", encoding="utf-8"
    )
    pack = Scanner(ComplianceConfig(overrides_path=overrides)).pack
    assert pack.suggestions["guarantee"] == "改为：以合同约定的服务条款为准。"
    assert pack.suggestions["privacy"] == shipped.suggestions["privacy"]
    assert [rule.suggestion for rule in pack.rules] == [rule.suggestion for rule in shipped.rules]
    _write(overrides, "suggestion: {guarantee: '超过{limit}请走审批。'}\n")
    with pytest.raises(RulePackError, match=r"acme\.yaml: suggestion: category guarantee"):
        Scanner(ComplianceConfig(overrides_path=overrides))
    _write(overrides, "suggestion: {guarantees: 改为合规表述。}\n")
    with pytest.raises(
        RulePackError, match=r"rule guarantees: suggestion: no rule .*nor a category"
    ):
        Scanner(ComplianceConfig(overrides_path=overrides))


def test_the_readmes_overrides_example_is_a_valid_overrides_file(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "compliance" / "README.md").read_text(encoding="utf-8")
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    overrides = tmp_path / "acme.yaml"
    overrides.write_text(example, encoding="utf-8")
    scanner = Scanner(ComplianceConfig(overrides_path=overrides))
    assert scanner.pack.suggestions["guarantee"] == "改为：以合同约定的服务条款为准。"
    (flag,) = scanner.scan("给您打八折。").flags
    assert flag.suggestion == "超过八五折请走特价审批。"


def test_unreadable_max_discount_is_an_error(tmp_path: Path) -> None:
    overrides = tmp_path / "acme.yaml"
    overrides.write_text("max_discount: 很多\n", encoding="utf-8")
    with pytest.raises(RulePackError, match="max_discount"):
        Scanner(ComplianceConfig(overrides_path=overrides))


def test_config_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="extra"):
        ComplianceConfig(max_discount=0.2)  # type: ignore[call-arg]
