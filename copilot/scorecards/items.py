"""A scorecard's checklist items: what a rep should say on every call.

An organisation sets its own items (``copilot scorecard …``, table ``scorecard_items``);
until it does, the default template of ``default_items.yaml`` applies: 录音告知, 自报家门
(both must be said), 确认预算, 确认决策人, 约定下一步.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

DEFAULT_ITEMS_FILE = Path(__file__).resolve().with_name("default_items.yaml")

ItemKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class ScorecardItem(BaseModel):
    """One thing to say. ``cues`` are patterns over the rep's words (matching.py);
    ``must_say`` items are the ones the side panel reminds the rep of before the call ends."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: ItemKey
    label: Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]
    cues: tuple[Annotated[str, StringConstraints(min_length=1, max_length=200)], ...] = Field(
        min_length=1, max_length=40
    )
    must_say: bool = False
    position: int = 0

    @field_validator("cues")
    @classmethod
    def _patterns_compile(cls, cues: tuple[str, ...]) -> tuple[str, ...]:
        # Imported here: matching imports this module for the item type.
        from copilot.scorecards.matching import CueError, compile_cue

        for cue in cues:
            try:
                compile_cue(cue)
            except CueError as exc:
                raise ValueError(f"cue {cue!r}: {exc}") from exc
        return cues


class ItemsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ScorecardItem] = Field(min_length=1)


def load_items(path: Path) -> list[ScorecardItem]:
    """Items from a YAML file shaped like ``default_items.yaml``, in file order."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = ItemsFile.model_validate(data).items
    keys = [item.key for item in items]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"{path}: item keys repeat: {', '.join(duplicates)}")
    return [item.model_copy(update={"position": i}) for i, item in enumerate(items)]


@cache
def default_items() -> tuple[ScorecardItem, ...]:
    """The template every org starts from (read once)."""
    return tuple(load_items(DEFAULT_ITEMS_FILE))
