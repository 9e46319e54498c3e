"""Objections and pain points: lexicon cues per category, negation-aware.

「不是价格的问题」 is not a price objection; 「数据安全我们倒不担心」 is not a risk. An
utterance can carry several categories; each is reported once, with the clause of its first
live cue. Objections have two more tiers: yielding cues, generic wording (万一…怎么办, 谁负责,
X同意才行) that counts only where no other type's cue shares its sentence and the utterance
states no budget, and a weak, topic-based tier for utterances nothing else explains.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from copilot.insights.competitors import CompetitorHit
from copilot.insights.lexicon import (
    ObjectionLexicon,
    PainLexicon,
    compile_optional,
    compile_patterns,
    compile_words,
)
from copilot.insights.models import Evidence, Objection, ObjectionType, PainPoint
from copilot.insights.text import Negation, Segmenter, Span

Label = TypeVar("Label", bound=str)


@dataclass(frozen=True)
class Cue(Generic[Label]):
    label: Label
    start: int
    end: int


class CueMatcher(Generic[Label]):
    def __init__(self, patterns: Mapping[Label, Sequence[str]], negation: Negation) -> None:
        self._patterns = {label: compile_patterns(tuple(p)) for label, p in patterns.items()}
        self._negation = negation

    def negated(self, segmenter: Segmenter, start: int, end: int) -> bool:
        return self._negation.negates(segmenter, start, end)

    def first(self, segmenter: Segmenter, pattern: re.Pattern[str]) -> re.Match[str] | None:
        for match in pattern.finditer(segmenter.text):
            if not self.negated(segmenter, match.start(), match.end()):
                return match
        return None

    def find(self, segmenter: Segmenter) -> dict[Label, Cue[Label]]:
        """The first cue of each category that is not negated."""
        found: dict[Label, Cue[Label]] = {}
        for label, pattern in self._patterns.items():
            match = self.first(segmenter, pattern)
            if match is not None:
                found[label] = Cue(label, match.start(), match.end())
        return found


class PainPointExtractor:
    def __init__(self, lexicon: PainLexicon, negation: Negation) -> None:
        self._cues = CueMatcher(lexicon.categories, negation)

    def extract(self, segmenter: Segmenter, utterance_id: str | None) -> list[PainPoint]:
        cues = sorted(self._cues.find(segmenter).values(), key=lambda c: c.start)
        return [
            PainPoint(
                category=cue.label,
                text=segmenter.clause_text(cue.start),
                evidence=Evidence(
                    utterance_id=utterance_id, text=segmenter.sentence_text(cue.start)
                ),
            )
            for cue in cues
        ]


@dataclass(frozen=True)
class JudgedObjections:
    """The objections found, and the types whose cues the rules saw but dismissed as
    look-alikes (a stance calling the topic settled, praise of a system given up): a learned
    model should not add those back. A competitor's pitch dropped from a competitor objection's
    sentence is not among them: there it is part of a real objection."""

    objections: list[Objection]
    dismissed: frozenset[ObjectionType]


class ObjectionExtractor:
    def __init__(self, lexicon: ObjectionLexicon, negation: Negation) -> None:
        self._cues = CueMatcher(lexicon.types, negation)
        self._yielding = CueMatcher(lexicon.yielding, negation)
        competitor = lexicon.competitor
        self._generic = compile_patterns(competitor.generic)
        self._compare = compile_patterns(competitor.compare)
        self._using = compile_patterns(competitor.using)
        self._using_after = compile_optional(competitor.using_after)
        self._denied = compile_optional(competitor.denied_before)
        self._lock_in = compile_patterns(competitor.lock_in)
        self._engaged = compile_patterns(competitor.engaged_before)
        self._versus = compile_patterns(competitor.versus or competitor.compare)
        self._past_before = compile_optional(competitor.past_before)
        self._ended_after = compile_optional(competitor.ended_after)
        self._concern = re.compile(lexicon.fallback.concern)
        self._topics = {
            label: compile_words(words) for label, words in lexicon.fallback.topics.items()
        }
        self._negation = negation
        settled = lexicon.settled
        self._settled_types: frozenset[str] = frozenset(settled.types)
        self._settled = compile_optional(settled.stance)
        self._contrast = re.compile(settled.contrast)
        self._conditional = re.compile(settled.conditional)
        self._asking = re.compile(settled.asking)

    def judge(
        self,
        segmenter: Segmenter,
        utterance_id: str | None,
        competitors: Sequence[CompetitorHit],
        complains: bool = False,
        has_budget: bool = False,
    ) -> JudgedObjections:
        """The objections in the utterance, with the types dismissed as look-alikes.

        ``complains``: the utterance has pain points, so a competitor the customer already
        uses is a system they are unhappy with, not a reason to stay. Weak topic evidence is
        only used when the utterance says nothing else (no pains, no budget); yielding cues
        only when it states no budget, whose approval route (大概六十万吧？要钱总同意才行) or
        sufficiency (预算六十万，够用了) is no objection."""
        found = self._cues.find(segmenter)
        dismissed: set[ObjectionType] = set()
        for past in self._past_sentences(segmenter, competitors):
            # Praise of a system given up (挺好用的，后来停了) is no contentment with today's.
            need = found.get("need")
            if need is not None and past.start <= need.start < past.end:
                del found["need"]
                dismissed.add("need")
        if not has_budget:
            self._add_yielding(segmenter, found)
        competing = self._competitor_cue(segmenter, competitors, "need" in found, complains)
        if competing is not None:
            # What a competitor offers (免费试用, 便宜一半) is their pitch, not another objection.
            sentence = segmenter.sentence(competing.start)
            found = {k: c for k, c in found.items() if not sentence.start <= c.start < sentence.end}
            found["competitor"] = competing
        if not found and not complains and not has_budget:
            weak = self._weak_cue(segmenter)
            if weak is not None:
                found[weak.label] = weak
        settled = {k for k, c in found.items() if self._is_settled(segmenter, c)}
        dismissed |= settled
        found = {k: c for k, c in found.items() if k not in settled}
        objections = [
            Objection(
                type=cue.label,
                text=segmenter.clause_text(cue.start),
                evidence=Evidence(
                    utterance_id=utterance_id, text=segmenter.sentence_text(cue.start)
                ),
            )
            for cue in sorted(found.values(), key=lambda c: c.start)
        ]
        return JudgedObjections(objections, frozenset(dismissed - set(found)))

    def _add_yielding(
        self, segmenter: Segmenter, found: dict[ObjectionType, Cue[ObjectionType]]
    ) -> None:
        """Yielding cues of types not found yet, each only if no other type's cue is in its
        sentence: in 「你们团队才几十个人，万一撑不下去我们怎么办」 the worry is about the vendor
        (trust), and 「万一…怎么办」 adds no risk objection of its own."""
        firm = [(cue.label, cue.start) for cue in found.values()]
        for cue in self._yielding.find(segmenter).values():
            if cue.label in found:
                continue
            sentence = segmenter.sentence(cue.start)
            if not any(
                label != cue.label and sentence.start <= at < sentence.end for label, at in firm
            ):
                found[cue.label] = cue

    def _is_settled(self, segmenter: Segmenter, cue: Cue[ObjectionType]) -> bool:
        """Whether the customer calls the cue's topic settled in the same stretch of its
        sentence (see `settled` in objections.yaml)."""
        if self._settled is None or cue.label not in self._settled_types:
            return False
        text = segmenter.text
        sentence = segmenter.sentence(cue.start)
        low, high = sentence.start, sentence.end
        for marker in self._contrast.finditer(text, sentence.start, sentence.end):
            # A contrast inside the cue (我觉得挺好，但老板…) opens the cue's own stretch.
            if marker.start() < cue.end:
                low = marker.end()
            else:
                high = marker.start()
                break
        clause = segmenter.clause(cue.start)
        asks = self._asking.search(text, clause.start, clause.end + 1) is not None
        return any(
            self._live_stance(segmenter, stance)
            for stance in self._settled.finditer(text, low, high)
            if not (asks and segmenter.clause(stance.start()) != clause)
        )

    def _live_stance(self, segmenter: Segmenter, stance: re.Match[str]) -> bool:
        text = segmenter.text
        clause = segmenter.clause(stance.start())
        before = text[max(clause.start, stance.start() - 3) : stance.start()]
        rest = text[stance.end() : clause.end + 1].replace("什么", "")
        return not (
            any(before.endswith(word) for word in self._negation.reversed_by)
            or any(word in rest for word in (*self._negation.asked_by, "？", "?"))
            or self._conditional.search(text, clause.start, clause.end)
        )

    def _weak_cue(self, segmenter: Segmenter) -> Cue[ObjectionType] | None:
        scores: dict[ObjectionType, int] = {}
        first: dict[ObjectionType, int] = {}
        for span in segmenter.clauses():
            if not self._concern.search(segmenter.text, span.start, span.end):
                continue
            for label, words in self._topics.items():
                for match in words.finditer(segmenter.text, span.start, span.end):
                    if self._cues.negated(segmenter, match.start(), match.end()):
                        continue
                    scores[label] = scores.get(label, 0) + 1
                    first.setdefault(label, match.start())
        if not scores:
            return None
        best = max(scores.values())
        winners = [label for label, score in scores.items() if score == best]
        if len(winners) != 1:
            return None
        return Cue(winners[0], first[winners[0]], first[winners[0]] + 1)

    def _competitor_cue(
        self,
        segmenter: Segmenter,
        competitors: Sequence[CompetitorHit],
        content: bool,
        complains: bool,
    ) -> Cue[ObjectionType] | None:
        """A competitor (named, or 竞品/别家) compared with us in the same sentence, or one
        being evaluated (在看Salesforce). One the customer already uses is an objection of its
        own only if they neither say they are content with it (``content``: a need objection,
        which then covers any praise of it too) nor complain (``complains``: pain points)."""
        text = segmenter.text
        locked = self._cues.first(segmenter, self._lock_in)
        if locked is not None:
            return Cue("competitor", locked.start(), locked.end())
        mentions = [(hit.start, hit.end) for hit in competitors]
        mentions += [(m.start(), m.end()) for m in self._generic.finditer(text)]
        for start, end in sorted(mentions):
            sentence = segmenter.sentence(start)
            local = Segmenter(_collapsed(text, sentence, competitors))
            if self._is_past(segmenter, start, end):
                # A system they used before (以前用过Salesforce，后来停了) competes only when
                # set against us outright (跟X比，你们优势在哪).
                if self._cues.first(local, self._versus) is not None:
                    return Cue("competitor", start, start + 1)
                continue
            in_use = self._in_use(segmenter, start, end)
            if in_use and (content or complains):
                continue
            compared = self._cues.first(local, self._compare) is not None
            engaged_at = self._engaged.search(text, max(sentence.start, start - 8), start)
            engaged = engaged_at is not None and not self._is_denied(
                text, sentence.start, engaged_at.start()
            )
            if compared or engaged or in_use:
                return Cue("competitor", start, start + 1)
        return None

    def _is_denied(self, text: str, floor: int, position: int) -> bool:
        """Whether a denial (没有, 并没) comes right before ``position``: 「没有在用别家」."""
        if self._denied is None:
            return False
        return self._denied.search(text, max(floor, position - 4), position) is not None

    def _is_past(self, segmenter: Segmenter, start: int, end: int) -> bool:
        """Whether the competitor at ``start:end`` is one the customer used before and no
        longer does: 以前用过, 前东家用的是 earlier in its sentence, or 后来停了, 合同到期了
        anywhere after it."""
        sentence = segmenter.sentence(start)
        before = self._past_before is not None and (
            self._past_before.search(segmenter.text, sentence.start, start) is not None
        )
        ended = self._ended_after is not None and (
            self._ended_after.search(segmenter.text, end) is not None
        )
        return before or ended

    def _past_sentences(
        self, segmenter: Segmenter, competitors: Sequence[CompetitorHit]
    ) -> list[Span]:
        """Sentences that speak of a competitor only as a system used before."""
        return [
            segmenter.sentence(hit.start)
            for hit in competitors
            if self._is_past(segmenter, hit.start, hit.end)
        ]

    def _in_use(self, segmenter: Segmenter, start: int, end: int) -> bool:
        """Whether the customer already uses the competitor at ``start:end``: a `using` cue
        earlier in its sentence (已经在用销售易) or right after it in its clause (Salesforce我们
        一直在用), not denied (没有在用别家)."""
        text = segmenter.text
        sentence = segmenter.sentence(start)
        cues = list(self._using.finditer(text, sentence.start, start))
        if self._using_after is not None:
            clause = segmenter.clause(start)
            cues += self._using_after.finditer(text, end, min(clause.end, end + 8))
        floor = segmenter.clause(start).start
        return any(not self._is_denied(text, min(floor, m.start()), m.start()) for m in cues)


def _collapsed(text: str, sentence: Span, competitors: Sequence[CompetitorHit]) -> str:
    """The sentence with each competitor's name shortened to one character, so that a long
    Latin name (跟Salesforce比) is as near its comparison as a Chinese one (跟红圈比)."""
    pieces: list[str] = []
    at = sentence.start
    for hit in sorted(competitors, key=lambda h: h.start):
        if sentence.start <= hit.start and hit.end <= sentence.end and hit.start >= at:
            pieces += [text[at : hit.start], "X"]
            at = hit.end
    pieces.append(text[at : sentence.end])
    return "".join(pieces)
