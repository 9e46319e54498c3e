"""How stored values read on the page: Chinese labels, local times, a flag's match in context.

Pure functions with no web framework in sight, so the templates stay free of logic and the
CSV export shows exactly what the table shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from compliance.models import CATEGORIES
from copilot.analysis import COMPLIANCE_LABELS
from copilot.store.models import Flag

# The dashboard shows China Standard Time: the users are Chinese sales teams, and China has
# one zone without daylight saving, so a fixed offset is exact and needs no tz database.
DISPLAY_TZ = timezone(timedelta(hours=8), "北京时间")

CATEGORY_LABELS: dict[str, str] = {c: COMPLIANCE_LABELS.get(c, c) for c in CATEGORIES}
SEVERITIES = ("high", "medium", "low")
SEVERITY_LABELS = {"high": "严重", "medium": "需修改", "low": "提示"}
STATUS_LABELS = {
    "open": "待处理",
    "acknowledged": "已确认",
    "resolved": "已解决",
    "overridden": "销售坚持发送",
}
SOURCE_LABELS = {"speech": "通话", "message": "消息"}
ROLE_LABELS = {
    "rep": "销售",
    "manager": "经理",
    "admin": "管理员",
    "integration": "集成",
    "system": "系统",
}
ACTION_LABELS = {
    "flag.created": "新增合规标记",
    "flag.acknowledged": "确认标记",
    "flag.resolved": "解决标记",
    "flag.overridden": "销售坚持发送",
    "user.created": "创建用户",
    "api_key.created": "创建 API 密钥",
    "api_key.revoked": "吊销 API 密钥",
    "call.confirmed": "确认通话小结",
    "call.summary_edited": "编辑通话小结",
    "dashboard.login": "登录仪表盘",
    "flags.exported": "导出合规标记",
}
SUBJECT_LABELS = {
    "flag": "标记",
    "call": "通话",
    "user": "用户",
    "api_key": "API 密钥",
    "org": "组织",
}
# Characters of the scanned text shown either side of the match in the table.
CONTEXT_CHARS = 24


def label(table: dict[str, str], value: str | None) -> str:
    """The Chinese label of ``value``, or the value itself when there is none."""
    if value is None:
        return ""
    return table.get(value, value)


def local_time(moment: datetime | None, *, seconds: bool = False) -> str:
    if moment is None:
        return ""
    return moment.astimezone(DISPLAY_TZ).strftime(
        "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    )


@dataclass(frozen=True)
class MatchInContext:
    """The scanned text cut around the match: ``before`` + ``match`` + ``after``."""

    before: str
    match: str
    after: str


def match_in_context(flag: Flag, context: int | None = CONTEXT_CHARS) -> MatchInContext:
    """Where the flagged words sit in the text (``context=None``: the whole text).

    The stored offsets are trusted only when they point at the stored match; otherwise the
    match is looked up in the text, and failing that it is shown alone, never a wrong span.
    """
    text, start, end = flag.text or "", flag.start, flag.end
    if not (0 <= start <= end <= len(text) and text[start:end] == flag.match):
        found = text.find(flag.match) if flag.match else -1
        if found < 0:
            return MatchInContext("", flag.match, "")
        start, end = found, found + len(flag.match)
    if context is None:
        return MatchInContext(text[:start], text[start:end], text[end:])
    before = text[max(0, start - context) : start]
    after = text[end : end + context]
    if start - context > 0:
        before = "…" + before
    if end + context < len(text):
        after = after + "…"
    return MatchInContext(before, text[start:end], after)


# Audit detail keys, and the label table for values that have one.
DETAIL_LABELS = {
    "comment": "备注",
    "from": "原状态",
    "category": "类别",
    "severity": "严重程度",
    "source": "来源",
    "match": "命中",
    "rule_id": "规则",
    "channel": "渠道",
    "call_id": "通话",
    "key_id": "密钥",
    "label": "标签",
    "user_id": "用户",
    "email": "邮箱",
    "role": "角色",
    "team_id": "团队",
    "expires_at": "过期时间",
    "filter": "筛选条件",
}
_DETAIL_VALUES: dict[str, dict[str, str]] = {
    "from": STATUS_LABELS,
    "category": CATEGORY_LABELS,
    "severity": SEVERITY_LABELS,
    "source": SOURCE_LABELS,
    "role": ROLE_LABELS,
}


def detail_text(detail: dict[str, Any]) -> str:
    """An audit record's detail as one readable line (``键：值``, empty values left out)."""
    parts = []
    for key, value in detail.items():
        if value is None or value == "" or value == {}:
            continue
        if isinstance(value, str):
            shown = _DETAIL_VALUES.get(key, {}).get(value, value)
        else:
            shown = json.dumps(value, ensure_ascii=False)
        parts.append(f"{DETAIL_LABELS.get(key, key)}：{shown}")
    return "；".join(parts)
