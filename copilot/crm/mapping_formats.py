"""The value formats a CRM mapping may name (``$format: date``), and how items read in Chinese.

Each format is a plain function of a value and the mapping's time zone. They are the only
code a mapping can reach: an org admin picks formats by name and never writes an
expression, so a stored mapping cannot run anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from copilot.crm.errors import CrmError
from copilot.crm.filing import FilingTask
from copilot.insights.models import (
    Budget,
    Commitment,
    DecisionMaker,
    Objection,
    PainPoint,
)
from copilot.taxonomy import TAXONOMY


class FormatError(CrmError):
    """A value cannot take the format a mapping asked for (a non-numeric id as ``int``)."""


Format = Callable[[Any, ZoneInfo], Any]


def _moment(value: Any, tz: ZoneInfo) -> datetime:
    """A datetime as aware UTC; a bare date is its midnight in the mapping's time zone."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=tz).astimezone(UTC)
    if isinstance(value, str):
        try:
            return _moment(datetime.fromisoformat(value.replace("Z", "+00:00")), tz)
        except ValueError:
            pass
    raise FormatError(f"{value!r} is not a date or time")


def as_date(value: Any, tz: ZoneInfo) -> str:
    """YYYY-MM-DD; a moment's calendar day is the one in the mapping's time zone."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return _moment(value, tz).astimezone(tz).date().isoformat()


def as_datetime(value: Any, tz: ZoneInfo) -> str:
    """ISO-8601 in UTC with a ``Z``: 2025-03-04T08:30:00Z."""
    return _moment(value, tz).isoformat(timespec="seconds").replace("+00:00", "Z")


def as_epoch_ms(value: Any, tz: ZoneInfo) -> int:
    return round(_moment(value, tz).timestamp() * 1000)


def as_epoch_s(value: Any, tz: ZoneInfo) -> int:
    return round(_moment(value, tz).timestamp())


def as_int(value: Any, tz: ZoneInfo) -> int:
    """A whole number: seconds of a call, or a CRM whose ids are numbers (销售易)."""
    if isinstance(value, bool):
        raise FormatError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return round(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise FormatError(f"{value!r} is not a whole number")


def yuan(amount: int) -> str:
    return f"{amount / 10_000:g} 万元" if amount >= 10_000 else f"{amount} 元"


def as_yuan(value: Any, tz: ZoneInfo) -> str:
    return yuan(as_int(value, tz))


def _budget(budget: Budget) -> str:
    low, high = budget.amount_min, budget.amount_max
    if low is None and high is not None:
        text = f"不超过 {yuan(high)}"
    elif high is None and low is not None:
        text = f"不少于 {yuan(low)}"
    elif low == high and low is not None:
        text = yuan(low)
    else:
        text = f"{yuan(low or 0)} – {yuan(high or 0)}"
    period = TAXONOMY.label("period", budget.period) if budget.period else ""
    return f"{text}（{period}）" if period else text


def describe(item: Any) -> str:
    """One item as a rep would read it: 孙总（总经理）, 价格异议：比纷享销客贵了不少."""
    if isinstance(item, DecisionMaker):
        return f"{item.name}（{item.role}）" if item.role and item.role != item.name else item.name
    if isinstance(item, PainPoint):
        return f"{TAXONOMY.label('pain_point', item.category)}：{item.text}"
    if isinstance(item, Objection):
        return f"{TAXONOMY.label('objection', item.type)}：{item.text}"
    if isinstance(item, Commitment):
        due = f"（{item.due}）" if item.due else ""
        return f"{TAXONOMY.label('speaker', item.who)}：{item.what}{due}"
    if isinstance(item, FilingTask):
        if item.due_date is not None:
            return f"{item.subject}（{item.due_date.isoformat()} 前）"
        return f"{item.subject}（{item.due_text}）" if item.due_text else item.subject
    if isinstance(item, Budget):
        return _budget(item)
    if isinstance(item, datetime):
        return as_datetime(item, ZoneInfo("UTC"))
    if isinstance(item, date):
        return item.isoformat()
    name = getattr(item, "name", None)
    if isinstance(item, BaseModel) and isinstance(name, str):
        return name  # competitors, systems
    return str(item)


def _items(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list | tuple) else [value]


def as_text(value: Any, tz: ZoneInfo) -> str:
    return "、".join(describe(item) for item in _items(value))


def as_lines(value: Any, tz: ZoneInfo) -> str:
    return "\n".join(describe(item) for item in _items(value))


FORMATS: dict[str, Format] = {
    "text": as_text,  # one item described; a list joined with 、
    "lines": as_lines,  # one described item per line
    "int": as_int,
    "yuan": as_yuan,  # 300000 -> 30 万元
    "date": as_date,
    "datetime": as_datetime,
    "epoch_ms": as_epoch_ms,  # HubSpot hs_timestamp, 纷享销客 / 销售易 times
    "epoch_s": as_epoch_s,
}


def to_json(value: Any) -> Any:
    """A record value as JSON when no format was named: models as objects without nulls,
    dates as YYYY-MM-DD, moments as UTC ISO-8601."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, datetime):
        return as_datetime(value, ZoneInfo("UTC"))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value
