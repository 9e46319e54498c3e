"""An organisation's own content, layered by the service on the shipped defaults: knowledge-
base entries, vendors (competitors), product names and compliance rule overrides.

Plain functions over a ``Session`` like the rest of the store: they flush and never commit.
Every change raises ``orgs.content_version`` (one atomic ``UPDATE``) and is written to the
audit log in the same transaction; a running service compares the version per request and
rebuilds only that org's engines (``copilot/service/org_engines.py``).

Files are checked before anything is stored, with the messages of the shipped content's
own tools: a KB file like ``copilot kb validate`` (file:line: id: message), rule overrides
like the overrides file (file: rule id: message, unknown rule ids refused).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from compliance import ComplianceConfig
from compliance.loader import OverridesLayer, load_overrides, load_pack
from compliance.schema import OverridesFile
from copilot.insights.lexicon import CompetitorEntry
from copilot.principal import Principal
from copilot.store import audit
from copilot.store.errors import InvalidInput, NotFound
from copilot.store.models import Org, OrgKbEntry, OrgProduct, OrgRuleOverrides, OrgVendor
from retrieval.loader import read_entries_file
from retrieval.overlay import merge_tags
from retrieval.schema import KbEntry, TagVocabulary


class Vendor(BaseModel):
    """A competitor as in ``competitors.yaml``, plus an optional KB tag: with a tag, the
    org's KB entries may carry it and get the competitor boost when the vendor is named."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=200)
    aliases: tuple[str, ...] = ()
    kind: Literal["crm", "platform"] = "crm"
    tag: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$")

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a vendor needs a name")
        return value.strip()

    def competitor(self) -> CompetitorEntry:
        return CompetitorEntry(name=self.name, aliases=self.aliases, kind=self.kind)


class VendorFile(BaseModel):
    """A vendors file: the shape of ``competitors.yaml`` (top-level ``competitors:``)."""

    model_config = ConfigDict(extra="forbid")

    competitors: list[Vendor]


@dataclass(frozen=True)
class OrgContent:
    """One org's own content as the service uses it (a snapshot at ``version``)."""

    version: int = 0
    entries: tuple[KbEntry, ...] = ()
    vendors: tuple[Vendor, ...] = ()
    products: tuple[str, ...] = ()
    overrides: OverridesFile | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def competitors(self) -> tuple[CompetitorEntry, ...]:
        return tuple(vendor.competitor() for vendor in self.vendors)

    def extra_tags(self) -> dict[str, dict[str, str]]:
        """The vendors' tags as a vocabulary group, to merge with the shipped ``tags.yaml``."""
        tagged = {vendor.tag: vendor.name for vendor in self.vendors if vendor.tag}
        return {"competitor": tagged} if tagged else {}

    def hotwords(self) -> tuple[str, ...]:
        """Names speech recognition should spell right on this org's calls."""
        return tuple(dict.fromkeys([*self.products, *(v.name for v in self.vendors)]))


# --- reading and checking files -----------------------------------------------------------


def org_vocabulary(shipped: TagVocabulary, vendors: Iterable[Vendor]) -> TagVocabulary:
    return merge_tags(shipped, OrgContent(vendors=tuple(vendors)).extra_tags())


def read_kb_file(path: Path, vocabulary: TagVocabulary) -> tuple[list[KbEntry], dict[str, str]]:
    """The entries of ``path`` and where each was read; :class:`InvalidInput` listing every
    problem (file:line: id: message) when the file has any."""
    entries, sources, problems = read_entries_file(path, vocabulary)
    if problems:
        listed = "\n".join(str(problem) for problem in problems)
        raise InvalidInput(f"{len(problems)} problem(s) in {path}, nothing stored:\n{listed}")
    if not entries:
        raise InvalidInput(f"{path}: no entries")
    return entries, sources


def read_vendor_file(path: Path) -> list[Vendor]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot read ({exc})") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from None
    try:
        return VendorFile.model_validate(raw).competitors
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InvalidInput(f"{path}: {where}: {error['msg']}") from None


def read_rule_overrides(path: Path, config: ComplianceConfig) -> OverridesFile:
    """The overrides in ``path``, checked against the configured rule pack: a schema error,
    an unknown rule id or lexicon raises ``RulePackError`` naming the file and rule."""
    overrides = load_overrides(path)
    load_pack(config, OverridesLayer(str(path), overrides))
    return overrides


# --- reading what is stored -----------------------------------------------------------------


def content_version(session: Session, org_id: str) -> int:
    version = session.scalar(select(Org.content_version).where(Org.id == org_id))
    return int(version or 0)


def load_content(session: Session, org_id: str) -> OrgContent:
    rows = list_entries(session, org_id)
    override = session.get(OrgRuleOverrides, org_id)
    return OrgContent(
        version=content_version(session, org_id),
        entries=tuple(KbEntry.model_validate(row.entry) for row in rows),
        vendors=tuple(list_vendors(session, org_id)),
        products=tuple(list_products(session, org_id)),
        overrides=OverridesFile.model_validate(override.overrides) if override else None,
        sources={row.entry_id: row.source for row in rows},
    )


def list_entries(session: Session, org_id: str) -> list[OrgKbEntry]:
    query = select(OrgKbEntry).where(OrgKbEntry.org_id == org_id).order_by(OrgKbEntry.entry_id)
    return list(session.scalars(query))


def list_vendors(session: Session, org_id: str) -> list[Vendor]:
    query = select(OrgVendor).where(OrgVendor.org_id == org_id).order_by(OrgVendor.name)
    return [
        Vendor(name=row.name, aliases=tuple(row.aliases), kind=row.kind, tag=row.tag)  # type: ignore[arg-type]
        for row in session.scalars(query)
    ]


def list_products(session: Session, org_id: str) -> list[str]:
    query = select(OrgProduct.name).where(OrgProduct.org_id == org_id).order_by(OrgProduct.name)
    return list(session.scalars(query))


def rule_overrides(session: Session, org_id: str) -> OrgRuleOverrides | None:
    return session.get(OrgRuleOverrides, org_id)


# --- changing it ---------------------------------------------------------------------------


def add_entries(
    session: Session,
    org_id: str,
    entries: Sequence[KbEntry],
    sources: Mapping[str, str],
    *,
    actor: Principal | None = None,
) -> tuple[int, int]:
    """Add the entries, replacing the org's entries with the same ids; (added, replaced)."""
    _require_org(session, org_id)
    existing = {row.entry_id: row for row in list_entries(session, org_id)}
    added = 0
    for entry in entries:
        data = entry.model_dump(mode="json", exclude_none=True)
        row = existing.get(entry.id)
        if row is None:
            session.add(
                OrgKbEntry(
                    org_id=org_id, entry_id=entry.id, entry=data, source=sources.get(entry.id, "")
                )
            )
            added += 1
        else:
            row.entry, row.source = data, sources.get(entry.id, "")
    ids = [entry.id for entry in entries]
    _changed(session, org_id, actor, "org.kb.added", {"entry_ids": ids})
    return added, len(entries) - added


def remove_entries(
    session: Session, org_id: str, entry_ids: Sequence[str], *, actor: Principal | None = None
) -> None:
    _require_org(session, org_id)
    known = {row.entry_id for row in list_entries(session, org_id)}
    missing = [entry_id for entry_id in entry_ids if entry_id not in known]
    if missing:
        raise NotFound(f"org {org_id} has no KB entry {', '.join(missing)}")
    session.execute(
        delete(OrgKbEntry).where(OrgKbEntry.org_id == org_id, OrgKbEntry.entry_id.in_(entry_ids))
    )
    _changed(session, org_id, actor, "org.kb.removed", {"entry_ids": list(entry_ids)})


def add_vendors(
    session: Session,
    org_id: str,
    vendors: Sequence[Vendor],
    shipped_tags: TagVocabulary,
    *,
    actor: Principal | None = None,
) -> None:
    """Add the vendors (one with a known name replaces it). A tag may name a shipped
    competitor tag, never a tag of another group (``price`` is an objection)."""
    _require_org(session, org_id)
    for vendor in vendors:
        group = shipped_tags.group_of(vendor.tag) if vendor.tag else None
        if group not in (None, "competitor"):
            raise InvalidInput(f"vendor {vendor.name}: tag {vendor.tag!r} is a {group} tag")
    rows = {row.name: row for row in session.scalars(_vendor_rows(org_id))}
    for vendor in vendors:
        row = rows.get(vendor.name) or OrgVendor(org_id=org_id, name=vendor.name)
        row.aliases, row.kind, row.tag = list(vendor.aliases), vendor.kind, vendor.tag
        session.add(row)
    names = [vendor.name for vendor in vendors]
    _changed(session, org_id, actor, "org.vendors.added", {"names": names})


def remove_vendors(
    session: Session, org_id: str, names: Sequence[str], *, actor: Principal | None = None
) -> None:
    """Remove vendors; refused while the org's KB entries carry a removed vendor's tag."""
    _require_org(session, org_id)
    rows = {row.name: row for row in session.scalars(_vendor_rows(org_id))}
    missing = [name for name in names if name not in rows]
    if missing:
        raise NotFound(f"org {org_id} has no vendor {', '.join(missing)}")
    tags = {rows[name].tag for name in names if rows[name].tag}
    for entry in list_entries(session, org_id):
        used = tags.intersection(entry.entry.get("tags", []))
        if used:
            raise InvalidInput(
                f"KB entry {entry.entry_id} carries tag {sorted(used)[0]!r}: "
                "remove or change that entry first"
            )
    for name in names:
        session.delete(rows[name])
    _changed(session, org_id, actor, "org.vendors.removed", {"names": list(names)})


def add_products(
    session: Session, org_id: str, names: Sequence[str], *, actor: Principal | None = None
) -> int:
    """Add product names (known ones are kept once); how many were new."""
    _require_org(session, org_id)
    cleaned = [name.strip() for name in names]
    if not all(cleaned) or any(len(name) > 200 for name in cleaned):
        raise InvalidInput("a product name is 1 to 200 characters")
    known = set(list_products(session, org_id))
    new = [name for name in dict.fromkeys(cleaned) if name not in known]
    session.add_all(OrgProduct(org_id=org_id, name=name) for name in new)
    _changed(session, org_id, actor, "org.products.added", {"names": new})
    return len(new)


def remove_products(
    session: Session, org_id: str, names: Sequence[str], *, actor: Principal | None = None
) -> None:
    _require_org(session, org_id)
    missing = sorted(set(names) - set(list_products(session, org_id)))
    if missing:
        raise NotFound(f"org {org_id} has no product {', '.join(missing)}")
    session.execute(
        delete(OrgProduct).where(OrgProduct.org_id == org_id, OrgProduct.name.in_(names))
    )
    _changed(session, org_id, actor, "org.products.removed", {"names": list(names)})


def set_rule_overrides(
    session: Session,
    org_id: str,
    overrides: OverridesFile | None,
    source: str = "",
    *,
    actor: Principal | None = None,
) -> None:
    """Replace the org's rule overrides (validated by :func:`read_rule_overrides`); None
    removes them."""
    _require_org(session, org_id)
    row = session.get(OrgRuleOverrides, org_id)
    if overrides is None:
        if row is not None:
            session.delete(row)
        _changed(session, org_id, actor, "org.rules.cleared", {})
        return
    data = overrides.model_dump(mode="json", exclude_defaults=True)
    if row is None:
        session.add(OrgRuleOverrides(org_id=org_id, overrides=data, source=source))
    else:
        row.overrides, row.source = data, source
    _changed(session, org_id, actor, "org.rules.set", {"overrides": data})


def _vendor_rows(org_id: str) -> Any:
    return select(OrgVendor).where(OrgVendor.org_id == org_id)


def _require_org(session: Session, org_id: str) -> None:
    if session.get(Org, org_id) is None:
        raise NotFound(f"no org {org_id!r}")


def _changed(
    session: Session,
    org_id: str,
    actor: Principal | None,
    action: str,
    detail: dict[str, Any],
) -> None:
    """Raise the org's content version (atomically: two writers never share a number) and
    record the change in the audit trail."""
    session.flush()
    session.execute(
        update(Org).where(Org.id == org_id).values(content_version=Org.content_version + 1)
    )
    audit.append(session, org_id, actor, action, "org", org_id, detail)
