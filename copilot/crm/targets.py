"""Where an organisation files its confirmed calls: which mapping, which CRM, which lookup.

Stored as JSON on the org row (``orgs.crm``) and set with ``copilot crm target``. With none
stored, calls go out as the generic Standard-Webhooks JSON to ``COPILOT_CRM__WEBHOOK_URL``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

GENERIC = "generic"


def _http_url(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s)://host/… URL")
    return value.strip()


class OrgCrm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A built-in mapping (generic, salesforce, hubspot, fxiaoke, xiaoshouyi) or "custom".
    mapping: str = GENERIC
    # The org's own mapping (docs/crm-mappings.md), when ``mapping`` is "custom".
    custom: dict[str, Any] | None = None
    # Where the mapping's request paths go (e.g. https://acme.my.salesforce.com, or the
    # gateway that adds the CRM's OAuth token). None: COPILOT_CRM__WEBHOOK_URL.
    base_url: str | None = None
    # GET <lookup_url>?q=<name>&rep=<email> answers a list of CrmIdentity: the CRM's own
    # accounts and opportunities, offered in the side panel beside the remembered ones.
    lookup_url: str | None = None
    # Values a mapping leaves to each tenant (销售易's entityType and dimDepart, a record
    # type id) and rows added to its lookup tables (docs/crm-mappings.md).
    constants: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    lookups: dict[str, dict[str, str | int | float | bool | None]] = Field(default_factory=dict)
    lookup_timeout_s: float = Field(default=3.0, gt=0, le=15)

    _urls = field_validator("base_url", "lookup_url")(_http_url)

    @property
    def is_generic(self) -> bool:
        return self.mapping == GENERIC and self.custom is None


def org_crm(stored: dict[str, Any] | None) -> OrgCrm:
    return OrgCrm.model_validate(stored or {})
