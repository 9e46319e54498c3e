"""``copilot crm``: where an organisation's confirmed calls are filed, and how.

``copilot crm target ORG --mapping salesforce --base-url https://acme.my.salesforce.com``
chooses the mapping that shapes its payloads (docs/crm-mappings.md) and where they go;
``--lookup-url`` names the endpoint the side panel asks for the CRM's accounts. ``copilot
crm user-id USER ID`` records a rep's user id in the CRM (the owner of what they file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from copilot.commands.admin import _transaction
from copilot.commands.common import UserError, err, require_file, user_errors
from copilot.crm.mapping import MappingError, builtin, builtin_names, load_mapping
from copilot.crm.targets import OrgCrm, org_crm
from copilot.store import repo
from copilot.store.errors import StoreError

crm_app = typer.Typer(help="Filing confirmed calls to the org's CRM.", no_args_is_help=True)
ERRORS = (StoreError, SQLAlchemyError, MappingError)


@crm_app.command("mappings")
def crm_mappings() -> None:
    """The built-in mappings: name and what they send."""
    for name in builtin_names():
        print(f"{name}\t{builtin(name).title}")


@crm_app.command("target")
def crm_target(
    org: Annotated[str, typer.Argument(help="Org id or name.")],
    mapping: Annotated[
        str | None, typer.Option(help=f"A built-in mapping: {', '.join(builtin_names())}.")
    ] = None,
    custom: Annotated[
        Path | None,
        typer.Option(help="The org's own mapping (YAML), instead of a built-in one."),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="The CRM (or gateway) URL the requests go to.")
    ] = None,
    lookup_url: Annotated[
        str | None, typer.Option(help="GET ?q=<name> answering the CRM's identities.")
    ] = None,
    constant: Annotated[
        list[str] | None,
        typer.Option(help="NAME=VALUE the mapping leaves to each org (repeatable; '' clears)."),
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Back to the generic webhook, no lookup.")
    ] = False,
) -> None:
    """Show or change where and how the org's confirmed calls are filed."""
    with user_errors(*ERRORS), _transaction() as session:
        row = repo.find_org(session, org)
        current = org_crm(row.crm).model_dump(exclude_none=True)
        if reset:
            current = {}
        if mapping is not None:
            builtin(mapping)  # an unknown name is an error here, not at the first confirm
            current.update(mapping=mapping, custom=None)
        if custom is not None:
            require_file(custom)
            loaded = load_mapping(custom)
            current.update(mapping="custom", custom=loaded.model_dump(mode="json", by_alias=True))
        for name, value in (("base_url", base_url), ("lookup_url", lookup_url)):
            if value is not None:
                current[name] = value or None
        for item in constant or []:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise UserError(f"--constant {item!r}: write NAME=VALUE")
            constants = dict(current.get("constants") or {})
            if value:
                constants[key.strip()] = value
            else:
                constants.pop(key.strip(), None)
            current["constants"] = constants
        try:
            target = OrgCrm.model_validate(current)
        except ValidationError as exc:
            problem = exc.errors()[0]
            raise UserError(f"{'.'.join(map(str, problem['loc']))}: {problem['msg']}") from exc
        row.crm = target.model_dump(mode="json", exclude_defaults=True) or None
    print(json.dumps(target.model_dump(mode="json", exclude_none=True), ensure_ascii=False))


@crm_app.command("user-id")
def crm_user_id(
    user: Annotated[str, typer.Argument(help="User id or email.")],
    crm_id: Annotated[str, typer.Argument(help="The user's id in the CRM ('' to clear).")],
) -> None:
    """Record a rep's CRM user id: the owner of the activities and tasks they file."""
    with user_errors(*ERRORS), _transaction() as session:
        row = repo.find_user(session, user)
        row.crm_user_id = crm_id.strip() or None
    err.print(f"{row.name} <{row.email}>: CRM user id {row.crm_user_id or '(none)'}")


def register(app: typer.Typer) -> None:
    app.add_typer(crm_app, name="crm")
