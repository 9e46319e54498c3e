"""Discounts deeper than a rep may promise: 打七折, 六点五折, 对折, 半价, 降价30%, 30% off,
便宜三成, 原价十万给您六万…, each turned into a fraction off and compared with the limit.

The grammar of price talk is code; which words count as approval, negation or company
policy is data (``rules/unauthorized_discount.yaml``), applied by the rule engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from compliance.numbers import cheng_off, parse_number, percent_off, render_rate, zhe_rate

_ZH = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:\d+(?:\.\d+)?|[{_ZH}]+(?:点[{_ZH}]+)?)"
_PCT = rf"(?:\d+(?:\.\d+)?%|百分之[{_ZH}\d]+(?:点[{_ZH}\d]+)?)"
# Digits mixed with units (7万6千8) are how speech recognition writes 七万六千八.
_AMOUNT = rf"(?:\d{{1,4}}(?:[万千百十]\d{{1,4}})+[万千百十]?|\d+(?:\.\d+)?万?|[{_ZH}万]+)(?:元|块)?"
# Verbs that name a price cut by themselves, and verbs that need a price word nearby
# (减少三成人工 is an efficiency claim, not a discount).
_PRICE_VERBS = "降价|直降|减价|便宜了|便宜|优惠了|优惠|让利|少收|立减|折让|减免|打掉|砍掉|砍|下浮"
_WEAK_VERBS = "降了|降|减掉|减|少|让|下调"
_VERB_TAIL = "(?:掉|了|给您|给你|您|你|个)?"
_PRICE_CONTEXT = re.compile(r"价|费|钱|款|报价|金额|折扣|优惠|合同额")

# No look-behind in front: the engine then jumps straight to digits. The character before the
# numeral is checked in _zhe (十五折 and 1.5折 are not read as 五折).
_ZHE = re.compile(
    r"(?P<num>[一二两三四五六七八九\d](?:[点.]?[一二三四五六七八九\d])?|对|半)折(?![合旧叠])"
)
_NUMERAL_CHARS = frozenset(f"0123456789.点{_ZH}")
_PCT_NOUN = re.compile(rf"(?P<num>{_PCT})(?:的)?(?:off|折扣|优惠|让利|减免|折让)")
_PCT_VERB = re.compile(rf"(?P<verb>{_PRICE_VERBS}|{_WEAK_VERBS}|off){_VERB_TAIL}(?P<num>{_PCT})")
_CHENG = re.compile(
    rf"(?P<verb>{_PRICE_VERBS}|{_WEAK_VERBS}){_VERB_TAIL}(?P<num>[一二两三四五六七八九\d])成(?P<half>半)?"
)
_HALF = re.compile(
    rf"半价|减半|砍半|打对半|对半(?:价|卖|给|算|收)|(?:原价|原来|原先|标价|报价)的一半"
    rf"|(?:{_PRICE_VERBS}|{_WEAK_VERBS}|打)(?:掉|了|到)?一半"
)
_OF_LIST = re.compile(rf"(?:原价|标价|报价|定价|官方价|刊例价)的(?P<num>{_PCT})")
# 原价的六成, 按八成价: N tenths of the list price.
_TENTHS_OF_LIST = re.compile(
    r"(?:(?:原价|标价|报价|定价|官方价|刊例价|原来|原先)的(?P<num>[一二两三四五六七八九\d])成"
    r"|(?P<num2>[一二两三四五六七八九\d])成价)"
)
_LIST_PRICE = "原价|标价|定价|官方价|刊例价|市场价|报价|总价|官网价|正价|原来|原本|本来|平时|正常"
# The price actually asked: 一口价六十万, 成交价七十万, 原价十二万现价八万.
_DEAL_PRICE = "一口价|成交价|到手价|现价|折后价|优惠价|活动价|签约价|最终价"
# 算 alone, but not the 算 of 预算/计算/核算 (报价120万，您预算90万 is no concession).
_DEAL_VERB = (
    rf"给您|给你|算您|算你|收您|收你|只要|只收|就收|降到|做到|让到|(?<![预计核估打结换清])算"
    rf"|(?:{_DEAL_PRICE})(?:是|为|只要|就)?"
)
# 给您签七十万, 给您按五十万: a verb between the concession and the amount.
_DEAL_LINK = "(?:签|按|做|做到|算|收|是|只要|就|到)?"
# 按五十万给您, 以六十万成交: the amount inside the concession.
_DEAL_BY = "(?:就按|只按|按|以)"
_DEAL_BY_TAIL = "(?:给您|给你|算|收|成交|卖|签|拿|的价格|的价)"
_DEAL = (
    rf"(?:(?:{_DEAL_VERB}){_DEAL_LINK}(?P<deal>{_AMOUNT})"
    rf"|{_DEAL_BY}(?P<deal_by>{_AMOUNT}){_DEAL_BY_TAIL})"
)
_FROM_TO = re.compile(
    rf"(?:(?:{_LIST_PRICE})(?:是|为)?(?P<list>{_AMOUNT})|(?P<list2>{_AMOUNT})的(?:{_LIST_PRICE}))"
    rf"[^。!?;\n]{{0,12}}?{_DEAL}"
)
# The same, deal first: 价格降到六万八，原价是十二万.
_TO_FROM = re.compile(
    rf"(?:{_DEAL_VERB})(?P<deal>{_AMOUNT})[^。!?;\n]{{0,12}}?"
    rf"(?:原价|标价|定价|官方价|刊例价|市场价|原来|本来|原本)(?:是|为)?(?P<list>{_AMOUNT})"
)
# A price, then the deal price without a list-price word: 标准版八十八万，今天一口价五十万.
_PRICE_THEN_DEAL = re.compile(
    rf"(?P<list>{_AMOUNT})[^。!?;\n]{{0,10}}?(?:{_DEAL_PRICE})(?:是|为|只要|就)?(?P<deal>{_AMOUNT})"
)
# …unless that first amount is what the customer can spend: 您预算八十八万，我们一口价五十万.
_BUDGET = re.compile(r"预算|budget|手上|只有|能出|承受|能接受|最多|顶多|最高")

# 五十个账号我按三十个的钱收您: paying for fewer seats than delivered.
_SEATS = re.compile(
    rf"(?P<list>{_NUM})个(?:账号|用户|席位|许可|license|人)?[^。!?;\n]{{0,8}}?(?:按|算|收)"
    rf"(?P<deal>{_NUM})个(?:账号|用户|席位|许可|license|人)?的(?:钱|价|价格|费用)"
)


@dataclass(frozen=True)
class Discount:
    start: int
    end: int
    off: float  # fraction off the list price
    name: str  # as 折, e.g. 七折
    limit: str  # the allowed maximum as 折, e.g. 九折


def _amount(text: str) -> float | None:
    text = text.removesuffix("元").removesuffix("块")
    scale = 10_000 if text.endswith("万") else 1
    value = parse_number(text.removesuffix("万"))
    return None if value is None else value * scale


def _zhe(match: re.Match[str], text: str) -> float | None:
    if match.start() > 0 and text[match.start() - 1] in _NUMERAL_CHARS:
        return None
    rate = zhe_rate(match["num"])
    return None if rate is None else 1 - rate


def _verb_percent(match: re.Match[str], text: str) -> float | None:
    return _weak_checked(match, text, percent_off(match["num"]))


def _cheng(match: re.Match[str], text: str) -> float | None:
    off = cheng_off(match["num"])
    if off is not None and match["half"]:
        off += 0.05
    return _weak_checked(match, text, off)


def _weak_checked(match: re.Match[str], text: str, off: float | None) -> float | None:
    if off is None or match["verb"] not in _WEAK_VERBS.split("|"):
        return off
    # The sentence must talk about price; a clause boundary search is overkill here.
    lo = max(0, match.start() - 30)
    return off if _PRICE_CONTEXT.search(text, lo, match.end() + 30) else None


def _half(match: re.Match[str], text: str) -> float | None:
    # 砍一半 / 降一半 need a price word nearby: 减少一半的录入工作 is not a discount.
    if match.group().endswith("一半") and "的" not in match.group():
        lo = max(0, match.start() - 30)
        return 0.5 if _PRICE_CONTEXT.search(text, lo, match.end() + 30) else None
    return 0.5


def _tenths_of_list(match: re.Match[str], _: str) -> float | None:
    share = cheng_off(match["num"] or match["num2"])
    return None if share is None else 1 - share


def _from_to(match: re.Match[str], _: str) -> float | None:
    groups = match.groupdict()
    list_price = _amount(groups.get("list") or groups.get("list2") or "")
    deal = _amount(groups.get("deal") or groups.get("deal_by") or "")
    if not list_price or deal is None or not 0 < deal < list_price:
        return None
    return 1 - deal / list_price


def _price_then_deal(match: re.Match[str], text: str) -> float | None:
    if _BUDGET.search(text, max(0, match.start() - 8), match.start("list")):
        return None
    return _from_to(match, text)


ValueOf = Callable[[re.Match[str], str], float | None]
_LIST_WORDS = (
    "原价",
    "标价",
    "定价",
    "官方价",
    "刊例价",
    "市场价",
    "报价",
    "总价",
    "官网价",
    "正价",
    "原来",
    "原本",
    "本来",
    "平时",
    "正常",
)
# Each pattern with the strings one of which it cannot match without: a substring test is far
# cheaper than running the regex over a sentence that cannot hold it.
_PATTERN_NEEDS: tuple[tuple[re.Pattern[str], ValueOf, tuple[str, ...]], ...] = (
    (_FROM_TO, _from_to, _LIST_WORDS),
    (_TO_FROM, _from_to, _LIST_WORDS),
    (_PRICE_THEN_DEAL, _price_then_deal, tuple(_DEAL_PRICE.split("|"))),
    (_SEATS, _from_to, ("个的",)),
    (_ZHE, _zhe, ("折",)),
    (_PCT_NOUN, lambda m, _: percent_off(m["num"]), ("%", "百分之")),
    (_PCT_VERB, _verb_percent, ("%", "百分之")),
    (_CHENG, _cheng, ("成",)),
    (_HALF, _half, ("半",)),
    (
        _OF_LIST,
        lambda m, _: None if (p := percent_off(m["num"])) is None else 1 - p,
        ("%", "百分之"),
    ),
    (_TENTHS_OF_LIST, _tenths_of_list, ("成",)),
)
_PATTERNS = tuple(
    (pattern, value_of, re.compile("|".join(map(re.escape, needs))))
    for pattern, value_of, needs in _PATTERN_NEEDS
)


def find_discounts(text: str, lo: int = 0, hi: int | None = None) -> Iterator[Discount]:
    """Every discount stated in ``text[lo:hi]``, whatever its depth; overlapping readings of
    the same words are reported once (the first pattern wins)."""
    hi = len(text) if hi is None else hi
    taken: list[tuple[int, int]] = []
    for pattern, value_of, needs in _PATTERNS:
        if not needs.search(text, lo, hi):
            continue
        for match in pattern.finditer(text, lo, hi):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            off = value_of(match, text)
            if off is None or not 0 < off < 1:
                continue
            taken.append((start, end))
            yield Discount(start, end, round(off, 4), render_rate(off), "")


def find_excess_discounts(text: str, lo: int, hi: int, max_off: float) -> Iterator[Discount]:
    """Discounts deeper than ``max_off`` (九折 = 0.10 is allowed by default)."""
    limit = render_rate(max_off)
    for found in find_discounts(text, lo, hi):
        if found.off > max_off + 1e-9:
            yield Discount(found.start, found.end, found.off, found.name, limit)
