"""``copilot orgs kb|vendors|products|rules``: an organisation's own content, layered by the
service on the shipped defaults (docs/org-content.md).

Each change is one transaction on the configured database; it raises the org's content
version, so a running service uses it from its next request on — no restart. Files are
checked first and nothing is stored when they have a problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from compliance import ComplianceError
from copilot.commands.admin import OrgOption, _transaction, orgs_app
from copilot.commands.common import UserError, err, user_errors
from copilot.settings import get_settings
from copilot.store import org_content, repo
from copilot.store.errors import StoreError
from copilot.store.org_content import Vendor
from retrieval import KbEntry, KnowledgeBase, RetrievalError, load_kb

kb_app = typer.Typer(help="The org's own knowledge-base entries.", no_args_is_help=True)
vendors_app = typer.Typer(help="The org's own competitors (vendors).", no_args_is_help=True)
products_app = typer.Typer(help="The org's product names (for recognition).", no_args_is_help=True)
rules_app = typer.Typer(help="The org's compliance rule overrides.", no_args_is_help=True)

ERRORS = (StoreError, SQLAlchemyError, RetrievalError, ComplianceError)
FileArg = Annotated[Path, typer.Argument(help="A YAML file.", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _shipped() -> KnowledgeBase:
    return load_kb(get_settings().retrieval.kb_dir)


def _read_entries(
    session: Session, org_id: str, path: Path
) -> tuple[list[KbEntry], dict[str, str]]:
    vendors = org_content.list_vendors(session, org_id)
    vocabulary = org_content.org_vocabulary(_shipped().tags, vendors)
    return org_content.read_kb_file(path, vocabulary)


# --- KB entries ---------------------------------------------------------------------------


@kb_app.command("add")
def kb_add(file: FileArg, org: OrgOption) -> None:
    """Add the entries of FILE (same format as the shipped KB); an entry with the id of one
    of the org's, or of a shipped entry, replaces it for this org. Prints the ids."""
    with user_errors(*ERRORS), _transaction() as session:
        org_id = repo.find_org(session, org).id
        entries, sources = _read_entries(session, org_id, file)
        added, replaced = org_content.add_entries(session, org_id, entries, sources)
    shipped = set(_shipped().by_id())
    for entry in entries:
        print(entry.id)
    over = [entry.id for entry in entries if entry.id in shipped]
    note = f"; replacing shipped {', '.join(over)}" if over else ""
    err.print(f"org {org_id}: {added} added, {replaced} updated{note}")


@kb_app.command("validate")
def kb_validate(file: FileArg, org: OrgOption) -> None:
    """Check FILE against the shipped tags and the org's vendor tags; stores nothing."""
    with user_errors(*ERRORS), _transaction() as session:
        org_id = repo.find_org(session, org).id
        entries, _ = _read_entries(session, org_id, file)
    err.print(f"[green]ok[/green]: {len(entries)} entries in {file}")


@kb_app.command("list")
def kb_list(org: OrgOption, as_json: JsonOpt = False) -> None:
    """The org's own entries: id, kind, title, where they came from."""
    with user_errors(*ERRORS), _transaction() as session:
        rows = org_content.list_entries(session, repo.find_org(session, org).id)
        listed = [{**row.entry, "source": row.source} for row in rows]
    if as_json:
        print(json.dumps(listed, ensure_ascii=False))
        return
    for item in listed:
        print(f"{item['id']}\t{item['kind']}\t{item['title']}\t{item['source']}")


@kb_app.command("remove")
def kb_remove(
    entry_ids: Annotated[list[str], typer.Argument(help="Entry ids.", show_default=False)],
    org: OrgOption,
) -> None:
    """Remove the org's own entries (a shipped entry they replaced comes back)."""
    with user_errors(*ERRORS), _transaction() as session:
        org_content.remove_entries(session, repo.find_org(session, org).id, entry_ids)
    err.print(f"removed {len(entry_ids)} entries")


# --- vendors -------------------------------------------------------------------------------


@vendors_app.command("add")
def vendors_add(
    org: OrgOption,
    file: Annotated[
        Path | None,
        typer.Argument(
            help="A file shaped like competitors.yaml (optional `tag:`).", show_default=False
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="One vendor's name.")] = None,
    alias: Annotated[list[str] | None, typer.Option(help="Another spelling; repeatable.")] = None,
    kind: Annotated[str, typer.Option(help="crm or platform.")] = "crm",
    tag: Annotated[str | None, typer.Option(help="KB tag, e.g. yunxiao.")] = None,
) -> None:
    """Add vendors from FILE, or one with --name; one with a known name replaces it."""
    with user_errors(*ERRORS), _transaction() as session:
        if (file is None) == (name is None):
            raise UserError("give a FILE or --name (not both)")
        if file is not None:
            vendors = org_content.read_vendor_file(file)
        else:
            vendors = [_vendor(name or "", alias or [], kind, tag)]
        org_id = repo.find_org(session, org).id
        org_content.add_vendors(session, org_id, vendors, _shipped().tags)
    for vendor in vendors:
        print(vendor.name)


def _vendor(name: str, aliases: list[str], kind: str, tag: str | None) -> Vendor:
    try:
        return Vendor.model_validate({"name": name, "aliases": aliases, "kind": kind, "tag": tag})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise UserError(f"bad vendor --{where}: {error['msg']}") from None


@vendors_app.command("list")
def vendors_list(org: OrgOption, as_json: JsonOpt = False) -> None:
    """The org's own vendors (the configured competitor list applies as well)."""
    with user_errors(*ERRORS), _transaction() as session:
        vendors = org_content.list_vendors(session, repo.find_org(session, org).id)
    if as_json:
        print(json.dumps([v.model_dump() for v in vendors], ensure_ascii=False))
        return
    for vendor in vendors:
        print(f"{vendor.name}\t{vendor.kind}\t{vendor.tag or '-'}\t{', '.join(vendor.aliases)}")


@vendors_app.command("remove")
def vendors_remove(
    names: Annotated[list[str], typer.Argument(help="Vendor names.", show_default=False)],
    org: OrgOption,
) -> None:
    """Remove vendors (refused while the org's KB entries carry their tag)."""
    with user_errors(*ERRORS), _transaction() as session:
        org_content.remove_vendors(session, repo.find_org(session, org).id, names)
    err.print(f"removed {len(names)} vendors")


# --- products ------------------------------------------------------------------------------


ProductsArg = Annotated[list[str], typer.Argument(help="Product names.", show_default=False)]


@products_app.command("add")
def products_add(names: ProductsArg, org: OrgOption) -> None:
    """Add product names: speech recognition spells them right on the org's calls."""
    with user_errors(*ERRORS), _transaction() as session:
        new = org_content.add_products(session, repo.find_org(session, org).id, names)
    err.print(f"{new} added")


@products_app.command("list")
def products_list(org: OrgOption) -> None:
    with user_errors(*ERRORS), _transaction() as session:
        names = org_content.list_products(session, repo.find_org(session, org).id)
    for name in names:
        print(name)


@products_app.command("remove")
def products_remove(names: ProductsArg, org: OrgOption) -> None:
    with user_errors(*ERRORS), _transaction() as session:
        org_content.remove_products(session, repo.find_org(session, org).id, names)
    err.print(f"removed {len(names)} products")


# --- rule overrides ------------------------------------------------------------------------


@rules_app.command("set")
def rules_set(file: FileArg, org: OrgOption) -> None:
    """Replace the org's rule overrides with FILE (the overrides-file format: disable,
    severity, suggestion, lexicons, rules, max_discount); unknown rule ids are refused."""
    with user_errors(*ERRORS), _transaction() as session:
        org_id = repo.find_org(session, org).id
        overrides = org_content.read_rule_overrides(file, get_settings().compliance)
        org_content.set_rule_overrides(session, org_id, overrides, str(file))
    err.print(f"org {org_id}: rule overrides from {file} applied")


@rules_app.command("show")
def rules_show(org: OrgOption) -> None:
    """The org's rule overrides as YAML (empty when it has none)."""
    with user_errors(*ERRORS), _transaction() as session:
        row = org_content.rule_overrides(session, repo.find_org(session, org).id)
        data = dict(row.overrides) if row is not None else {}
    if data:
        print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), end="")


@rules_app.command("clear")
def rules_clear(org: OrgOption) -> None:
    """Remove the org's rule overrides: the shipped pack (and global overrides) apply."""
    with user_errors(*ERRORS), _transaction() as session:
        org_content.set_rule_overrides(session, repo.find_org(session, org).id, None)
    err.print("rule overrides removed")


def register(app: typer.Typer) -> None:
    """Adds its groups under ``copilot orgs`` (``app`` is the root, for the same signature
    as the other command areas)."""
    orgs_app.add_typer(kb_app, name="kb")
    orgs_app.add_typer(vendors_app, name="vendors")
    orgs_app.add_typer(products_app, name="products")
    orgs_app.add_typer(rules_app, name="rules")
