"""Reading a rule pack from YAML: the rule files (one per category), the shared lexicons and
an organisation's overrides, validated and compiled. Every error names the file and, where
it can, the rule."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from compliance.config import ComplianceConfig
from compliance.detectors import DetectorSettings
from compliance.errors import RulePackError
from compliance.models import Category
from compliance.numbers import parse_discount_name
from compliance.pack import Rule, RulePack, compile_rule
from compliance.schema import ConditionSpec, OverridesFile, RuleFile, RuleSpec

SHARED_LEXICONS = Path(__file__).parent / "data" / "lexicons.yaml"


def rule_files(rules_dir: Path) -> list[Path]:
    if not rules_dir.is_dir():
        raise RulePackError(rules_dir, "rules directory not found")
    files = sorted(rules_dir.glob("*.yaml")) + sorted(rules_dir.glob("*.yml"))
    if not files:
        raise RulePackError(rules_dir, "no rule files (*.yaml) in the rules directory")
    return files


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulePackError(path, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RulePackError(path, "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise RulePackError(path, f"invalid YAML: {exc}".replace("\n", " ")) from None


def _validation_error(path: Path, raw: Any, exc: ValidationError, key: str = "rules") -> None:
    """Re-raise the first pydantic error as a RulePackError naming the rule's id."""
    first = exc.errors()[0]
    location = first["loc"]
    rule_id = None
    if len(location) >= 2 and location[0] == key and isinstance(location[1], int):
        try:
            rule_id = str(raw[key][location[1]].get("id") or f"#{location[1] + 1}")
        except (AttributeError, IndexError, KeyError, TypeError):
            rule_id = f"#{location[1] + 1}"
        location = location[2:]
    field = ".".join(str(part) for part in location)
    message = f"{field}: {first['msg']}" if field else first["msg"]
    raise RulePackError(path, message, rule_id) from None


def load_rule_file(path: Path) -> RuleFile:
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise RulePackError(path, "expected a mapping with 'category' and 'rules'")
    try:
        return RuleFile.model_validate(raw)
    except ValidationError as exc:
        _validation_error(path, raw, exc)
        raise AssertionError("unreachable") from None


def load_overrides(path: Path) -> OverridesFile:
    raw = _read_yaml(path)
    if raw is None:
        return OverridesFile()
    if not isinstance(raw, dict):
        raise RulePackError(path, "expected a mapping of overrides")
    try:
        return OverridesFile.model_validate(raw)
    except ValidationError as exc:
        _validation_error(path, raw, exc)
        raise AssertionError("unreachable") from None


def _load_shared_lexicons() -> dict[str, list[str]]:
    raw = _read_yaml(SHARED_LEXICONS)
    if not isinstance(raw, dict) or not all(isinstance(v, list) for v in raw.values()):
        raise RulePackError(SHARED_LEXICONS, "expected a mapping of name: [words]")
    return {str(name): [str(word) for word in words] for name, words in raw.items()}


def _expand(
    items: list[str], lexicons: dict[str, list[str]], path: Path, rule_id: str
) -> list[str]:
    expanded: list[str] = []
    for item in items:
        if item.startswith("@"):
            if item[1:] not in lexicons:
                raise RulePackError(path, f"unknown lexicon {item!r}", rule_id)
            expanded.extend(lexicons[item[1:]])
        else:
            expanded.append(item)
    return expanded


def _expanded_rule(spec: RuleSpec, lexicons: dict[str, list[str]], path: Path) -> RuleSpec:
    def condition(c: ConditionSpec) -> ConditionSpec:
        return c.model_copy(update={"words": _expand(c.words, lexicons, path, spec.id)})

    return spec.model_copy(
        update={
            "words": _expand(spec.words, lexicons, path, spec.id),
            "anchors": _expand(spec.anchors, lexicons, path, spec.id),
            "require": [condition(c) for c in spec.require],
            "unless": [condition(c) for c in spec.unless],
        }
    )


def _compile(
    spec: RuleSpec, category: Category, lexicons: dict[str, list[str]], path: Path
) -> Rule:
    try:
        return compile_rule(_expanded_rule(spec, lexicons, path), category, path)
    except KeyError as exc:
        raise RulePackError(path, str(exc.args[0]), spec.id) from None


def _extend(lexicons: dict[str, list[str]], extra: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [*words, *extra.get(name, [])] for name, words in lexicons.items()}


@dataclass(frozen=True)
class OverridesLayer:
    """Overrides given as data rather than a file (an organisation's own, kept in a
    database), applied after the overrides file; ``source`` names them in errors."""

    source: str
    overrides: OverridesFile


def load_pack(config: ComplianceConfig, layer: OverridesLayer | None = None) -> RulePack:
    """Read, validate and compile the configured rule pack with its overrides, then
    ``layer`` on top (its unknown rule ids and lexicons are refused the same way)."""
    files = rule_files(config.resolved_rules_dir())
    overrides = OverridesFile()
    if config.overrides_path is not None:
        overrides = load_overrides(config.overrides_path)
    shared = _load_shared_lexicons()
    parsed = [(path, load_rule_file(path)) for path in files]

    known_lexicons = set(shared).union(*(set(rule_file.lexicons) for _, rule_file in parsed))
    extra_words = dict(overrides.lexicons)
    sources: list[tuple[Path | str, OverridesFile]] = [(config.overrides_path or "", overrides)]
    if layer is not None:
        sources.append((layer.source, layer.overrides))
        for name, words in layer.overrides.lexicons.items():
            extra_words[name] = [*extra_words.get(name, []), *words]
    for source, given in sources:
        for name in given.lexicons:
            if name not in known_lexicons:
                raise RulePackError(source, f"lexicons: unknown lexicon {name!r}")
    shared = _extend(shared, extra_words)

    rules: list[Rule] = []
    for path, rule_file in parsed:
        lexicons = {**shared, **_extend(rule_file.lexicons, extra_words)}
        rules.extend(_compile(spec, rule_file.category, lexicons, path) for spec in rule_file.rules)
    categories: set[str] = {rule_file.category for _, rule_file in parsed}
    if config.overrides_path is not None:
        rules = _apply_overrides(rules, overrides, shared, config.overrides_path, categories)
    if layer is not None:
        rules = _apply_overrides(rules, layer.overrides, shared, Path(layer.source), categories)

    seen: dict[str, Path] = {}
    for rule in rules:
        if rule.id in seen:
            raise RulePackError(rule.source, f"duplicate id (also in {seen[rule.id]})", rule.id)
        seen[rule.id] = rule.source

    max_off = config.max_discount_off
    for source, given in sources:
        if given.max_discount_off is not None:
            max_off = given.max_discount_off
        if given.max_discount is not None:
            parsed_off = parse_discount_name(given.max_discount)
            if parsed_off is None:
                raise RulePackError(
                    source,
                    f"max_discount: cannot read {given.max_discount!r} (write e.g. 八五折 or 15%)",
                )
            max_off = parsed_off
    pack_files = (*files, *([config.overrides_path] if config.overrides_path else []))
    suggestions: dict[str, str] = {
        rule_file.category: rule_file.suggestion.strip()
        for _, rule_file in parsed
        if rule_file.suggestion.strip()
    }
    for source, given in sources:  # the global overrides, then the organisation's
        for key, text in given.suggestion.items():
            if key not in categories:
                continue
            if "{" in text or not text.strip():
                raise RulePackError(
                    source,
                    f"suggestion: category {key}'s rewrite is shown as written: no {{…}} values",
                )
            suggestions[key] = text.strip()
    return RulePack.build(
        rules, DetectorSettings(max_discount_off=max_off), pack_files, suggestions
    )


def _apply_overrides(
    rules: list[Rule],
    overrides: OverridesFile,
    lexicons: dict[str, list[str]],
    path: Path,
    categories: set[str],
) -> list[Rule]:
    known = {rule.id for rule in rules}
    for field_name, ids in (
        ("disable", overrides.disable),
        ("severity", list(overrides.severity)),
        # A category's id sets its rewrite in general (for a flag none of its rules raised).
        ("suggestion", [key for key in overrides.suggestion if key not in categories]),
    ):
        for rule_id in ids:
            if rule_id not in known:
                raise RulePackError(
                    path,
                    f"{field_name}: no rule with this id"
                    + (" (nor a category)" if field_name == "suggestion" else ""),
                    rule_id,
                )
    changed: list[Rule] = []
    for rule in rules:
        if rule.id in overrides.disable:
            continue
        updates: dict[str, Any] = {}
        if rule.id in overrides.severity:
            updates["severity"] = overrides.severity[rule.id]
        if rule.id in overrides.suggestion:
            updates["suggestion"] = overrides.suggestion[rule.id]
        changed.append(_replace(rule, updates))
    for extra in overrides.rules:
        changed.append(_compile(extra, extra.category, lexicons, path))
    return changed


def _replace(rule: Rule, updates: dict[str, Any]) -> Rule:
    return replace(rule, **updates) if updates else rule
