"""When a CRM's "200 OK" still means "refused".

Some CRM APIs answer every well-formed request with 200 and say in the body whether they
took it: Salesforce's composite API gives each subrequest its own ``httpStatusCode``, 纷享销客
answers ``{"errorCode": 0}`` on success, 销售易 ``{"code": 200}``. A mapping names the rule
its CRM follows (``accept:`` in docs/crm-mappings.md); a refusal is retried like any failed
attempt, with the CRM's own words as the error.
"""

from __future__ import annotations

import json
from typing import Any, Literal

Acceptance = Literal["status", "salesforce_composite", "error_code_zero", "code_ok"]

MAX_MESSAGE = 300


def refusal(rule: Acceptance, body: bytes) -> str | None:
    """Why a 2xx answer with this body is a refusal; None when the CRM took the request."""
    if rule == "status":
        return None
    try:
        answer: Any = json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return f"the CRM's 2xx answer is not JSON ({rule} expects JSON)"
    if not isinstance(answer, dict):
        return f"the CRM's 2xx answer is not a JSON object ({rule} expects one)"
    if rule == "salesforce_composite":
        return _composite(answer)
    if rule == "error_code_zero":
        code = answer.get("errorCode")
        if code in (0, "0"):
            return None
        return _short(f"errorCode {code}: {answer.get('errorMessage') or answer}")
    code = answer.get("code")
    if code is None or str(code) in ("0", "200"):
        return None
    return _short(f"code {code}: {answer.get('msg') or answer.get('message') or answer}")


def _composite(answer: dict[str, Any]) -> str | None:
    parts = answer.get("compositeResponse")
    if not isinstance(parts, list):
        return "the composite answer has no compositeResponse list"
    for part in parts:
        status = part.get("httpStatusCode") if isinstance(part, dict) else None
        if not isinstance(status, int) or status >= 300:
            reference = part.get("referenceId", "?") if isinstance(part, dict) else "?"
            detail = part.get("body") if isinstance(part, dict) else part
            return _short(
                f"subrequest {reference}: HTTP {status}: {json.dumps(detail, ensure_ascii=False)}"
            )
    return None


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"
