"""Matching one message against a compiled pack: find candidate spans (literal triggers,
regexes near their anchors, detectors), keep those whose ``require`` conditions hold and
none of whose ``unless`` conditions do.

A condition with ``before`` looks at the N characters before the hit, ``after`` at the N
after it, both at the hit and its surroundings; neither, at the whole clause or sentence.
Windows never cross the condition's scope, so 「不用走对公，转我个人微信」 does not read
「不用」 as negating 「转」.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field

from compliance.pack import Condition, Rule, RulePack
from compliance.text import MAX_REACH, Document

# Anchored sentences closer than this are searched in one go: fewer calls, little more text.
_MERGE_GAP = 64


@dataclass(frozen=True)
class Hit:
    """A rule that fired, with its span in the normalised text."""

    rule: Rule
    start: int
    end: int
    values: dict[str, str] = field(default_factory=dict)


def _routes(pack: RulePack, text: str) -> list[tuple[int, int, tuple[int, ...], tuple[int, ...]]]:
    """The pack's triggers and anchors in ``text``, in text order, each with the rules it
    triggers and the rules it anchors."""
    if pack.automaton is None:
        return []
    # One word ends at most once at a position, so equal spans never compare their routes.
    routes = pack.routes
    spans = [(start, end, *routes[word]) for word, start, end in pack.automaton.find(text)]
    spans.sort()
    return spans


def _holds(doc: Document, condition: Condition, start: int, end: int) -> tuple[int, int] | None:
    """Where ``condition`` is met around the hit ``[start, end)``, or None."""
    lo, hi = doc.bounds(condition.scope, start, end)
    before, after = condition.before, condition.after
    if before is not None:
        lo = max(lo, start - before)
        if after is None:
            hi = start
    if after is not None:
        hi = min(hi, end + after)
        if before is None:
            lo = end
    if lo >= hi:
        return None
    if condition.word_regex is not None and (word := condition.word_regex.search(doc.text, lo, hi)):
        return word.span()
    if condition.regex is not None and (match := condition.regex.search(doc.text, lo, hi)):
        return match.span()
    return None


def _regions(doc: Document, anchors: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Where a gated regex or detector has to look: the sentences holding anchor hits; in a
    sentence longer than twice :data:`MAX_REACH` (a transcript without punctuation), only
    the windows around the hits, so the work stays linear in the text."""
    regions: list[tuple[int, int]] = []
    ends, size = doc.sentence_ends, len(doc.text)
    whole_until = -1  # the end of the last whole sentence taken
    for start, end in anchors:  # in text order
        if end <= whole_until:
            continue  # another anchor in that sentence
        index = bisect_left(ends, start)  # as Document.sentence_of / sentence_span
        lo = ends[index - 1] + 1 if index else 0
        hi = ends[index] if index < len(ends) else size
        if hi - lo > 2 * MAX_REACH:
            lo, hi = max(lo, start - MAX_REACH // 2), min(hi, end + MAX_REACH // 2)
        else:
            whole_until = hi
        if regions and lo <= regions[-1][1] + _MERGE_GAP:
            if hi > regions[-1][1]:
                regions[-1] = (regions[-1][0], hi)
        else:
            regions.append((lo, hi))
    return regions


_NO_VALUES: dict[str, str] = {}


def _searched(
    pack: RulePack, rule: Rule, doc: Document, gates: list[tuple[int, int]]
) -> list[tuple[int, int, dict[str, str]]]:
    """Candidates of a regex or detector rule: near its anchors, or everywhere without any."""
    found: list[tuple[int, int, dict[str, str]]] = []
    regions = _regions(doc, gates) if rule.anchors else [(0, len(doc.text))]
    for lo, hi in regions:
        if rule.regex is not None:
            for match in rule.regex.finditer(doc.text, lo, hi):
                if match.end() > match.start():
                    found.append((match.start(), match.end(), _NO_VALUES))
        elif rule.detector is not None:
            for candidate in rule.detector(doc.text, lo, hi, pack.detector_settings):
                found.append((candidate.start, candidate.end, candidate.values))
    return found


def evaluate(
    pack: RulePack, doc: Document, only: Rule | None = None, limit: int | None = None
) -> list[Hit]:
    """Every rule hit in ``doc`` (or only ``only``'s), before overlapping hits are merged;
    at most ``limit`` of them, so a pasted wall of violations costs bounded time."""
    triggered: dict[int, list[tuple[int, int]]] = defaultdict(list)
    gates: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for start, end, rule_triggers, rule_anchors in _routes(pack, doc.text):
        for index in rule_triggers:
            triggered[index].append((start, end))
        for index in rule_anchors:
            gates[index].append((start, end))
    hits: list[Hit] = []
    for index in sorted({*triggered, *gates, *pack.always}):
        rule = pack.rules[index]
        if only is not None and rule is not only:
            continue
        seen: set[tuple[int, int]] = set()
        if rule.words:
            candidates = [(start, end, _NO_VALUES) for start, end in triggered[index]]
        else:
            candidates = _searched(pack, rule, doc, gates[index])
        for start, end, values in candidates:
            hit = _check(doc, rule, start, end, values)
            if hit is not None and (hit.start, hit.end) not in seen:
                seen.add((hit.start, hit.end))
                hits.append(hit)
                if limit is not None and len(hits) >= limit:
                    return hits
    return hits


def _check(doc: Document, rule: Rule, start: int, end: int, values: dict[str, str]) -> Hit | None:
    span_start, span_end = start, end
    for condition in rule.require:
        found = _holds(doc, condition, start, end)
        if found is None:
            return None
        if condition.before is not None or condition.after is not None:
            # The flag shows the whole promise, 「保证…不会延期」, not just 「保证」.
            span_start, span_end = min(span_start, found[0]), max(span_end, found[1])
    for condition in rule.unless:
        if _holds(doc, condition, start, end) is not None:
            return None
    return Hit(rule, span_start, span_end, values)
