"""The call library's filter: parsed from the query string, checked, turned back into links.

A GET form, so every view of the library is a bookmarkable URL; every value is checked
before any query runs (a bad one is a 400 page that says what is wrong).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from copilot.dashboard.filters import FilterError, _clean, _day
from copilot.dashboard.present import CATEGORY_LABELS, DISPLAY_TZ
from copilot.store.search import MAX_QUERY_CHARS, normalise_query
from copilot.taxonomy import TAXONOMY

OBJECTION_LABELS: dict[str, str] = TAXONOMY.groups()["objection"]
CRM_LABELS = {"none": "未提交", "pending": "投递中", "delivered": "已送达", "dead": "投递失败"}
SORT_LABELS = {
    "date": "最新",
    "date_asc": "最早",
    "duration": "时长最长",
    "flags": "合规标记最多",
}
MAX_TAG_CHARS = 200
MAX_MINUTES = 24 * 60
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class CallFilter:
    """What the manager asked to see. Dates are days in :data:`DISPLAY_TZ`, both inclusive;
    durations are whole minutes, both inclusive."""

    rep: str | None = None
    team: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    customer: str | None = None
    objection: str | None = None
    vendor: str | None = None
    flag: str | None = None
    min_minutes: int | None = None
    max_minutes: int | None = None
    crm: str | None = None
    q: str | None = None
    sort: str = "date"

    @property
    def since(self) -> datetime | None:
        if self.date_from is None:
            return None
        return datetime.combine(self.date_from, time(), DISPLAY_TZ)

    @property
    def until(self) -> datetime | None:
        """Start of the day after ``date_to`` (exclusive), so the whole last day counts."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time(), DISPLAY_TZ)

    def query_items(self, *, sort: bool = True) -> list[tuple[str, str]]:
        items = []
        for name, param in _PARAMS.items():
            value = getattr(self, name)
            if value is None or (name == "sort" and (not sort or value == "date")):
                continue
            items.append((param, value.isoformat() if isinstance(value, date) else str(value)))
        return items

    def query_string(self, **extra: str | int) -> str:
        return urlencode(self.query_items() + [(k, str(v)) for k, v in extra.items()])

    def with_sort(self, sort: str) -> str:
        """The current filter's URL query under another sort order (first page)."""
        items = self.query_items(sort=False)
        return urlencode(items + ([("sort", sort)] if sort != "date" else []))

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self) if f.name != "sort")


_PARAMS = {
    "rep": "rep",
    "team": "team",
    "date_from": "from",
    "date_to": "to",
    "customer": "customer",
    "objection": "objection",
    "vendor": "vendor",
    "flag": "flag",
    "min_minutes": "min_min",
    "max_minutes": "max_min",
    "crm": "crm",
    "q": "q",
    "sort": "sort",
}


def _choice(value: str | None, allowed: Mapping[str, str], what: str) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        choices = "、".join(f"{key}（{text}）" for key, text in allowed.items())
        raise FilterError(f"{what}「{value}」无效，可选：{choices}")
    return value


def _id(value: str | None, what: str) -> str | None:
    if value is not None and not _ID.match(value):
        raise FilterError(f"{what}「{value}」无效")
    return value


def _minutes(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    if len(value) > 5 or not (value.isascii() and value.isdigit()):
        raise FilterError(f"{what}「{value}」应为 0 到 {MAX_MINUTES} 的整数（分钟）")
    minutes = int(value)
    if minutes > MAX_MINUTES:
        raise FilterError(f"{what}「{value}」应为 0 到 {MAX_MINUTES} 的整数（分钟）")
    return minutes


def _text(value: str | None, what: str, limit: int) -> str | None:
    if value is None:
        return None
    if len(value) > limit:
        raise FilterError(f"{what}最多 {limit} 个字")
    return value


def parse_call_filter(params: Mapping[str, str]) -> CallFilter:
    """The filter in a query string; :class:`FilterError` naming the first bad value."""
    date_from = _day(_clean(params, "from"), "开始日期")
    date_to = _day(_clean(params, "to"), "结束日期")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise FilterError(f"开始日期 {date_from} 晚于结束日期 {date_to}")
    min_minutes = _minutes(_clean(params, "min_min"), "最短时长")
    max_minutes = _minutes(_clean(params, "max_min"), "最长时长")
    if min_minutes is not None and max_minutes is not None and min_minutes > max_minutes:
        raise FilterError(f"最短时长 {min_minutes} 分钟大于最长时长 {max_minutes} 分钟")
    q = _text(_clean(params, "q"), "搜索内容", MAX_QUERY_CHARS)
    return CallFilter(
        rep=_id(_clean(params, "rep"), "销售"),
        team=_id(_clean(params, "team"), "团队"),
        date_from=date_from,
        date_to=date_to,
        customer=_text(_clean(params, "customer"), "客户", MAX_TAG_CHARS),
        objection=_choice(_clean(params, "objection"), OBJECTION_LABELS, "异议类型"),
        vendor=_text(_clean(params, "vendor"), "厂商", MAX_TAG_CHARS),
        flag=_choice(_clean(params, "flag"), CATEGORY_LABELS, "合规类别"),
        min_minutes=min_minutes,
        max_minutes=max_minutes,
        crm=_choice(_clean(params, "crm"), CRM_LABELS, "CRM 状态"),
        q=normalise_query(q) or None if q is not None else None,
        sort=_choice(_clean(params, "sort"), SORT_LABELS, "排序") or "date",
    )
