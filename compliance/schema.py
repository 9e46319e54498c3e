"""The schema of rule files and of an organisation's overrides file (validated with pydantic).

A rule file holds one category::

    category: guarantee
    lexicons:                      # word lists this file's rules may cite as "@name"
      outcome: [上线, 交付, 不延期]
    rules:
      - id: guarantee.delivery     # "<category>.<name>", stable: overrides and audits cite it
        severity: high
        words: [保证, 承诺, 一定]   # literal triggers (Aho-Corasick) …
        # regex: '…'  anchors: [...] # … or a regex, searched near its anchors' hits …
        # detector: discount         # … or a built-in detector
        require:                    # every condition must hold near the trigger
          - {words: ["@outcome"], after: 16}
        unless:                     # any condition clears the hit
          - {words: ["@negation"], before: 4, scope: clause}
        suggestion: 改为「…」
        examples: {positive: [...], negative: [...]}
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from compliance.models import Category, Severity
from compliance.text import Scope

RULE_ID = re.compile(r"^[a-z][a-z_]*\.[a-z0-9_]+$")


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_regex(pattern: str | None) -> str | None:
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"regex does not compile: {exc}") from None
    return pattern


class ConditionSpec(_Schema):
    """Words (or a regex) looked for around a hit: ``before``/``after`` N characters, or
    anywhere in the hit's clause or sentence when neither is given."""

    words: list[str] = Field(default_factory=list)
    regex: str | None = None
    before: int | None = Field(default=None, ge=0, le=120)
    after: int | None = Field(default=None, ge=0, le=120)
    scope: Scope = "sentence"

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        return _check_regex(value)

    @model_validator(mode="after")
    def _needs_something(self) -> ConditionSpec:
        if not self.words and self.regex is None:
            raise ValueError("a condition needs words or a regex")
        return self


class Examples(_Schema):
    positive: list[str] = Field(min_length=1)
    negative: list[str] = Field(default_factory=list)


class RuleSpec(_Schema):
    id: str
    severity: Severity
    description: str = ""
    words: list[str] = Field(default_factory=list)
    regex: str | None = None
    anchors: list[str] = Field(default_factory=list)
    detector: str | None = None
    require: list[ConditionSpec] = Field(default_factory=list)
    unless: list[ConditionSpec] = Field(default_factory=list)
    suggestion: str = Field(min_length=1)
    examples: Examples

    @field_validator("regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        return _check_regex(value)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"rule id {value!r} must look like 'category.name'")
        return value

    @model_validator(mode="after")
    def _one_matcher(self) -> RuleSpec:
        kinds = [bool(self.words), self.regex is not None, self.detector is not None]
        if sum(kinds) != 1:
            raise ValueError("a rule needs exactly one of words, regex or detector")
        if self.anchors and self.words:
            raise ValueError("anchors gate a regex or detector; word rules need none")
        return self


class RuleFile(_Schema):
    category: Category
    description: str = ""
    # The category's rewrite in general, for a flag that no rule of it raised (the learned
    # model's, on wording the rules do not know): each rule's own suggestion fits its wording.
    suggestion: str = ""
    lexicons: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[RuleSpec]

    @model_validator(mode="after")
    def _ids_in_category(self) -> RuleFile:
        for rule in self.rules:
            if rule.id.split(".", 1)[0] != self.category:
                raise ValueError(f"rule {rule.id} must start with '{self.category}.'")
        return self


class ExtraRule(RuleSpec):
    """A rule an organisation adds; it states its category (any id prefix is allowed)."""

    category: Category

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"rule id {value!r} must look like 'org.name'")
        return value


class OverridesFile(_Schema):
    """An organisation's changes to the packaged pack."""

    # The deepest discount reps may promise, as 折 (八五折, 8.5折) or a percentage (15%);
    # or max_discount_off as a fraction (0.15). Either replaces the config's value.
    max_discount: str | None = None
    max_discount_off: float | None = Field(default=None, ge=0.0, lt=1.0)
    disable: list[str] = Field(default_factory=list)
    severity: dict[str, Severity] = Field(default_factory=dict)
    suggestion: dict[str, str] = Field(default_factory=dict)
    # Extra words for the pack's lexicons, e.g. competitor names: {competitor: [某某CRM]}.
    lexicons: dict[str, list[str]] = Field(default_factory=dict)
    rules: list[ExtraRule] = Field(default_factory=list)


ExampleKind = Literal["positive", "negative"]
