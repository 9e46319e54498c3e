"""The decision chain: people (李总, 王董), roles (财务总监, 分管副院长), bodies (采购委员会,
设备科) and the order of approval when one is stated (先…然后…最后…).

A role said right before a name belongs to it (运营副总钱总 -> name 钱总, role 运营副总).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from copilot.insights.lexicon import DecisionLexicon
from copilot.insights.models import DecisionMaker, Evidence, MentionKind
from copilot.insights.text import Segmenter, expand
from copilot.insights.words import cuts_word, frequency

# 「价钱总是」, 「提高总体」: a surname whose left neighbour forms a common word with it is no
# surname. Common only: 「要钱总同意」 (要钱 is a word, but a rarer one) still finds 钱总.
_SURNAME_BOUNDARY_FREQ = 500
# The longest way of saying whose a decider is (隔壁那家厂的).
_WHOSE_REACH = 6
# How far after a name a greeting (王总您好) or a disclaimer (也就是往上递个材料，说了不算)
# is read: both are short, and the rest of a long text need not be copied for each name.
_AFTER_REACH = 32
# How far before a title the words that make it one in name only may start (我虽说挂个副总).
_CONCESSION_REACH = 6
# How far before a bare body the words that make it act may start (拿主意的还是总部).
_ACT_BEFORE_REACH = 8
# Bodies found by suffix (「…委员会」) may have swallowed a preposition in front.
_LEADING_FUNCTION_CHARS = "由让跟找给等被把和与的是要经过报交在向个得"


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    text: str
    kind: MentionKind
    rank: int  # which wins when two mentions overlap: explicit before pattern-found
    bureau: bool = False  # a government bureau: counts only in a sentence about deciding

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class DecisionReading:
    """The customer's decision chain in a text, and whether it named deciders of another
    company's instead, the seller's (「你回去跟你们领导申请一下」) or a third's (供应商的老板): then
    nobody of the customer's is meant by them."""

    chain: list[DecisionMaker]
    others_named: bool = False


class DecisionChainExtractor:
    def __init__(self, lexicon: DecisionLexicon) -> None:
        self._lex = lexicon
        titles = []
        for title in sorted(lexicon.person_titles, key=len, reverse=True):
            blocked = lexicon.title_blocklist_after.get(title, ())
            guard = f"(?!{'|'.join(map(re.escape, blocked))})" if blocked else ""
            titles.append(re.escape(title) + guard)
        surnames = "|".join(map(re.escape, sorted(lexicon.surnames, key=len, reverse=True)))
        self._person = re.compile(f"(?:{surnames})(?:{'|'.join(titles)})")
        self._title = re.compile("|".join(titles))
        # Speech recognition writes a name by its sound: 「运营副总前总」 for 钱总. Right after a
        # role, a non-surname with a surname's sound before a title is read as that surname
        # (the most common one with the sound: the lexicon lists surnames common first).
        self._surnames = frozenset(lexicon.surnames)
        self._surname_by_sound: dict[str, str] = {}
        for surname in lexicon.surnames:
            self._surname_by_sound.setdefault(pinyin_key(surname), surname)
        modifiers = _words(lexicon.role_modifiers)
        self._role = re.compile(
            rf"(?<![A-Za-z])(?:(?:{modifiers})(?:{_words(lexicon.role_cores)})"
            rf"|(?:{_words(lexicon.role_strong)})(?!办公会)"
            # 矿长办公会 is a body (the suffix pattern's), not the head before it.
            rf"|(?:{_words(lexicon.site_heads)})(?!办公会))(?![A-Za-z])"
        )
        self._body = re.compile(_words(lexicon.bodies))
        self._body_suffix = re.compile(lexicon.body_suffix_pattern)
        self._bare_body = re.compile(rf"(?<![A-Za-z]){_words(lexicon.bare_bodies)}(?![A-Za-z])")
        # 「(?!)」 never matches: no bureaus without a pattern.
        self._bureau = re.compile(lexicon.bureau_pattern or "(?!)")
        self._acts_after = re.compile(lexicon.bare_body_act_after)
        self._acts_before = re.compile(lexicon.bare_body_act_before)
        self._weak = tuple(lexicon.weak_titles)
        self._clause_titles = tuple(lexicon.clause_titles)
        self._strong = tuple(lexicon.role_strong)
        self._site_heads = tuple(lexicon.site_heads)
        self._deciding = re.compile(expand(lexicon.decision_context))
        self._sequence = re.compile(lexicon.sequence_markers)
        self._greeting = re.compile(lexicon.greeting_after)
        self._others = re.compile(lexicon.others_before or "(?!)")
        self._disclaimed = re.compile(lexicon.disclaimed_after or "(?!)")
        self._conceded = re.compile(lexicon.conceded_before or "(?!)")
        self._pair_gap = re.compile(lexicon.pair_gap)
        self._collective = tuple(lexicon.collective_body_endings)

    def read(self, segmenter: Segmenter, utterance_id: str | None) -> DecisionReading:
        text = segmenter.text
        mentions = _resolve_overlaps(self._mentions(text))
        others = [m for m in mentions if self._another_company_s(text, m)]
        mentions = [m for m in mentions if m not in others and self._counts(segmenter, m)]
        ordered = len(self._sequence.findall(text)) >= 2 and len(mentions) >= 2
        chain: list[DecisionMaker] = []
        seen: set[str] = set()
        i = 0
        while i < len(mentions):
            mention, role = mentions[i], None
            following = mentions[i + 1] if i + 1 < len(mentions) else None
            if following is not None and self._pairs(text, mention, following):
                # 运营副总钱总 / 设备科的张主任: the role or body goes with the person after it.
                mention, role, i = following, mention.text, i + 1
            elif mention.kind == "role":
                role = mention.text
            i += 1
            if mention.text in seen:
                continue
            seen.add(mention.text)
            chain.append(
                DecisionMaker(
                    name=mention.text,
                    role=role,
                    kind=mention.kind,
                    evidence=Evidence(
                        utterance_id=utterance_id, text=segmenter.sentence_text(mention.start)
                    ),
                )
            )
        if ordered:
            for position, person in enumerate(chain, 1):
                person.order = position
        return DecisionReading(chain, others_named=bool(others))

    def _another_company_s(self, text: str, mention: _Mention) -> bool:
        """Named as the listener's (你们领导) or another company's (供应商的老板): not a decider of
        the customer's."""
        return bool(self._others.search(text, max(0, mention.start - _WHOSE_REACH), mention.start))

    def _mentions(self, text: str) -> list[_Mention]:
        found: list[_Mention] = []
        for match in self._person.finditer(text):
            start, end = match.span()
            if cuts_word(text, start, start + 1, _SURNAME_BOUNDARY_FREQ):
                continue
            if start and frequency(text[start - 1 : end]):
                continue  # the end of a word: 城管局 and 工商局 are no Director 管 or 商
            found.append(_Mention(start, end, match.group(), "person", 3))
        for match in self._role.finditer(text):
            found.append(_Mention(match.start(), match.end(), match.group(), "role", 2))
            heard = self._misheard_person(text, match.end())
            if heard is not None:
                found.append(heard)
        for match in self._body.finditer(text):
            found.append(_Mention(match.start(), match.end(), match.group(), "body", 2))
        for match in self._body_suffix.finditer(text):
            start = match.start()
            while start < match.end() - 3 and text[start] in _LEADING_FUNCTION_CHARS:
                start += 1
            found.append(_Mention(start, match.end(), text[start : match.end()], "body", 1))
        for match in self._bare_body.finditer(text):
            if self._acts(text, match.start(), match.end()):
                found.append(_Mention(match.start(), match.end(), match.group(), "body", 0))
        for match in self._bureau.finditer(text):
            if self._acts(text, match.start(), match.end()):
                found.append(
                    _Mention(match.start(), match.end(), match.group(), "body", 0, bureau=True)
                )
        return found

    def _acts(self, text: str, start: int, end: int) -> bool:
        """A bare body or bureau doing something in the chain (局里批, 报县应急局审批)."""
        return bool(
            self._acts_after.match(text[end:])
            or self._acts_before.search(text[max(0, start - _ACT_BEFORE_REACH) : start])
        )

    def _misheard_person(self, text: str, start: int) -> _Mention | None:
        if start >= len(text) or text[start] in self._surnames:
            return None
        surname = self._surname_by_sound.get(pinyin_key(text[start]))
        title = self._title.match(text, start + 1) if surname else None
        if surname is None or title is None:
            return None
        return _Mention(start, title.end(), surname + title.group(), "person", 3)

    def _counts(self, segmenter: Segmenter, mention: _Mention) -> bool:
        text = segmenter.text
        after = text[mention.end : mention.end + _AFTER_REACH]
        if self._greeting.match(after):
            return False  # 王总您好: the person being spoken to
        if self._disclaimed.match(after) or self._conceded.search(
            text, max(0, mention.start - _CONCESSION_REACH), mention.start
        ):
            return False  # 总经理也就是往上递个材料，说了不算: who does not decide
        if mention.bureau or mention.text.endswith(self._clause_titles):
            unit = (
                segmenter.clause(mention.start)
                if mention.kind == "person"
                else segmenter.sentence(mention.start)
            )
            return bool(self._deciding.search(text, unit.start, unit.end))
        weak = mention.text.endswith(self._weak) and not mention.text.endswith(self._strong)
        if weak or (mention.kind != "person" and mention.text.endswith(self._site_heads)):
            sentence = segmenter.sentence(mention.start)
            return bool(self._deciding.search(text, sentence.start, sentence.end))
        return True

    def _pairs(self, text: str, first: _Mention, second: _Mention) -> bool:
        if first.kind == "person" or second.kind != "person":
            return False
        gap = text[first.end : second.start]
        # A body is someone's department only when attached (设备科的张主任); after a comma
        # it is a second decider (要上院长办公会，林院长还…). A gathering (院长办公会, 董事会)
        # or a party (投资方, 管理层) is nobody's department: recognised speech often drops
        # the comma (要上院长办公会林院长还…).
        if first.kind == "body" and (
            gap.strip() not in ("", "的") or first.text.endswith(self._collective)
        ):
            return False
        return bool(self._pair_gap.match(gap))


@lru_cache(maxsize=4096)
def pinyin_key(char: str) -> str:
    """The toneless reading of one character (its first reading)."""
    return lazy_pinyin(char)[0]


def _words(words: tuple[str, ...]) -> str:
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))


def _resolve_overlaps(mentions: list[_Mention]) -> list[_Mention]:
    """Keep the best of overlapping mentions: the explicit over the pattern-found, then the
    longer (财务总监 over 财务), then the person over the role."""
    best: list[_Mention] = []
    ranked = sorted(mentions, key=lambda m: (-min(m.rank, 2), -m.length, -m.rank, m.start))
    for mention in ranked:
        if all(mention.end <= kept.start or kept.end <= mention.start for kept in best):
            best.append(mention)
    return sorted(best, key=lambda m: m.start)
