"""The shapes of knowledge-base data: entries, the tag vocabulary, validation problems.

An entry is what ``knowledge_base/README.md`` describes; ``extra="forbid"`` so a misspelt
field (``tag:`` for ``tags:``) is a validation problem, not silently dropped content.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Kind = Literal["script", "case", "battlecard", "question", "phrasing"]
KINDS: tuple[Kind, ...] = ("script", "case", "battlecard", "question", "phrasing")

# Objection types of CONTRACT.md. Defined here, not imported from copilot/: the retrieval
# library does not depend on the service.
ObjectionType = Literal["price", "competitor", "timing", "authority", "need", "trust", "risk"]
OBJECTION_TYPES: tuple[ObjectionType, ...] = (
    "price",
    "competitor",
    "timing",
    "authority",
    "need",
    "trust",
    "risk",
)

# The id prefix each kind must use (README "Id prefixes"), so an id tells what it points at.
ID_PREFIXES: dict[Kind, str] = {
    "script": "kb-script-",
    "case": "kb-case-",
    "battlecard": "kb-battle-",
    "question": "kb-q-",
    "phrasing": "kb-phrase-",
}
ID_PATTERN = r"^kb(-[a-z0-9]+)+$"


class KbEntry(BaseModel):
    """One piece of approved sales content."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    kind: Kind
    title: str = Field(min_length=1)
    text: str = Field(min_length=1)
    tags: tuple[str, ...]
    updated: datetime.date
    illustrative: bool | None = None

    @field_validator("title", "text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("updated", mode="before")
    @classmethod
    def _iso_date_only(cls, value: object) -> object:
        # The YAML loader keeps dates as text; accept only the ISO form the README asks for
        # (pydantic would also take a Unix timestamp, which is never what an author meant).
        if isinstance(value, int | float):
            raise ValueError("must be an ISO date such as 2026-01-15")
        return value

    def content_hash(self, salt: str = "") -> str:
        """A stable digest of everything that is embedded or stored; ``salt`` names the
        embedder, so a changed model or lexicon re-embeds every entry."""
        payload = json.dumps(
            [salt, self.model_dump(mode="json")], ensure_ascii=False, sort_keys=True
        )
        return hashlib.blake2b(payload.encode("utf-8"), digest_size=16).hexdigest()

    def has_tag(self, tag: str) -> bool:
        return tag in self.tags


class TagVocabulary(BaseModel):
    """``tags.yaml``: group -> {tag id: Chinese label}; ids are unique across groups."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: dict[str, dict[str, str]] = Field(default_factory=dict)

    def group_of(self, tag: str) -> str | None:
        for group, tags in self.groups.items():
            if tag in tags:
                return group
        return None

    def label(self, tag: str) -> str | None:
        for tags in self.groups.values():
            if tag in tags:
                return tags[tag]
        return None

    def ids(self, group: str) -> tuple[str, ...]:
        return tuple(self.groups.get(group, {}))

    def __contains__(self, tag: object) -> bool:
        return any(tag in tags for tags in self.groups.values())

    def find(self, group: str, name: str) -> str | None:
        """The tag id of ``group`` whose id or label is ``name`` (case-insensitive), e.g. the
        competitor tag of 「纷享销客」 (``fxiaoke``)."""
        wanted = name.strip().casefold()
        for tag, label in self.groups.get(group, {}).items():
            if wanted in (tag.casefold(), label.casefold()):
                return tag
        return None


class KbProblem(BaseModel):
    """One thing wrong with the knowledge base, located to a file and line."""

    model_config = ConfigDict(frozen=True)

    file: str
    line: int | None = None
    entry_id: str | None = None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.entry_id or '-'}: {self.message}"


def searchable_text(entry: KbEntry, vocabulary: TagVocabulary) -> str:
    """What is embedded and indexed for an entry: title, text and the Chinese labels of its
    tags (an entry tagged ``price`` then also matches 「价格异议」)."""
    labels = " ".join(label for tag in entry.tags if (label := vocabulary.label(tag)))
    return f"{entry.title}\n{entry.text}\n{labels}".strip()
