"""A compiled rule pack: every rule's triggers and anchors in one Aho-Corasick automaton,
each condition's words in one regex, regexes compiled once, lexicon references expanded.
Immutable, so a reload swaps it atomically."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compliance.automaton import WordFinder
from compliance.detectors import DETECTORS, Detector, DetectorSettings
from compliance.models import Category, Severity
from compliance.schema import ConditionSpec, Examples, RuleSpec
from compliance.text import Scope, normalize


@dataclass(frozen=True)
class Condition:
    words: frozenset[str]
    regex: re.Pattern[str] | None
    before: int | None
    after: int | None
    scope: Scope
    # ``words`` as one alternation, shortest first: a search finds the leftmost word and, of
    # those starting there, the shortest. Conditions are only read around a candidate, so
    # their words are looked up in its window rather than found all over every message.
    word_regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "word_regex", _alternation(self.words))


@dataclass(frozen=True)
class Rule:
    id: str
    category: Category
    severity: Severity
    suggestion: str
    words: tuple[str, ...]
    regex: re.Pattern[str] | None
    anchors: tuple[str, ...]
    detector: Detector | None
    require: tuple[Condition, ...]
    unless: tuple[Condition, ...]
    examples: Examples
    source: Path


@dataclass(frozen=True)
class RulePack:
    rules: tuple[Rule, ...]
    detector_settings: DetectorSettings
    files: tuple[Path, ...] = ()
    # rules with a regex or detector and no anchors: they look at every message
    always: tuple[int, ...] = ()
    # every word of the pack, found in one pass over a message, and per word, by its index
    # there, the rules it triggers and the rules it anchors
    automaton: WordFinder | None = None
    routes: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = ()
    # Per category, its rule file's general rewrite (``RuleFile.suggestion``), when it has one.
    suggestions: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def build(
        cls,
        rules: list[Rule],
        detector_settings: DetectorSettings,
        files: tuple[Path, ...],
        suggestions: Mapping[str, str] | None = None,
    ) -> RulePack:
        triggers: dict[str, list[int]] = defaultdict(list)
        anchors: dict[str, list[int]] = defaultdict(list)
        always = []
        for index, rule in enumerate(rules):
            for word in rule.words:
                triggers[word].append(index)
            for word in rule.anchors:
                anchors[word].append(index)
            if not rule.words and not rule.anchors:
                always.append(index)
        words = sorted({*triggers, *anchors})
        return cls(
            rules=tuple(rules),
            detector_settings=detector_settings,
            files=files,
            always=tuple(always),
            automaton=WordFinder(words) if words else None,
            routes=tuple((tuple(triggers.get(w, ())), tuple(anchors.get(w, ()))) for w in words),
            suggestions=dict(suggestions or {}),
        )

    def rule(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)


def _words(items: list[str]) -> tuple[str, ...]:
    # Rule words go through the same normalisation as messages (case, width, spaces).
    return tuple(dict.fromkeys(word for word in (normalize(item)[0] for item in items) if word))


def _regex(pattern: str | None) -> re.Pattern[str] | None:
    return None if pattern is None else re.compile(pattern, re.IGNORECASE)


def _alternation(words: frozenset[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    ordered = sorted(words, key=lambda word: (len(word), word))
    return re.compile("|".join(re.escape(word) for word in ordered))


def compile_condition(spec: ConditionSpec) -> Condition:
    return Condition(
        words=frozenset(_words(spec.words)),
        regex=_regex(spec.regex),
        before=spec.before,
        after=spec.after,
        scope=spec.scope,
    )


def compile_rule(spec: RuleSpec, category: Category, source: Path) -> Rule:
    """Compile a rule whose lexicon references are already expanded. Raises KeyError for an
    unknown detector name."""
    detector = None
    if spec.detector is not None:
        if spec.detector not in DETECTORS:
            known = ", ".join(sorted(DETECTORS))
            raise KeyError(f"unknown detector {spec.detector!r} (known: {known})")
        detector = DETECTORS[spec.detector]
    return Rule(
        id=spec.id,
        category=category,
        severity=spec.severity,
        suggestion=spec.suggestion.strip(),
        words=_words(spec.words),
        regex=_regex(spec.regex),
        anchors=_words(spec.anchors),
        detector=detector,
        require=tuple(compile_condition(c) for c in spec.require),
        unless=tuple(compile_condition(c) for c in spec.unless),
        examples=spec.examples,
        source=source,
    )
