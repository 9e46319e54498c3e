"""Which amount in an utterance is the customer's budget, and what it means.

Conventions (the devset gold encodes the same ones):

* exact 八十万 -> [800000, 800000]; range 三十到五十万 -> [300000, 500000];
* approximate 二十万左右 / 八十来万 / 大概六十万 -> value ± tolerance (20%);
  五十多万 -> the middle of 50–60万 ± tolerance; 将近一百万 -> [80%, 100%];
* ceiling 一百万以内 / 最多十万 -> ``amount_min`` null (CONTRACT.md); floor 至少五十万 ->
  ``amount_max`` null. ``estimate_min``/``estimate_max`` close them as the gold does.

An amount is not a budget when it is someone's price (报价, a competitor's), company figures
(营收), past spending or losses, or a procurement threshold (超过五十万就要走招标).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from copilot.insights.amounts import MoneyFinder, MoneyMention
from copilot.insights.lexicon import BudgetLexicon, compile_words
from copilot.insights.models import Budget, BudgetKind, Evidence, Period
from copilot.insights.numbers import parse_chinese
from copilot.insights.text import Segmenter, contains_any, expand

_WINDOW = 8  # characters either side of an amount that can qualify it (大概, 以内)
# A period word this close after a word of other money is its (房租一年, 电费 一个月).
_PERIOD_GAP = 1
_BARE_MINIMUM = 1000  # 每个月三千 is money next to a budget word; 每个月三 is not
# How well an amount is supported as the budget; the best one wins.
_PLAIN, _CUED, _SHARE = 1, 2, 3  # any money / after a budget word / after 其中 (a share)


class BudgetExtractor:
    def __init__(self, lexicon: BudgetLexicon, tolerance: float) -> None:
        self._lex = lexicon
        self._tolerance = Decimal(str(tolerance))
        self._finder = MoneyFinder(lexicon)
        self._not_budget = frozenset(lexicon.not_budget_cues)
        self._cues = compile_words([*lexicon.budget_cues, *lexicon.not_budget_cues])
        self._threshold = re.compile(expand(lexicon.threshold_after))
        self._over_ceiling = re.compile(expand(lexicon.over_means_ceiling_after))
        self._share = re.compile(expand(lexicon.share_pattern))
        self._period_cues = frozenset(lexicon.period_cues)
        self._repeated = (
            (re.compile(lexicon.repeated_before + "$"), re.compile(lexicon.repeated_after))
            if lexicon.repeated_after
            else None
        )
        self._periods = [
            (period, compile_words(words)) for period, words in lexicon.periods.items()
        ]

    def extract(
        self,
        segmenter: Segmenter,
        utterance_id: str | None,
        blocked: Sequence[tuple[int, int]] = (),
    ) -> Budget | None:
        """The budget stated in the text, or None. ``blocked`` spans (competitor names) make
        an amount in their clause someone else's price."""
        scored: list[tuple[int, MoneyMention]] = []
        mentions = self._finder.find(segmenter.text)
        starts = [m.start for m in mentions]
        for mention in mentions:
            score = self._score(segmenter, mention, blocked, starts)
            if score is not None:
                scored.append((score, mention))
        if not scored:
            return None
        # The best-supported amount; among equals the last one said (「三十万太多，二十万可以」).
        best_score = max(score for score, _ in scored)
        index = max(i for i, (score, _) in enumerate(scored) if score == best_score)
        mention = scored[index][1]
        # 「预算两百万，其中CRM一百二十万」: the amount before the share is the total.
        total = scored[index - 1][1].value if best_score == _SHARE and index > 0 else None
        return self._budget(segmenter, mention, utterance_id, total)

    def _score(
        self,
        segmenter: Segmenter,
        mention: MoneyMention,
        blocked: Sequence[tuple[int, int]],
        starts: Sequence[int],
    ) -> int | None:
        """How well the text supports ``mention`` as the budget; ``starts``: where every
        amount of the text begins."""
        text = segmenter.text
        clause = segmenter.clause(mention.start)
        before = text[clause.start : mention.start]
        after = text[mention.end : clause.end]
        if after.startswith(self._lex.not_budget_after):
            return None
        cues = list(self._cues.finditer(before))
        nearest = cues[-1] if cues else None
        rivals = [start for start, _ in blocked if clause.start <= start < clause.end]
        # 销售易一年二十万: a competitor's price. A rival named after an amount the customer
        # introduced as theirs is the next thought run on without a pause, as recognition
        # writes it: 「控制在三十到四十万之间销售易报得低一点」.
        if rivals and (min(rivals) < mention.start or nearest is None):
            return None
        # 三百万的预算: named the budget right after, whatever was said before (运维这块).
        named_after = after.startswith(self._lex.budget_after)
        if nearest is not None and nearest.group() in self._period_cues and len(cues) > 1:
            # 房租一年就…: the period belongs to the word before it, which decides.
            previous = cues[-2]
            if nearest.start() - previous.end() <= _PERIOD_GAP:
                nearest = previous
        if nearest is not None and nearest.group() in self._not_budget and not named_after:
            return None
        if (
            nearest is None
            and not named_after
            and self._repeated is not None
            and self._repeated[0].match(text, 0, mention.start)
            and self._repeated[1].match(text[mention.end : mention.end + 8])
        ):
            return None  # 「三百万？」: the other side's figure, repeated
        # An amount introduced as the budget is one (预算一百万以内超过这个数就得重新立项);
        # otherwise 「超过五十万就要走招标」 is a procurement rule, also far after a budget
        # word in a run-on clause (预算…总共十八万但…超过十万的合同还要报投资方备案).
        # A cue introduces the first amount after it (总共十八万但超过十万: not the second).
        near_cue = (
            nearest is not None
            and nearest.end() >= len(before) - _WINDOW
            and not any(clause.start + nearest.end() <= s < mention.start for s in starts)
        )
        if not near_cue and not named_after and self._is_threshold(before, after):
            return None
        if mention.bare and (
            nearest is None
            or nearest.end() < len(before) - _WINDOW
            or mention.value < _BARE_MINIMUM
        ):
            return None
        if contains_any(before[-_WINDOW:], self._lex.share_before):
            return _SHARE
        return _CUED if nearest is not None or named_after else _PLAIN

    def _over(self, before: str) -> bool:
        """超过 / 高于 … just before the amount."""
        return before.rstrip("了").endswith(self._lex.threshold_before)

    def _over_is_ceiling(self, before: str, after: str) -> bool:
        """超过十万我们就批不下来: what is over the amount is refused, so it is a ceiling."""
        return self._over(before) and self._over_ceiling.search(after) is not None

    def _is_threshold(self, before: str, after: str) -> bool:
        bound = after.startswith(("以上", "以下", "以内"))
        if self._over_is_ceiling(before, after):
            return False  # a ceiling, though 批 reads like a rule
        return (self._over(before) or bound) and bool(self._threshold.search(after))

    def _budget(
        self,
        segmenter: Segmenter,
        mention: MoneyMention,
        utterance_id: str | None,
        total: Decimal | None,
    ) -> Budget:
        text = segmenter.text
        clause = segmenter.clause(mention.start)
        before = text[max(clause.start, mention.start - _WINDOW) : mention.start]
        after = text[mention.end : min(clause.end, mention.end + _WINDOW)]
        kind, low, high = self._qualify(mention, before, after, text[mention.end : clause.end])
        scope: str | None = None
        sentence = segmenter.sentence(mention.start)
        share = self._share.search(text[mention.end : sentence.end])
        if total is None and share is not None:
            fraction = _fraction(share["fraction"])
            if fraction is not None and 0 < fraction < 1:
                total = mention.value
                scope = share["scope"].removesuffix("的") or None
                low = None if low is None else low * fraction
                high = None if high is None else high * fraction
        return Budget(
            amount_min=_yuan(low),
            amount_max=_yuan(high),
            period=self._period(segmenter, mention),
            kind=kind,
            scope=scope,
            total_amount=_yuan(total),
            evidence=Evidence(
                utterance_id=utterance_id, text=segmenter.sentence_text(mention.start)
            ),
        )

    def _qualify(
        self, mention: MoneyMention, before: str, after: str, rest_of_clause: str
    ) -> tuple[BudgetKind, Decimal | None, Decimal | None]:
        lex, tolerance, value = self._lex, self._tolerance, mention.value
        ceiling = (
            contains_any(before, lex.ceiling_before)
            or after.startswith(lex.ceiling_after)
            or contains_any(rest_of_clause, lex.ceiling_after_anywhere)
            or self._over_is_ceiling(before, after)
        )
        floor = contains_any(before, lex.floor_before) or after.startswith(lex.floor_after)
        if mention.digit_count:  # 五位数以内 is below 100,000, 至少七位数 a million or more
            if ceiling:
                return "ceiling", None, mention.high
            if floor:
                return "floor", mention.low, None
        if mention.ranged:
            return "range", mention.low, mention.high
        if ceiling:
            return "ceiling", None, mention.high
        if contains_any(before, lex.below_before):
            return "approximate", value * (1 - tolerance), value
        if after.startswith(lex.above_after):
            return "approximate", value, value * (1 + tolerance)
        if floor:
            return "floor", mention.low, None
        if (
            mention.modifier
            or contains_any(before, lex.approximate_before)
            or after.startswith(lex.approximate_after)
        ):
            return "approximate", value * (1 - tolerance), value * (1 + tolerance)
        return "exact", value, value

    def _period(self, segmenter: Segmenter, mention: MoneyMention) -> Period | None:
        for span in (segmenter.clause(mention.start), segmenter.sentence(mention.start)):
            found: list[tuple[int, Period]] = []
            for period, words in self._periods:
                for match in words.finditer(segmenter.text, span.start, span.end):
                    found.append((abs(match.start() - mention.start), period))
            if found:
                return min(found)[1]
        return None


def _fraction(said: str) -> Decimal | None:
    """一半 0.5, 三成 0.3, 百分之三十 / 30% 0.3, 三分之一 1/3."""
    named = {"一半": "0.5", "一小半": "0.4", "一大半": "0.6"}
    if said in named:
        return Decimal(named[said])
    if said.endswith("成"):
        tenths = _integer(said[:-1])
        return None if tenths is None else Decimal(tenths) / 10
    if said.startswith("百分之") or said.endswith("%"):
        percent = _integer(said.removeprefix("百分之").removesuffix("%"))
        return None if percent is None else Decimal(percent) / 100
    if "分之" in said:
        whole, part = (_integer(p) for p in said.split("分之", 1))
        return None if not whole or part is None else Decimal(part) / whole
    return None


def _integer(said: str) -> int | None:
    return int(said) if said.isdigit() else parse_chinese(said)


def _yuan(amount: Decimal | None) -> int | None:
    return None if amount is None else int(amount.to_integral_value())
