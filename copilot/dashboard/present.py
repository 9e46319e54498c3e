"""How stored values read on the page: Chinese labels, local times, a flag's match in context.

Pure functions with no web framework in sight, so the templates stay free of logic and the
CSV export shows exactly what the table shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from copilot.privacy import mask_text
from copilot.store.models import Flag
from copilot.taxonomy import TAXONOMY

# The dashboard shows China Standard Time: the users are Chinese sales teams, and China has
# one zone without daylight saving, so a fixed offset is exact and needs no tz database.
DISPLAY_TZ = timezone(timedelta(hours=8), "北京时间")

# The CONTRACT taxonomies read as copilot/taxonomy.yaml says, as in the side panel.
CATEGORY_LABELS: dict[str, str] = TAXONOMY.groups()["compliance"]
SEVERITY_LABELS: dict[str, str] = TAXONOMY.groups()["severity"]
SEVERITIES = tuple(SEVERITY_LABELS)
STATUS_LABELS = {
    "open": "待处理",
    "acknowledged": "已确认",
    "resolved": "已解决",
    "overridden": "销售坚持发送",
    "withdrawn": "已撤回",
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
    "flag.withdrawn": "撤回合规标记",
    "user.created": "创建用户",
    "api_key.created": "创建 API 密钥",
    "api_key.revoked": "吊销 API 密钥",
    "call.confirmed": "确认通话小结",
    "call.summary_edited": "编辑通话小结",
    "dashboard.login": "登录仪表盘",
    "flags.exported": "导出合规标记",
    "flag.revealed": "查看未脱敏原文",
    "data.purged": "按保留期限清除数据",
    "data.erased": "删除个人信息",
    "scorecard.disputed": "申诉评分项",
    "scorecard.decided": "裁定评分申诉",
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


def match_in_context(
    flag: Flag, context: int | None = CONTEXT_CHARS, *, reveal: bool = False
) -> MatchInContext:
    """Where the flagged words sit in the text (``context=None``: all the flag kept), with
    personal numbers masked unless ``reveal``.

    The stored offsets are trusted only when they point at the stored match; otherwise the
    match is looked up in the text, and failing that it is shown alone, never a wrong span.
    A flag keeps a window of the scanned text: "…" marks where the window was cut too.
    """
    raw, start, end = flag.text or "", flag.start, flag.end
    # Masking keeps lengths, so offsets into the stored text hold in the masked one.
    text = raw if reveal else mask_text(raw)
    if not (0 <= start <= end <= len(raw) and raw[start:end] == flag.match):
        found = raw.find(flag.match) if flag.match else -1
        if found < 0:
            return MatchInContext("", flag.match if reveal else mask_text(flag.match), "")
        start, end = found, found + len(flag.match)
    offset = flag.text_offset or 0
    cut_before = offset > 0
    cut_after = flag.text_chars is not None and offset + len(raw) < flag.text_chars
    if context is not None:
        cut_before = cut_before or start - context > 0
        cut_after = cut_after or end + context < len(text)
        before, after = text[max(0, start - context) : start], text[end : end + context]
    else:
        before, after = text[:start], text[end:]
    return MatchInContext(
        ("…" if cut_before else "") + before,
        text[start:end],
        after + ("…" if cut_after else ""),
    )


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
