"""The flags page's filter: parsed from the query string, checked, turned back into links.

Every value is checked here, before any query runs, so a bad one is a 400 with a message
that says what is wrong, never a 500 or a silently empty table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from copilot.dashboard.present import CATEGORY_LABELS, DISPLAY_TZ, SEVERITY_LABELS, STATUS_LABELS

PAGE_SIZE = 50
MAX_PAGE = 100_000
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class FilterError(ValueError):
    """A filter value the page cannot use; the message is shown to the user."""


@dataclass(frozen=True)
class FlagFilter:
    """What the manager asked to see. Dates are days in :data:`DISPLAY_TZ`, both inclusive."""

    rep: str | None = None
    category: str | None = None
    severity: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def since(self) -> datetime | None:
        """Start of ``date_from`` (inclusive), as an aware time."""
        if self.date_from is None:
            return None
        return datetime.combine(self.date_from, time(), DISPLAY_TZ)

    @property
    def until(self) -> datetime | None:
        """Start of the day after ``date_to`` (exclusive), so the whole last day counts."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time(), DISPLAY_TZ)

    def repo_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``repo.list_flags`` this filter stands for."""
        return {
            "rep_id": self.rep,
            "category": self.category,
            "severity": self.severity,
            "status": self.status,
            "since": self.since,
            "until": self.until,
        }

    def query_items(self) -> list[tuple[str, str]]:
        """The filter as query-string pairs (the names the form uses), unset ones left out."""
        items = []
        for name, param in _PARAMS.items():
            value = getattr(self, name)
            if value is not None:
                items.append((param, value.isoformat() if isinstance(value, date) else value))
        return items

    def query_string(self, **extra: str | int) -> str:
        return urlencode(self.query_items() + [(k, str(v)) for k, v in extra.items()])

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


# Attribute → query parameter. "from"/"to" read better in a URL and are Python keywords.
_PARAMS = {
    "rep": "rep",
    "category": "category",
    "severity": "severity",
    "status": "status",
    "date_from": "from",
    "date_to": "to",
}


def _choice(value: str | None, allowed: Mapping[str, str], what: str) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        choices = "、".join(f"{key}（{text}）" for key, text in allowed.items())
        raise FilterError(f"{what}「{value}」无效，可选：{choices}")
    return value


def _day(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{what}「{value}」不是有效日期，请用 YYYY-MM-DD 格式") from None
    if not 1970 <= day.year <= 9000:
        raise FilterError(f"{what}「{value}」超出范围")
    return day


def _clean(params: Mapping[str, str], name: str) -> str | None:
    # An empty form field means "any": browsers send every <select> and <input>.
    value = (params.get(name) or "").strip()
    return value or None


def parse_flag_filter(params: Mapping[str, str]) -> FlagFilter:
    """The filter in a query string; :class:`FilterError` naming the first bad value."""
    rep = _clean(params, "rep")
    if rep is not None and not _ID.match(rep):
        raise FilterError(f"销售「{rep}」无效")
    date_from = _day(_clean(params, "from"), "开始日期")
    date_to = _day(_clean(params, "to"), "结束日期")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise FilterError(f"开始日期 {date_from} 晚于结束日期 {date_to}")
    return FlagFilter(
        rep=rep,
        category=_choice(_clean(params, "category"), CATEGORY_LABELS, "类别"),
        severity=_choice(_clean(params, "severity"), SEVERITY_LABELS, "严重程度"),
        status=_choice(_clean(params, "status"), STATUS_LABELS, "状态"),
        date_from=date_from,
        date_to=date_to,
    )


def parse_page(params: Mapping[str, str]) -> int:
    """The 1-based page number in ``?page=`` (default 1)."""
    raw = _clean(params, "page")
    if raw is None:
        return 1
    # Length first: int() of thousands of digits is slow, then refused.
    if len(raw) > 6 or not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise FilterError(f"页码「{raw}」无效，应为 1 到 {MAX_PAGE} 的整数")
    return int(raw)
