"""Follow-ups: what a call committed someone to, as CRM tasks with a due day.

:func:`resolve_due` reads the time words of a commitment (「明天」「下周三之前」「月底前」)
against the day of the call. The conventions, chosen to match how a Chinese sales
conversation means them:

- A range resolves to its far end, and so do several expressions in one text: 两三天 -> +3,
  一周内 -> +7, 周三到周五 -> Friday, 明天或者后天 -> 后天.
- Weeks are Monday-based calendar weeks. 这周三 is this week's Wednesday, even when it has
  passed (the date is what was said); 下周三 the Wednesday of next week, 下下周三 of the
  week after. A bare 周三 is the next Wednesday after today: said on a Wednesday it means
  next week's, since today would be 「今天」.
- 周末 is Saturday, the day a weekend begins: work promised for the weekend is due when it
  starts. A bare 周末 said on a Saturday is today; on a Sunday, next Saturday.
- A whole week (这周, 下周, 下下周) ends on its Friday, the last working day (today if this
  week's Friday has passed).
- 月初 is the 5th, 月中 the 15th, 月底/月末/下旬 the last day, 上旬 the 10th, 中旬 the 20th.
  A bare 月初/月中 that has passed is next month's. 这个月/下个月/X月 end on their last day.
- Y号 is this month's day Y, or next month's when it has passed; X月Y日 this year's, or next
  year's when passed. A day the month lacks (31号 in April) is that month's last day.
- 年底 is 31 December, 年中 30 June, 年初 31 January; 年前 is the eve of the next Spring
  Festival (the holiday a Chinese speaker means by 年), 31 December past the years in
  SPRING_FESTIVALS. 国庆/十一/元旦/五一之前 are the day before; 节前/节后/年后 name no known
  holiday or no end, so they resolve to None. Quarters (Q1, 一季度, 季度末) end on their
  last day; a quarter, month or day that has passed this year is next year's.
- N个工作日 counts Monday to Friday only; public holidays are not known here.
- 今天, 马上, 会后, 稍后, 第一时间, 下班前 and a time of day alone are today; 尽快, 回头,
  近期, 改天 promise no day and give None.

:func:`tasks_from_commitments` turns the commitments of a call into
:class:`~copilot.crm.filing.FilingTask` records with those days.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from compliance.numbers import CHINESE_DIGITS, parse_chinese
from copilot.crm.filing import FilingTask
from copilot.insights.models import Commitment

# 正月初一, from the published lunar calendar; 年前 means "before the eve of this".
SPRING_FESTIVALS = tuple(
    date.fromisoformat(d)
    for d in (
        "2020-01-25",
        "2021-02-12",
        "2022-02-01",
        "2023-01-22",
        "2024-02-10",
        "2025-01-29",
        "2026-02-17",
        "2027-02-06",
        "2028-01-26",
        "2029-02-13",
        "2030-02-03",
        "2031-01-23",
        "2032-02-11",
        "2033-01-31",
        "2034-02-19",
        "2035-02-08",
    )
)

SUBJECT_MAX = 60

_NUM = r"[0-9零〇一二两三四五六七八九十]+"
_NAMED_YEAR = r"(?P<yr>今年|明年|后年|去年|(?:\d{4}|[零〇一二三四五六七八九]{4})年?)"
_YEAR = _NAMED_YEAR + "?"
_MONTH = rf"(?P<m>(?!两){_NUM})"  # 两月 is two months; February is 二月
_MONTH_PART = r"(?P<part>上旬|中旬|下旬|底|末|初|中)"
_WEEK_REL = r"(?P<rel>这个|这|本|下下个|下下|下个|下|上个|上)"
_MONTH_REL = r"(?P<rel>这个|这|本|下下个|下个|下|上个|上)"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_WEEKDAYS.update({str(i + 1): i for i in range(7)})


class DueDay(NamedTuple):
    """A resolved due day and the words it was read from."""

    text: str
    day: date


def resolve_due(text: str, said_on: date) -> date | None:
    """The calendar day the time words in ``text`` name, said on ``said_on``; None when
    nothing time-like is there or the words promise no day (尽快, 节后)."""
    found = find_due(text, said_on)
    return found.day if found else None


def find_due(text: str, said_on: date) -> DueDay | None:
    """Like :func:`resolve_due`, with the words the day came from (the latest day wins)."""
    text = unicodedata.normalize("NFKC", text)  # full-width digits and dashes
    best: DueDay | None = None
    pos = 0
    while pos < len(text):
        for rule in _RULES:
            match = rule.regex.match(text, pos)
            if match is None:
                continue
            day = rule.resolve(match, said_on)
            if day is not None and (best is None or day > best.day):
                best = DueDay(match.group(), day)
            pos = match.end()
            break
        else:
            pos += 1
    return best


def tasks_from_commitments(commitments: Iterable[Commitment], said_on: date) -> list[FilingTask]:
    """One follow-up task per commitment, due on the day its words name (or None)."""
    tasks: list[FilingTask] = []
    seen: dict[str, int] = {}
    for commitment in commitments:
        due_text, due_date = _due_of(commitment, said_on)
        task_id = _task_id(commitment)
        seen[task_id] = seen.get(task_id, 0) + 1
        if seen[task_id] > 1:  # the same words said twice are still two commitments
            task_id = f"{task_id}-{seen[task_id]}"
        tasks.append(
            FilingTask(
                id=task_id,
                subject=task_subject(commitment, due_text),
                owner=commitment.who,
                due_date=due_date,
                due_text=due_text,
                evidence=commitment.evidence.text,
            )
        )
    return tasks


def dated(commitment: Commitment, said_on: date) -> Commitment:
    """The commitment with its due date read from what was said, unless it has one."""
    if commitment.due_date is not None:
        return commitment
    return commitment.model_copy(update={"due_date": _due_of(commitment, said_on)[1]})


def _due_of(commitment: Commitment, said_on: date) -> tuple[str | None, date | None]:
    if commitment.due:
        found = find_due(commitment.due, said_on)
        return commitment.due, commitment.due_date or (found.day if found else None)
    if commitment.due_date is not None:
        return None, commitment.due_date
    # No due words were picked out: the time may still sit in the action or the clause.
    for text in (commitment.what, commitment.evidence.text):
        found = find_due(text, said_on)
        if found is not None:
            return found.text, found.day
    return None, None


def _task_id(commitment: Commitment) -> str:
    # Nothing call-specific goes in: the lead prefixes the call id.
    content = "\x1f".join(
        (commitment.who, commitment.what, commitment.due or "", commitment.evidence.text)
    )
    return hashlib.sha256(content.encode()).hexdigest()[:16]


# --- subjects ---------------------------------------------------------------------------

_FILLERS = re.compile(r"嗯+|呃+|额+|啊+|哦+|那个|好的|就是说|然后")
_LEADING = re.compile(
    r"^(?:我们这边|我这边|我们|咱们|这边|我|会|来|就|再|先|都|也|马上|尽快|一定|争取|负责|这就)+"
)
_EDGES = "，,。.！!？?、；;：:~～ \t"
_SEND_TO_YOU = re.compile(r"(发|寄|送|传|转|交)(?:给)?(您们|你们|您|你)")
_YOU = re.compile(r"您们|你们|您|你")
_DUE_TAIL = r"(?:之前|以前|之内|以内|前|内)?"


def task_subject(commitment: Commitment, due_text: str | None = None) -> str:
    """A short task line from what was promised: fillers and the time words dropped, the
    listener named (「把方案发您」 -> 「把方案发给客户」; a customer's 「给您答复」 ->
    「等客户给我方答复」)."""
    what = unicodedata.normalize("NFKC", commitment.what)
    for words in (due_text, commitment.due):
        if words:
            what = re.sub(re.escape(unicodedata.normalize("NFKC", words)) + _DUE_TAIL, "", what)
    what = _FILLERS.sub("", what).strip(_EDGES)
    what = _LEADING.sub("", what).strip(_EDGES) or commitment.what.strip(_EDGES)
    listener = "客户" if commitment.who == "rep" else "我方"
    what = _SEND_TO_YOU.sub(rf"\1给{listener}", what)
    what = _YOU.sub(listener, what)
    if commitment.who == "customer":
        what = f"等客户{what}"
    return what if len(what) <= SUBJECT_MAX else what[: SUBJECT_MAX - 1] + "…"


# --- time expressions -------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    resolve: Callable[[re.Match[str], date], date | None]


def _number(numeral: str) -> int | None:
    """A numeral's value; two neighbouring digits name a range and give its top (两三 -> 3)."""
    if len(numeral) == 2 and all(ch in CHINESE_DIGITS for ch in numeral):
        low, high = CHINESE_DIGITS[numeral[0]], CHINESE_DIGITS[numeral[1]]
        if 0 < low < high:
            return high
    return parse_chinese(numeral)


def _on(year: int, month: int, day: int) -> date:
    """The given day, or the month's last day when the month is shorter (31号 in April)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _month_end(year: int, month: int) -> date:
    return _on(year, month, 31)


def _plus_months(day: date, months: int, on: int | None = None) -> date:
    index = day.year * 12 + day.month - 1 + months
    return _on(index // 12, index % 12 + 1, day.day if on is None else on)


def _year_of(match: re.Match[str], said_on: date) -> int | None:
    """The year a prefix names (2026年, 明年, 去年); None when there is none."""
    prefix = match.groupdict().get("yr") or ""
    offset = {"今年": 0, "明年": 1, "后年": 2, "去年": -1}.get(prefix)
    if offset is not None:
        return said_on.year + offset
    return parse_chinese(prefix.rstrip("年")) if prefix else None


def _this_or_next_year(said_on: date, make: Callable[[int], date | None]) -> date | None:
    day = make(said_on.year)
    return make(said_on.year + 1) if day is not None and day < said_on else day


def _part_day(part: str | None) -> int:
    return {"初": 5, "上旬": 10, "中": 15, "中旬": 20}.get(part or "", 31)


def _iso(match: re.Match[str], said_on: date) -> date | None:
    year, month, day = (parse_chinese(match[g]) for g in ("y", "m", "d"))
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(match: re.Match[str], said_on: date) -> date | None:
    month, day = _number(match["m"]), _number(match["d"])
    if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    year = _year_of(match, said_on)
    if year is not None:
        return _on(year, month, day) if year >= said_on.year else None
    return _this_or_next_year(said_on, lambda y: _on(y, month, day))


def _month_part(match: re.Match[str], said_on: date) -> date | None:
    month = _number(match["m"])
    if month is None or not 1 <= month <= 12:
        return None
    on = _part_day(match["part"])
    year = _year_of(match, said_on)
    if year is not None:
        return _on(year, month, on) if year >= said_on.year else None
    return _this_or_next_year(said_on, lambda y: _on(y, month, on))


def _month_offset(rel: str | None) -> int | None:
    """Months from now a 这个/下个/下下个 prefix names; None for a past month (上个)."""
    if rel in (None, "这个", "这", "本"):
        return 0
    return {"下个": 1, "下": 1, "下下个": 2}.get(rel or "")


def _rel_month_day(match: re.Match[str], said_on: date) -> date | None:
    offset, day = _month_offset(match["rel"]), _number(match["d"])
    if offset is None or day is None or not 1 <= day <= 31:
        return None
    return _plus_months(said_on, offset, on=day)


def _rel_month_part(match: re.Match[str], said_on: date) -> date | None:
    offset = _month_offset(match["rel"])
    if offset is None:
        return None
    day = _plus_months(said_on, offset, on=_part_day(match["part"]))
    if match["rel"] is None and day < said_on:  # a bare 月初 said on the 20th: next month's
        day = _plus_months(said_on, 1, on=_part_day(match["part"]))
    return day


def _rel_month(match: re.Match[str], said_on: date) -> date | None:
    offset = _month_offset(match["rel"])
    return None if offset is None else _plus_months(said_on, offset, on=31)


def _year_part(match: re.Match[str], said_on: date) -> date | None:
    year = _year_of(match, said_on)
    part = match.groupdict().get("part") or match["half"]
    if part == "前":
        if year is not None and year != said_on.year:
            return None
        eves = [f - timedelta(days=1) for f in SPRING_FESTIVALS]
        return next((eve for eve in eves if eve >= said_on), date(said_on.year, 12, 31))
    if part == "后" or (year is not None and year < said_on.year):
        return None
    month, day = {"中": (6, 30), "上半年": (6, 30), "初": (1, 31)}.get(part, (12, 31))
    if year is not None:
        return date(year, month, day)
    return _this_or_next_year(said_on, lambda y: date(y, month, day))


def _quarter(match: re.Match[str], said_on: date) -> date | None:
    quarter = _number(match["q"] or match["q2"])
    if quarter is None or not 1 <= quarter <= 4:
        return None
    year = _year_of(match, said_on)
    if year is not None:
        return _month_end(year, quarter * 3) if year >= said_on.year else None
    return _this_or_next_year(said_on, lambda y: _month_end(y, quarter * 3))


def _rel_quarter(match: re.Match[str], said_on: date) -> date | None:
    offset = _month_offset(match["rel"])
    if offset is None:
        return None
    index = said_on.year * 4 + (said_on.month - 1) // 3 + offset
    return _month_end(index // 4, index % 4 * 3 + 3)


def _holiday(match: re.Match[str], said_on: date) -> date | None:
    name = match["name"]
    if name in ("春节", "过年"):
        eves = [f - timedelta(days=1) for f in SPRING_FESTIVALS]
        return next((eve for eve in eves if eve >= said_on), None)
    month, day = {"国庆": (9, 30), "十一": (9, 30), "元旦": (12, 31), "五一": (4, 30)}[name]
    return _this_or_next_year(said_on, lambda y: date(y, month, day))


def _week_offset(rel: str | None) -> int | None:
    if rel in ("这个", "这", "本"):
        return 0
    return {"下个": 1, "下": 1, "下下个": 2, "下下": 2}.get(rel or "")


def _weekday(match: re.Match[str], said_on: date) -> date | None:
    index = _WEEKDAYS[match["day"]]
    monday = said_on - timedelta(days=said_on.weekday())
    if match["rel"] is None:
        day = monday + timedelta(days=index)
        passed = day < said_on if match["day"] == "末" else day <= said_on
        return day + timedelta(days=7) if passed else day
    weeks = _week_offset(match["rel"])
    return None if weeks is None else monday + timedelta(days=7 * weeks + index)


def _week(match: re.Match[str], said_on: date) -> date | None:
    weeks = _week_offset(match["rel"])
    if weeks is None:
        return None
    friday = said_on - timedelta(days=said_on.weekday()) + timedelta(days=7 * weeks + 4)
    return max(friday, said_on)


def _day_of_month(match: re.Match[str], said_on: date) -> date | None:
    day = _number(match["d"])
    if day is None or not 1 <= day <= 31:
        return None
    return _plus_months(said_on, 1 if day < said_on.day else 0, on=day)


def _duration(match: re.Match[str], said_on: date) -> date | None:
    unit = match["unit"].lstrip("个")
    numeral = match["n"]
    count = 0.5 if numeral == "半" else float(numeral) if "." in numeral else _number(numeral)
    if not count or count > 100:  # 2025年 is a year, not a span of 2025 years
        return None
    if unit == "工作日":
        day, left = said_on, int(count)
        while left > 0:
            day += timedelta(days=1)
            left -= day.weekday() < 5
        return day
    if unit in ("月", "年"):
        months = round(count * (12 if unit == "年" else 1))
        return _plus_months(said_on, months) if months else said_on + timedelta(days=15)
    days = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}.get(unit)
    if days is None:  # hours
        return said_on + timedelta(days=int(count) // 24)
    return said_on + timedelta(days=round(count * days - 0.01))  # 半天 is today


def _days_from_now(days: int) -> Callable[[re.Match[str], date], date | None]:
    return lambda _match, said_on: said_on + timedelta(days=days)


def _no_day(_match: re.Match[str], _said_on: date) -> date | None:
    return None


_RULES: tuple[_Rule, ...] = tuple(
    _Rule(re.compile(pattern), resolve)
    for pattern, resolve in (
        (
            r"(?P<y>\d{4}|[零〇一二三四五六七八九]{4})[-/.年](?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})"
            r"[-/.月](?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})[日号]?",
            _iso,
        ),
        (rf"{_YEAR}{_MONTH}月份?(?P<d>{_NUM})[日号]", _month_day),
        (r"(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![/\d])", _month_day),
        (rf"{_YEAR}{_MONTH}月份?{_MONTH_PART}?", _month_part),
        (rf"{_MONTH_REL}月份?(?P<d>{_NUM})[日号]", _rel_month_day),
        (rf"{_MONTH_REL}?月份?{_MONTH_PART}", _rel_month_part),
        (rf"{_MONTH_REL}月份?", _rel_month),
        (rf"{_NAMED_YEAR}年?(?P<part>底|末|中|初|内|前|后|上半年|下半年)", _year_part),
        (r"年(?P<part>底|末|中|初|内|前|后)|(?P<half>上半年|下半年)", _year_part),
        (rf"{_YEAR}(?:第?(?P<q>[一二三四1-4])季度|[Qq](?P<q2>[1-4]))(?:末|底)?", _quarter),
        (r"(?P<rel>这个|本|下个|下)?季度?(?:末|底)", _rel_quarter),
        (r"(?P<rel>这个|本|下个|下)季度", _rel_quarter),
        (r"(?P<name>国庆|十一|元旦|五一|春节|过年)(?:之前|以前|前)", _holiday),
        (r"节[前后]|过完年|年后|(?:国庆|春节|过年|元旦|五一)(?:之?后|以后)", _no_day),
        (rf"{_WEEK_REL}?(?:周|星期|礼拜)(?P<day>[一二三四五六日天末1-7])", _weekday),
        (rf"{_WEEK_REL}(?:个)?(?:周|星期|礼拜)", _week),
        (rf"(?P<d>{_NUM})[号日](?!之?[内后]|以[内后]|[楼线院厅室门店机位])", _day_of_month),
        (
            rf"(?P<n>\d+\.\d+|{_NUM}|半)(?P<unit>个?工作日|天|日|个?星期|个?礼拜|周|个?月|年|个?小时|个?钟头)"
            r"(?!之?前|以前)",
            _duration,
        ),
        (r"大后天", _days_from_now(3)),
        (r"后天", _days_from_now(2)),
        (r"明天|明日|明儿|明早|明晚|明个", _days_from_now(1)),
        (r"这两天|这一两天|近两天", _days_from_now(2)),
        (r"这几天|近几天", _days_from_now(3)),
        (
            r"今天|今日|今儿|今晚|今早|当天|马上|立刻|立即|会后|稍后|待会儿?|等会儿?|一会儿|第一时间|下班前",
            _days_from_now(0),
        ),
        (r"尽快|回头|近期|改天|有空|抽空|过段时间|过阵子|以后", _no_day),
        (
            rf"(?:上午|下午|晚上|中午|早上|傍晚)(?:{_NUM}点(?:半|钟)?)?|{_NUM}点(?:半|钟|前|之前|以前)",
            _days_from_now(0),
        ),
    )
)
