"""The YAML lexicons under ``data/`` and their schemas.

Every file is validated when first loaded, so a typo in a lexicon fails at start-up with the
file name, not later as a silent miss.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from copilot.insights.errors import LexiconError
from copilot.insights.models import ObjectionType, PainCategory
from copilot.insights.text import Negation, expand

DATA = Path(__file__).parent / "data"


class LexiconSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NegationLexicon(LexiconSchema):
    window_before: int
    window_after: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    hypothetical_before: tuple[str, ...]
    reversed_by: tuple[str, ...] = ()
    asked_by: tuple[str, ...] = ()

    def negation(self, hypothetical: bool = False) -> Negation:
        """The negation words; with ``hypothetical`` also 如果/万一 (for pain points)."""
        before = self.before + self.hypothetical_before if hypothetical else self.before
        return Negation(
            before,
            self.after,
            self.window_before,
            self.window_after,
            self.reversed_by,
            self.asked_by,
        )


class CompetitorCues(LexiconSchema):
    generic: tuple[str, ...]
    compare: tuple[str, ...]
    lock_in: tuple[str, ...]
    using: tuple[str, ...]
    using_after: tuple[str, ...] = ()
    denied_before: tuple[str, ...] = ()
    engaged_before: tuple[str, ...]
    platform_context: tuple[str, ...]
    platform_before: tuple[str, ...] = ()
    platform_after: tuple[str, ...] = ()
    versus: tuple[str, ...] = ()
    past_before: tuple[str, ...] = ()
    ended_after: tuple[str, ...] = ()


class FallbackCues(LexiconSchema):
    concern: str
    topics: dict[ObjectionType, tuple[str, ...]]


class SettledCues(LexiconSchema):
    # The defaults settle nothing: no types, and patterns that never match.
    types: tuple[ObjectionType, ...] = ()
    stance: tuple[str, ...] = ()
    contrast: str = "(?!)"
    conditional: str = "(?!)"
    asking: str = "(?!)"


class ObjectionLexicon(LexiconSchema):
    types: dict[ObjectionType, tuple[str, ...]]
    yielding: dict[ObjectionType, tuple[str, ...]] = {}
    fallback: FallbackCues
    settled: SettledCues = SettledCues()
    competitor: CompetitorCues


class PainLexicon(LexiconSchema):
    categories: dict[PainCategory, tuple[str, ...]]


class BudgetLexicon(LexiconSchema):
    units: dict[str, int]
    classifiers_after: tuple[str, ...]
    not_counting_after: tuple[str, ...]
    counted_by_one_after: tuple[str, ...]
    ge_for_wan_before: tuple[str, ...]
    foreign_currency_after: tuple[str, ...]
    budget_cues: tuple[str, ...]
    not_budget_cues: tuple[str, ...]
    not_budget_after: tuple[str, ...]
    budget_after: tuple[str, ...]
    threshold_before: tuple[str, ...]
    threshold_after: str
    over_means_ceiling_after: str
    approximate_before: tuple[str, ...]
    approximate_after: tuple[str, ...]
    below_before: tuple[str, ...]
    above_after: tuple[str, ...]
    ceiling_before: tuple[str, ...]
    ceiling_after: tuple[str, ...]
    ceiling_after_anywhere: tuple[str, ...]
    floor_before: tuple[str, ...]
    floor_after: tuple[str, ...]
    periods: dict[Literal["year", "month", "one_time"], tuple[str, ...]]
    share_pattern: str
    share_before: tuple[str, ...]
    period_cues: tuple[str, ...] = ()
    repeated_before: str = ""
    repeated_after: str = ""


class DecisionLexicon(LexiconSchema):
    surnames: tuple[str, ...]
    person_titles: tuple[str, ...]
    title_blocklist_after: dict[str, tuple[str, ...]]
    role_strong: tuple[str, ...]
    role_cores: tuple[str, ...]
    role_modifiers: tuple[str, ...]
    bodies: tuple[str, ...]
    body_suffix_pattern: str
    collective_body_endings: tuple[str, ...]
    bare_bodies: tuple[str, ...]
    bureau_pattern: str = ""
    bare_body_act_after: str
    bare_body_act_before: str
    weak_titles: tuple[str, ...]
    clause_titles: tuple[str, ...] = ()
    site_heads: tuple[str, ...] = ()
    decision_context: str
    sequence_markers: str
    greeting_after: str
    others_before: str = ""
    disclaimed_after: str = ""
    conceded_before: str = ""
    pair_gap: str
    frame_verbs: str = ""
    frame_between: tuple[str, ...] = ()
    frame_meeting_before: str = ""
    frame_asked: str = ""
    frame_chooser: str = ""
    frame_cuts: tuple[str, ...] = ()
    frame_endings: tuple[str, ...] = ()
    frame_not_after: tuple[str, ...] = ()
    frame_not_names: tuple[str, ...] = ()


class CommitmentLexicon(LexiconSchema):
    time_pieces: tuple[str, ...]
    time_end: str
    span_end: str
    verbs: str
    future_markers: str
    other_subjects: str
    fillers: str
    reject: str


class CompetitorEntry(LexiconSchema):
    name: str
    aliases: tuple[str, ...] = ()
    kind: Literal["crm", "platform"] = "crm"

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a competitor needs a name")
        return value


class CompetitorList(LexiconSchema):
    competitors: tuple[CompetitorEntry, ...]


Schema = TypeVar("Schema", bound=LexiconSchema)


def load(path: Path, schema: type[Schema]) -> Schema:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LexiconError(f"{path}: cannot read lexicon ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML ({exc})") from exc
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        raise LexiconError(f"{path}: does not match its schema\n{exc}") from exc


@cache
def bundled(name: str, schema: type[Schema]) -> Schema:
    """One of the lexicons shipped in ``data/``, loaded once per process."""
    return load(DATA / f"{name}.yaml", schema)


def alternation(patterns: tuple[str, ...] | list[str]) -> str:
    """One regular expression matching any of the lexicon patterns, longest literal first."""
    ordered = sorted(patterns, key=len, reverse=True)
    return "|".join(f"(?:{expand(p)})" for p in ordered)


def compile_words(words: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    """Literal words (not patterns) as one regular expression, longest first."""
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def compile_patterns(patterns: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    try:
        return re.compile(alternation(patterns))
    except re.error as exc:
        raise LexiconError(f"bad pattern in lexicon: {exc}") from exc


def compile_optional(patterns: tuple[str, ...] | list[str]) -> re.Pattern[str] | None:
    """Like :func:`compile_patterns`, but ``None`` for no patterns (an empty alternation would
    match everywhere)."""
    return compile_patterns(patterns) if patterns else None
