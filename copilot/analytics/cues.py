"""The word lists of ``cues.yaml`` and their schema, validated when first loaded."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

CUES_FILE = Path(__file__).with_name("cues.yaml")


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuestionCues(_Schema):
    words: tuple[str, ...]
    ji_measures: str
    not_words: tuple[str, ...]
    final_particles: tuple[str, ...]
    me_particle_not_after: tuple[str, ...]
    tags: tuple[str, ...]
    ne_statement_before: tuple[str, ...]
    ne_statement_with: tuple[str, ...]
    trailing: tuple[str, ...]
    trailing_titles: tuple[str, ...]


class TimelineCues(_Schema):
    time_words: tuple[str, ...]
    purchase_words: tuple[str, ...]


class Cues(_Schema):
    backchannels: frozenset[str]
    questions: QuestionCues
    timeline: TimelineCues


@cache
def cues() -> Cues:
    """The shipped lists; a typo in the file fails here, naming the key."""
    return Cues.model_validate(yaml.safe_load(CUES_FILE.read_text(encoding="utf-8")))
