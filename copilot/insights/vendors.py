"""The catalogue of vendors and products a customer may name (``data/vendors.yaml``).

The built-in catalogue is extended, per extractor, by the configured competitor list and an
organisation's own vendors (``copilot orgs vendors add``): a name already listed gains their
aliases and becomes a rival when they say ``kind: crm``; a new name becomes a new entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from pydantic import Field, model_validator

from copilot.insights.lexicon import DATA, CompetitorEntry, LexiconSchema, bundled

Category = Literal[
    "crm",
    "erp",
    "oa",
    "collaboration",
    "lowcode",
    "bi",
    "ecommerce",
    "hr",
    "finance",
    "expense",
    "mes",
    "wms",
    "service",
    "marketing",
    "cloud",
    "devops",
    "industry",
    "esign",
    "travel",
    "procurement",
    "other",
]

CATALOGUE_FILE = DATA / "vendors.yaml"


class SystemSpec(LexiconSchema):
    name: str = Field(min_length=1)
    vendor: str | None = None
    aliases: tuple[str, ...] = ()
    category: Category
    rival: bool = False
    ambiguous: tuple[str, ...] = ()
    # Spellings matched only as written, never by their sound: short names whose sound is
    # everywhere (易保 and 医保, 森亿 and 省医).
    written_only: tuple[str, ...] = ()
    context: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ambiguous_are_spellings(self) -> SystemSpec:
        for field in ("ambiguous", "written_only"):
            unknown = set(getattr(self, field)) - {self.name, *self.aliases}
            if unknown:
                raise ValueError(f"{self.name}: {field} {sorted(unknown)} are not its spellings")
        return self


class ContextCues(LexiconSchema):
    nearby: tuple[str, ...]
    before: tuple[str, ...]
    # Verbs of use right after the name, maybe after 我们/都/一直 (今目标我们用了七八年).
    after: tuple[str, ...] = ()
    # What may stand between the name and that verb (我们, 一直).
    after_lead: tuple[str, ...] = ()
    # A name joined by one of these to a confirmed one is confirmed (用Zoom和Slack).
    joiners: tuple[str, ...] = ()
    window: int = Field(ge=1)
    max_word_frequency: int = Field(ge=0)
    false_friends: tuple[str, ...] = ()
    # Words that confirm a name of one category (招聘 near 魔卡 -> Moka, an HR system).
    by_category: dict[Category, tuple[str, ...]] = {}
    # 在微盟上 / 放在石墨里: a name in a place where things are kept is software.
    place_before: tuple[str, ...] = ()
    place_after: tuple[str, ...] = ()
    # A surname right before an ambiguous name makes it a person (李致远, 陈思源).
    surnames: str = ""
    # Characters that never belong to a name read out (的, 是, 我们): bounds for transliterations.
    not_in_names: str = ""
    # Characters Chinese transliterations of foreign names are written with (斯, 克, 迪): a
    # read-out name of three or more of these needs no further context.
    transliteration_chars: str = ""
    # Literal endings of an English name said as letters or in English after the read-out
    # part (凡恩BI, 克利克sense); the whole name is also matched read out.
    spoken_tails: tuple[str, ...] = ()
    # Words that end many names (软件, 信息, 科技): heard one syllable off, a name with one
    # of them after a stem of two characters must have its stem heard right (采集软件 is no
    # 太极软件, 会员信息 no 慧云信息).
    generic_endings: tuple[str, ...] = ()
    # Categories whose ambiguous names only their own category's words confirm (华为: 手机).
    narrow_categories: tuple[Category, ...] = ()
    # Latin words that are no product's name (Excel, Demo, Boss): an English word the
    # catalogue does not know is reported as a system only with software context, and
    # never one of these (lower case). A catalogue without the list reports no such names.
    not_products: tuple[str, ...] = ()


class RoleCues(LexiconSchema):
    integration: tuple[str, ...]
    incumbent_before: tuple[str, ...]
    incumbent_after: tuple[str, ...]
    not_incumbent_before: tuple[str, ...]
    competitor: tuple[str, ...]


class VendorCatalogue(LexiconSchema):
    context: ContextCues
    roles: RoleCues
    systems: tuple[SystemSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> VendorCatalogue:
        names = {spec.name for spec in self.systems}
        owners: dict[str, str] = {}
        for spec in self.systems:
            if spec.vendor is not None and spec.vendor not in names:
                raise ValueError(f"{spec.name}: vendor {spec.vendor!r} is not in the catalogue")
            for spelling in (spec.name, *spec.aliases):
                owner = owners.setdefault(squash(spelling), spec.name)
                if owner != spec.name:
                    raise ValueError(f"spelling {spelling!r} of {spec.name} is also {owner}'s")
        return self


@dataclass(frozen=True)
class CatalogueEntry:
    """One catalogue entry as matching uses it."""

    name: str
    category: Category
    rival: bool = False
    vendor: str | None = None
    spellings: tuple[str, ...] = ()
    ambiguous: frozenset[str] = frozenset()
    written_only: frozenset[str] = frozenset()
    context: tuple[str, ...] = ()


def squash(spelling: str) -> str:
    """A spelling's lookup key: 「Sales Force」 -> 「salesforce」 (CJK is unchanged)."""
    return "".join(spelling.split()).lower()


def builtin() -> VendorCatalogue:
    """The shipped catalogue, validated once per process."""
    return bundled("vendors", VendorCatalogue)


def systems_of(
    catalogue: VendorCatalogue, *extra_lists: Iterable[CompetitorEntry]
) -> tuple[CatalogueEntry, ...]:
    """The catalogue's systems extended by competitor lists, later lists winning: a listed
    name gains the new aliases (a spelling another entry owns stays that entry's) and turns
    rival on ``kind: crm``; an unknown name is appended."""
    systems = {
        spec.name: CatalogueEntry(
            name=spec.name,
            category=spec.category,
            rival=spec.rival,
            vendor=spec.vendor,
            spellings=(spec.name, *spec.aliases),
            ambiguous=frozenset(squash(s) for s in spec.ambiguous),
            written_only=frozenset(squash(s) for s in spec.written_only),
            context=spec.context,
        )
        for spec in catalogue.systems
    }
    owners = {squash(s): system.name for system in systems.values() for s in system.spellings}
    for entries in extra_lists:
        for entry in entries:
            name = owners.get(squash(entry.name), entry.name)
            known = systems.get(name)
            if known is None:
                known = CatalogueEntry(
                    name=name, category="crm" if entry.kind == "crm" else "other"
                )
            new = [
                s
                for s in (entry.name, *entry.aliases)
                if owners.setdefault(squash(s), name) == name and s not in known.spellings
            ]
            systems[name] = replace(
                known,
                spellings=(*known.spellings, *new),
                rival=known.rival or entry.kind == "crm",
            )
    return tuple(systems.values())


__all__ = ["CATALOGUE_FILE", "CatalogueEntry", "VendorCatalogue", "builtin", "squash", "systems_of"]
