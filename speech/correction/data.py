"""The correction data shipped in ``speech/data/`` (YAML), with its schema."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

DATA = Path(__file__).resolve().parent.parent / "data"
TermKind = Literal["vendor", "product", "person", "title", "vocab", "customer"]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VocabularyEntry(_Schema):
    text: str = Field(min_length=2)
    context: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


class VocabularyFile(_Schema):
    context: dict[TermKind, tuple[str, ...]]
    terms: tuple[VocabularyEntry | str, ...]

    def entries(self) -> list[VocabularyEntry]:
        return [VocabularyEntry(text=t) if isinstance(t, str) else t for t in self.terms]


class TitlesFile(_Schema):
    titles: tuple[str, ...]
    bound: tuple[str, ...]
    not_names: str
    surnames: str
    compound_surnames: tuple[str, ...] = ()
    decides: tuple[str, ...] = ()


class UnitPattern(_Schema):
    unit: str = Field(min_length=1)
    sounds: tuple[str, ...]
    after_ge: bool = False
    strong_before: tuple[str, ...] = ()
    only_settled: str = ""
    cues_before_only: bool = False
    context: tuple[str, ...] = ()


class UnitsFile(_Schema):
    numerals: str
    units: tuple[UnitPattern, ...]


def _load(name: str) -> object:
    with (DATA / name).open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def vocabulary() -> VocabularyFile:
    return VocabularyFile.model_validate(_load("sales_vocabulary.yaml"))


@lru_cache(maxsize=1)
def titles() -> TitlesFile:
    return TitlesFile.model_validate(_load("titles.yaml"))


@lru_cache(maxsize=1)
def units() -> UnitsFile:
    return UnitsFile.model_validate(_load("units.yaml"))
