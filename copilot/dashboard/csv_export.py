"""The flags table as CSV that Excel opens correctly and cannot be turned against its reader.

- UTF-8 with a byte-order mark: without it Excel (still the manager's tool of choice in
  China) guesses GBK and shows mojibake.
- ``csv`` module quoting, so commas, quotes and line breaks inside a rep's message stay in
  their cell.
- Formula injection: a rep's message goes into the file verbatim, and a cell that starts
  with ``=``, ``+``, ``-`` or ``@`` (or a tab / carriage return, which Excel skips before
  looking) would be run as a formula when opened. Such cells get a leading ``'``, which
  spreadsheet programs read as "this is text" (OWASP's advice).
- Personal numbers (phone, ID card, bank card) are masked: a file leaves the system's access
  control and its audit trail behind.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence

from copilot.dashboard.present import (
    CATEGORY_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    label,
    local_time,
)
from copilot.privacy import mask_text
from copilot.store.models import Flag

BOM = "\ufeff"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

HEADER = (
    "时间",
    "销售",
    "来源",
    "类别",
    "严重程度",
    "状态",
    "命中词",
    "原文",
    "建议改写",
    "坚持发送理由",
    "处理备注",
    "通话",
    "规则",
    "标记 ID",
)


def safe_cell(value: object) -> str:
    """``value`` as a cell that a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def flag_row(flag: Flag, rep_name: str) -> list[str]:
    values: Sequence[object] = (
        local_time(flag.created_at, seconds=True),
        rep_name,
        label(SOURCE_LABELS, flag.source),
        label(CATEGORY_LABELS, flag.category),
        label(SEVERITY_LABELS, flag.severity),
        label(STATUS_LABELS, flag.status),
        mask_text(flag.match),
        mask_text(flag.text),
        flag.suggestion,
        mask_text(flag.override_reason),
        mask_text(flag.status_comment),
        flag.call_id,
        flag.rule_id,
        flag.id,
    )
    return [safe_cell(value) for value in values]


def flags_csv(flags: Iterable[Flag], rep_name: Callable[[str], str]) -> Iterator[str]:
    """The file in pieces (BOM and header first, then a line per flag), for streaming."""
    buffer = io.StringIO()
    # Excel expects CRLF line ends; QUOTE_MINIMAL quotes exactly the cells that need it.
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        chunk = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return chunk

    writer.writerow(HEADER)
    yield BOM + take()
    for flag in flags:
        writer.writerow(flag_row(flag, rep_name(flag.rep_id)))
        yield take()
