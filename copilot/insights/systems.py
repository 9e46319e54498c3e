"""Named systems in customer speech (``Insights.systems``): which catalogue entry, and the
part it plays — ``incumbent`` (run now), ``integration`` (must connect), ``competitor``
(weighed against us) or just ``mentioned``.

Matching, cheapest first: every spelling as written (Aho-Corasick over the lower-cased text
with spaces dropped, so 「Power BI」 and 「powerbi」 meet); then names with Chinese in them by
folded pinyin (金叠 -> 金蝶, 拥有U8 -> 用友U8), also one syllable off (金蝶云星光); then
English names read out as Chinese syllables (赞迪斯克 -> Zendesk, see ``transliteration``).
A misheard name of two Chinese characters, any name heard one syllable off or read out, and
an exact name that is also an ordinary word (浪潮, 石墨, Tower), counts only with software
context nearby (系统, 在用, 对接, words of its category such as 招聘 for an HR system, …);
a misheard one that is itself a common word (拥有, 支持) never does, and an ambiguous name
right after a surname is a person (李致远), so everyday speech stays quiet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from compliance.automaton import WordFinder
from copilot.insights.competitors import syllables
from copilot.insights.decision import pinyin_key
from copilot.insights.lexicon import compile_words
from copilot.insights.models import System, SystemRole
from copilot.insights.text import Segmenter
from copilot.insights.transliteration import ReadingIndex, consonants, heard_key
from copilot.insights.vendors import CatalogueEntry, ContextCues, RoleCues, squash
from copilot.insights.words import cuts_word, frequency, is_place

_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGITS = dict(zip("零一二三四五六七八九", "0123456789", strict=True))
# A spelling written out is dropped only inside a common word (八百客户, 钉钉子); a misheard
# one already when the pair is any dictionary word (销售议价).
_LITERAL_BOUNDARY_FREQ = 200
_PARTICLES_AFTER = "上里中内的了呢吗吧啊呀"
_QUESTION_PARTICLES = "吗呢吧啊呀嘛"
# What may end a verb of use before a name (用的是, 上了): see ``_verb_before``.
_VERB_ENDINGS = "的是了着"
# A Latin word that may be a product's name: letters (digits after the first), a dotted
# domain ending (monday.com); words in a row of three or more are an English phrase.
_LATIN_WORD = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9]*(?:\.(?:com|io|ai|cn))?(?![A-Za-z0-9])"
)
_ENGLISH_PHRASE = re.compile(r"[A-Za-z]+(?:[ ,'-]+[A-Za-z]+){2,}")
# Hesitation between a verb and the name it governs (用的是…呃…金蝶): pauses and fillers.
_HESITATION = re.compile(r"(?:[…\s—]|\.\.\.|嗯|呃|额|那个)+$")
_SOUNDALIKE_BOUNDARY_FREQ = 10
# A three-character word this common ending at a misheard name's first character holds it;
# the pair check above sees only two characters (务器 is no word, 服务器 is).
_LONG_WORD_FREQ = 100
# A read-out name (赞迪斯克) spans 2 to 6 characters and holds no common word (系统, 时候).
_READING_CHARS = (2, 6)
_PLACE_WORD_FREQ = 100
# A three-character name heard exactly in sound counts without context unless a word this
# common is inside (七月所 for 契约锁: 七月).
_GARBLED_INNER_FREQ = 100
_GRAMMAR_CHARS = "的地得了着过是在和与也都就吗呢吧啊呀"
_NAME_WORD_FREQ = 100
# Two transliteration characters that make a word this common are that word, not part of a
# name read out: 400 lets 克拉 (391) begin 克拉斯 (Class); 600 also let 夸特 in, and two
# corpus lines named a system in everyday words (保安签 as ProcessOn).
_READING_INNER_FREQ = 400
_READING_WORD_FREQ = 20
# Folded pinyin initials, longest first, to tell whether two syllables are close.
_PINYIN_INITIALS = ("z", "c", "s", "b", "p", "m", "f", "d", "t", "l", "g", "k", "h", "j", "q",
                    "x", "r", "y", "w")  # fmt: skip
# Role strength: a call keeps the strongest role said of a system.
ROLE_STRENGTH: dict[SystemRole, int] = {
    "competitor": 3,
    "integration": 2,
    "incumbent": 1,
    "mentioned": 0,
}


def merge_systems(systems: Iterable[System]) -> list[System]:
    """One entry per system, in the order first named: the mention with the strongest role
    said of it (competitor > integration > incumbent > mentioned; the first of equals), so
    its evidence, the words heard and who read the role (``source``, ``confidence``) are
    those of the role it reports. Mentions of one utterance merge so, as do a call's."""
    merged: dict[str, System] = {}
    for system in systems:
        known = merged.get(system.name)
        if known is None or ROLE_STRENGTH[system.role] > ROLE_STRENGTH[known.role]:
            merged[system.name] = system  # a known key keeps its place in the order
    return list(merged.values())


@dataclass(frozen=True)
class SystemHit:
    system: CatalogueEntry
    start: int
    end: int
    heard: str
    # Needs software context nearby to count (an ambiguous word, a misheard short name).
    needs_context: bool = False
    heard_wrong: bool = False
    # Only words of its own kind confirm it (招聘 for 魔卡 -> Moka): a read-out name of two
    # consonants sounds like too many ordinary words for 系统 or 用 to be enough.
    narrow: bool = False
    # Heard with one syllable off (下管家 for 校管家): a name sounding exactly like the same
    # words (管家泼 for 管家婆) is the likelier reading.
    syllable_off: bool = False
    # A Latin name the catalogue lacks, reported as written (Procore).
    unknown: bool = False


class Found(NamedTuple):
    hits: list[SystemHit]
    # Ambiguous or misheard names without software context: ordinary words (画个红圈).
    unconfirmed: list[SystemHit]
    # Later mentions of a name already in ``hits``: what is said there counts for its role
    # (我们全员用飞书，商机提醒必须推到飞书群里: an integration).
    again: tuple[SystemHit, ...] = ()


@dataclass(frozen=True)
class _Spelling:
    key: str
    system: CatalogueEntry
    sound: tuple[str, ...]
    cjk: int  # Chinese characters in the spelling


class _View:
    """The text lower-cased with whitespace dropped, and where each character came from."""

    def __init__(self, text: str, pauses: frozenset[int] = frozenset()) -> None:
        # Where a transcript paused: no word runs across these (Segmenter.pauses).
        self.pauses = pauses
        kept = [(i, ch.lower() if ch.isascii() else ch) for i, ch in enumerate(text)]
        kept = [(i, ch) for i, ch in kept if not ch.isspace()]
        # A model number spoken as Chinese numerals reads as written (G七 -> g7, U八 -> u8).
        in_model = False
        for k, (i, ch) in enumerate(kept):
            if in_model and ch in _DIGITS:
                kept[k] = (i, _DIGITS[ch])
            else:
                in_model = ch.isascii() and ch.isalpha()
        self.positions = [i for i, _ in kept]
        self.text = "".join(ch for _, ch in kept)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of view[start:end]."""
        return self.positions[start], self.positions[end - 1] + 1


class SystemMatcher:
    def __init__(self, systems: Sequence[CatalogueEntry], cues: ContextCues) -> None:
        self._cues = cues
        self._spellings: dict[str, _Spelling] = {}
        self._by_sound: dict[str, list[_Spelling]] = {}
        # Sounds with one syllable wild (纷享*客) -> names of three or more characters.
        self._one_off: dict[tuple[str, ...], list[_Spelling]] = {}
        for system in systems:
            for spelling in system.spellings:
                key = squash(spelling)
                if not key or key in self._spellings:
                    continue
                sound = tuple(syllables(key))
                item = _Spelling(key, system, sound, len(_CJK.findall(key)))
                self._spellings[key] = item
                if key in system.written_only:
                    continue
                # Names with Chinese in them, also after the digits recognition writes for a
                # numeral (800客 heard 800克).
                if (item.cjk >= 2 and _CJK.match(key)) or (item.cjk and key[0].isdigit()):
                    self._by_sound.setdefault(sound[0], []).append(item)
                if item.cjk == len(key) >= 3:
                    for k in range(_stem(key, cues.generic_endings), len(sound)):
                        wild = (*sound[:k], "*", *sound[k + 1 :])
                        self._one_off.setdefault(wild, []).append(item)
        # Every spelling, found in one pass over an utterance (all of them, overlapping).
        self._automaton = WordFinder(self._spellings)
        self._items = tuple(self._spellings.values())
        for bucket in self._by_sound.values():
            bucket.sort(key=lambda item: len(item.sound), reverse=True)
        self._one_off_lengths = sorted({len(wild) for wild in self._one_off})
        self._readings = ReadingIndex(
            (
                (spelling, system)
                for system in systems
                for spelling in system.spellings
                # English brands only: a Chinese maker's romanisation (Yonyou) is said in
                # Chinese, and its pinyin is matched already.
                if spelling.isascii() and system.name.isascii()
            ),
            cues.spoken_tails,
        )
        self._not_in_names = frozenset(cues.not_in_names)
        self._transliteration_chars = frozenset(cues.transliteration_chars)
        self._surnames = frozenset(cues.surnames)
        self._place_before = re.compile(f"(?:{compile_words(list(cues.place_before)).pattern})$")
        self._place_after = compile_words(list(cues.place_after)) if cues.place_after else None
        self._nearby = compile_words(list(cues.nearby))
        before = compile_words(list(cues.before))
        self._false_friends = (
            compile_words(list(cues.false_friends)) if cues.false_friends else None
        )
        # A verb right before the name, perhaps with 的是/了 (用的是丁丁, 用的都是红圈), not
        # 用户有赞.
        self._verb_before = re.compile(
            f"(?:{before.pattern})(?:的(?:都|也|还|一直|全)?是|[{_VERB_ENDINGS}])?$"
        )
        lead = f"(?:{compile_words(list(cues.after_lead)).pattern})?" if cues.after_lead else ""
        self._verb_after = (
            re.compile(f"{lead}(?:{compile_words(list(cues.after)).pattern})")
            if cues.after
            else None
        )
        self._joiners = frozenset(cues.joiners)
        self._not_products = frozenset(word.lower() for word in cues.not_products)
        kinds = [word for word in cues.nearby if word.isascii() and word.isupper()]
        self._own_context = {
            system.name: compile_words(words)
            for system in systems
            if (
                words := [
                    *system.context,
                    *cues.by_category.get(system.category, ()),
                    *_kinds_named(system, kinds),
                ]
            )
        }

    def find(self, segmenter: Segmenter) -> Found:
        """Systems named in the text, in order, at most once each; and the ordinary words
        that only look like one (for the competitor rules to skip too)."""
        text = segmenter.text
        view = _View(text, segmenter.pauses)
        if not view.text:
            return Found([], [])
        literal = self._literal(text, view)
        heard = self._soundalikes(text, view) + self._one_syllable_off(text, view)
        # A read-out name never overrides a Chinese name, written or heard: it fills gaps.
        heard += [
            hit
            for hit in self._readings_in(text, view)
            if not any(_overlap(hit, h) for h in (*literal, *heard))
        ]
        known = literal + heard
        # A Latin word run on to a known name is its edition (华为云Stack, 东华iMedical).
        unknown = [
            h
            for h in self._unknown_latin(text)
            if not any(_overlap(h, k) or h.start == k.end or h.end == k.start for k in known)
        ]
        candidates = [
            hit
            for hit in known + unknown
            if not self._cuts_false_friend(text, hit) and not self._is_person(text, hit)
        ]
        # Context first, so that a word without it (是魔 for 石墨) does not hide a name next to it.
        sure = [hit for hit in candidates if not hit.needs_context]
        confirmed, unconfirmed = [], []
        of_kind: set[int] = set()  # ids of names confirmed by words of their own kind
        for hit in candidates:
            if not hit.needs_context:
                confirmed.append(hit)
                continue
            around = self._around(segmenter, hit)
            if self._kind_near(hit, around):
                confirmed.append(hit)
                of_kind.add(id(hit))
            elif self._has_context(segmenter, hit, sure, around):
                confirmed.append(hit)
            else:
                unconfirmed.append(hit)
        # A name joined to a confirmed one (用Zoom和Slack) is named in the same breath.
        joined = [hit for hit in unconfirmed if self._joined(text, hit, confirmed)]
        confirmed += joined
        unconfirmed = [hit for hit in unconfirmed if hit not in joined]
        # Longest wins where spellings overlap (金蝶云星空 over 金蝶, 金叠云星空 over 云星空), a
        # spelling as written over a misheard one of the same length, one that sounds exactly
        # alike over one a syllable off, a sure one over one that needed context, and of those
        # that needed it, one whose kind the words around speak of (仿真用的安西斯: Ansys, not
        # IQVIA).
        confirmed.sort(
            key=lambda h: (
                h.start - h.end,
                h.heard_wrong,
                h.syllable_off,
                h.needs_context,
                h.needs_context and id(h) not in of_kind,
                h.start,
            )
        )
        kept: list[SystemHit] = []
        for candidate in confirmed:
            if not any(_overlap(candidate, h) for h in kept):
                kept.append(candidate)
        unconfirmed = [hit for hit in unconfirmed if not any(_overlap(hit, h) for h in kept)]
        seen: set[str] = set()
        ordered, again = [], []
        for hit in sorted(kept, key=lambda h: h.start):
            if hit.system.name not in seen:
                seen.add(hit.system.name)
                ordered.append(hit)
            else:
                again.append(hit)
        # An unknown Latin word left unconfirmed says nothing of the catalogue's names.
        return Found(ordered, [hit for hit in unconfirmed if not hit.unknown], tuple(again))

    def _cuts_false_friend(self, text: str, hit: SystemHit) -> bool:
        if self._false_friends is None:
            return False
        low = max(0, hit.start - 3)
        for match in self._false_friends.finditer(text, low, min(len(text), hit.end + 3)):
            inside = hit.start <= match.start() and match.end() <= hit.end
            if not inside and match.start() < hit.end and hit.start < match.end():
                return True
        return False

    def _literal(self, text: str, view: _View) -> list[SystemHit]:
        found: list[tuple[int, int, _Spelling]] = []
        for index, first, after in self._automaton.find(view.text):
            item = self._items[index]
            start, end = view.span(first, after)
            if item.key[0].isascii() and item.key[0].isalnum() and _alnum_at(text, start - 1):
                continue
            if item.key[-1].isascii() and item.key[-1].isalnum() and _alnum_at(text, end):
                continue
            if _CJK.match(item.key[0]) and _cuts_word(
                text, start, end, _LITERAL_BOUNDARY_FREQ, pauses=view.pauses
            ):
                continue
            found.append((start, end, item))
        return [
            SystemHit(
                item.system,
                start,
                end,
                text[start:end],
                item.key in item.system.ambiguous or _spaced_lowercase(text[start:end]),
                narrow=item.system.category in self._cues.narrow_categories,
            )
            for start, end, item in found
        ]

    def _unknown_latin(self, text: str) -> list[SystemHit]:
        """Latin words the catalogue does not hold that look like a product's name: four
        letters or more in mixed case (Procore, iManage, XTools; not DCS, not policy),
        outside English phrases and :attr:`ContextCues.not_products`. Each needs software
        context, as an ambiguous name does, and is reported as written."""
        if not self._not_products:
            return []
        phrases = [(m.start(), m.end()) for m in _ENGLISH_PHRASE.finditer(text)]
        hits: list[SystemHit] = []
        for match in _LATIN_WORD.finditer(text):
            word = match.group()
            letters = [c for c in word.split(".")[0] if c.isalpha()]
            # Mixed case: a name (Procore, iManage, XTools); all capitals is an acronym (DCS),
            # all lower case the English of code-mixed speech (migration风险, total下来).
            if len(letters) < 4 or word.islower() or word.isupper():
                continue
            if word.lower() in self._not_products or squash(word) in self._spellings:
                continue
            if any(low <= match.start() and match.end() <= high for low, high in phrases):
                continue
            entry = CatalogueEntry(name=word, category="other")
            hits.append(
                SystemHit(entry, match.start(), match.end(), word, needs_context=True, unknown=True)
            )
        return hits

    def _soundalikes(self, text: str, view: _View) -> list[SystemHit]:
        if not self._by_sound or not _CJK.search(view.text):
            return []
        sounds = syllables(view.text)
        hits: list[SystemHit] = []
        for at, first in enumerate(sounds):
            for item in self._by_sound.get(first, ()):
                last = at + len(item.sound)
                if tuple(sounds[at:last]) != item.sound:
                    continue
                heard_key = view.text[at:last]
                if heard_key == item.key or not all(
                    _CJK.match(h) for h, k in zip(heard_key, item.key, strict=True) if _CJK.match(k)
                ):
                    continue
                start, end = view.span(at, last)
                if self._everyday(text, start, end, heard_key, view.pauses, item.system):
                    continue
                # A software word is never a name heard wrong (选型 is no 绚星), nor is a
                # question ending in its particle (价格还能再谈吗 is no 探马).
                if self._nearby.fullmatch(heard_key) or heard_key[-1] in _QUESTION_PARTICLES:
                    continue
                # A short name heard wrong needs context, unless its own spelling carries it
                # (红全CRM); so does one of a name that is also a word (万一公司 for 网易公司),
                # and one heard wrong in most of its characters (有保障 for 友报账).
                wrong = sum(h != k for h, k in zip(heard_key, item.key, strict=True))
                carried = bool(self._nearby.search(item.key))
                needs = item.key in item.system.ambiguous or (
                    not carried
                    and (item.cjk <= 2 or bool(item.system.ambiguous) or wrong * 2 > item.cjk)
                    # Three or more characters that sound exactly like the name, unfolded,
                    # and hold no word (印相比迹, 减到云): nothing else is said so.
                    and not self._garbled_name(heard_key, item.key)
                )
                narrow = item.system.category in self._cues.narrow_categories
                hits.append(
                    SystemHit(item.system, start, end, text[start:end], needs, True, narrow)
                )
        return hits

    def _one_syllable_off(self, text: str, view: _View) -> list[SystemHit]:
        """Names of three or more Chinese characters heard with one syllable close but not
        equal (金蝶云星光: guang for kong is too far; 纷享消课 would pass on 课 for 客)."""
        if not self._one_off or not _CJK.search(view.text):
            return []
        sounds = syllables(view.text)
        hits: list[SystemHit] = []
        for at in range(len(sounds)):
            for length in self._one_off_lengths:
                window = tuple(sounds[at : at + length])
                if len(window) < length:
                    break
                for k in range(length):
                    wild = (*window[:k], "*", *window[k + 1 :])
                    for item in self._one_off.get(wild, ()):
                        heard = view.text[at : at + length]
                        if window == item.sound or not _close(window[k], item.sound[k]):
                            continue
                        wrong = sum(h != n for h, n in zip(heard, item.key, strict=True))
                        if wrong * 2 > length:
                            continue  # 一起定 is no 亿企赢: a name is mostly heard right
                        if not all(_CJK.match(ch) for ch in heard):
                            continue
                        start, end = view.span(at, at + length)
                        if self._everyday(text, start, end, heard, view.pauses):
                            continue
                        hits.append(
                            SystemHit(
                                item.system,
                                start,
                                end,
                                text[start:end],
                                needs_context=True,
                                heard_wrong=True,
                                syllable_off=True,
                            )
                        )
        return hits

    def _readings_in(self, text: str, view: _View) -> list[SystemHit]:
        """English names read out as Chinese syllables (沃克戴 -> Workday, 凡恩BI -> FineBI)."""
        if not self._readings or not _CJK.search(view.text):
            return []
        low, high = _READING_CHARS
        chars = view.text
        hits: list[SystemHit] = []
        for at, first in enumerate(chars):
            if not _CJK.match(first) or first in self._not_in_names:
                continue
            for end in range(at + low, min(len(chars), at + high) + 1):
                last = chars[end - 1]
                if not _CJK.match(last) or last in self._not_in_names:
                    break
                heard = chars[at:end]
                key = heard_key(heard)
                for reading, exact in self._readings.lookup(key):
                    tail_end = end + len(reading.tail)
                    if reading.tail and chars[end:tail_end] != reading.tail:
                        continue
                    # Run on into Latin letters it is part of a longer word (肖皮fy), unless
                    # they are a model number (泰门诺斯T24).
                    if (
                        not reading.tail
                        and _alnum_at(chars, end)
                        and not _MODEL_NUMBER.match(text, view.span(at, end)[1])
                    ):
                        continue
                    if not consonants(reading.key) <= len(heard) + 1 <= consonants(reading.key) + 3:
                        continue
                    start, stop = view.span(at, tail_end)
                    # A transcript's pause ends a read-out name (吉拉 工单 is no Preqin).
                    if any(start < pause < stop for pause in view.pauses):
                        continue
                    if self._common_inside(heard) or self._everyday(
                        text, start, view.span(at, end)[1], heard
                    ):
                        continue
                    styled_chars = sum(ch in self._transliteration_chars for ch in heard)
                    # 宕机, 您算: not written the way names are transliterated; with its
                    # letters after it (炮味BI) a name may be written any way.
                    if styled_chars * 2 <= len(heard) and not reading.tail:
                        continue
                    styled = styled_chars == len(heard)
                    sure = bool(reading.tail) or (
                        exact and consonants(key) >= 3 and len(heard) >= 3 and styled
                    )
                    narrow = consonants(reading.key) <= 2 and not reading.tail
                    hits.append(
                        SystemHit(
                            reading.item, start, stop, text[start:stop], not sure, True, narrow
                        )
                    )
        # Part of a longer read-out name is no name of its own (利沃克斯 in 索利沃克斯).
        return [
            hit
            for hit in hits
            if not any(
                o.start <= hit.start and hit.end <= o.end and o.end - o.start > hit.end - hit.start
                for o in hits
            )
        ]

    def _garbled_name(self, heard: str, key: str) -> bool:
        """Whether ``heard`` is ``key`` heard exactly (toneless pinyin, no confusion folded)
        where no ordinary words are said: four or more characters that are no word together
        (印相比迹 for 印象笔记), or three with no common word inside (减到云 for 简道云; 有保障
        for 友报账 holds 保障, 七月所 holds 七月)."""
        if len(key) < 3 or len(heard) != len(key) or not all(_CJK.match(ch) for ch in heard):
            return False
        if frequency(heard) or any(
            pinyin_key(h) != pinyin_key(k) for h, k in zip(heard, key, strict=True)
        ):
            return False
        # A particle heard for one of the name's characters is grammar (五十万的信息化: no 万得).
        if any(h != k and h in _GRAMMAR_CHARS for h, k in zip(heard, key, strict=True)):
            return False
        return len(heard) >= 4 or not any(
            frequency(heard[i : i + 2]) >= _GARBLED_INNER_FREQ for i in range(len(heard) - 1)
        )

    def _common_inside(self, heard: str) -> bool:
        """A word inside: common (单子), or any dictionary word not written with
        transliteration characters (纸质); 塞尔 or 拉克 are how names are spelt."""
        for i in range(len(heard) - 1):
            pair = heard[i : i + 2]
            styled = all(ch in self._transliteration_chars for ch in pair)
            if frequency(pair) >= (_READING_INNER_FREQ if styled else _READING_WORD_FREQ):
                return True
        return False

    def _is_person(self, text: str, hit: SystemHit) -> bool:
        """A two-character (or ambiguous) Chinese name right after a surname that starts no
        word, with either: someone's given name (叫李致远, 刘卫宁), not the vendor; 浙江用友
        is still 用友 (江 ends 浙江)."""
        if hit.start == 0 or not _CJK.match(hit.heard[0]):
            return False
        if not hit.needs_context and len(hit.heard) != 2:
            return False
        surname = text[hit.start - 1]
        if surname not in self._surnames or frequency(surname + hit.heard[0]) >= _NAME_WORD_FREQ:
            return False
        return hit.start < 2 or frequency(text[hit.start - 2 : hit.start]) < _NAME_WORD_FREQ

    def _everyday(
        self,
        text: str,
        start: int,
        end: int,
        heard: str,
        pauses: frozenset[int] = frozenset(),
        system: CatalogueEntry | None = None,
    ) -> bool:
        """Whether misheard words are more likely ordinary speech: a common word on its own
        (拥有, 支持; 拥有U8 still counts), unless a verb of use stands right before it and
        words of the system's own kind near it (OA用的是范围，审批都在上面: 泛微); a place name
        (山东兰陵); the end of a verb of use (用的是极佳: no 石基); or cutting through a word
        (销售议价)."""
        # 山东兰陵 is a county, not 蓝凌 heard wrong; 兰陵EKP and 苏达5000 (速达) still are.
        if is_place(heard) and not _alnum_at(text, end):
            return True
        # 用的是极佳: the 是 ends the verb before it, it starts no name (是极 for 石基).
        if heard[0] in _VERB_ENDINGS and self._verb_before.search(
            text, max(0, start - 3), start + 1
        ):
            return True
        # A word with a model number after it (横生O32) is a name heard wrong, unless the
        # number is a name of its own (就是G7).
        model = _MODEL_NUMBER.match(text, end)
        numbered = (
            model is not None
            and _LETTER.search(model.group()) is not None
            and squash(model.group()) not in self._spellings
        )
        common = (
            all(_CJK.match(c) for c in heard)
            and frequency(heard) >= self._cues.max_word_frequency
            and not numbered
        )
        if common and not (system is not None and self._used_as(text, start, end, system, pauses)):
            return True
        # 用费书: the 用 is the verb before the name, not the start of 用费.
        verb = bool(self._verb_before.search(text, max(0, start - 3), start))
        word = text[max(0, start - 2) : start + 1]
        if len(word) == 3 and start - 1 not in pauses and frequency(word) >= _LONG_WORD_FREQ:
            return True  # 服务器与: the 器 ends a word of three characters (器与 is no 七鱼)
        return _cuts_word(text, start, end, _SOUNDALIKE_BOUNDARY_FREQ, left=not verb, pauses=pauses)

    def _used_as(
        self, text: str, start: int, end: int, system: CatalogueEntry, pauses: frozenset[int]
    ) -> bool:
        """A verb of use right before the span (no pause between: 够用了 就是 is no 九思) and
        words of the system's kind near it."""
        own = self._own_context.get(system.name)
        if own is None or start in pauses:
            return False
        if not self._verb_before.search(text, max(0, start - 6), start):
            return False
        window = self._cues.window
        around = text[max(0, start - window) : start] + "|" + text[end : end + window]
        return bool(own.search(around))

    def _placed(self, text: str, hit: SystemHit, low: int) -> bool:
        """在微盟上, 都在丁丁里: where work is kept; not 在华为上班 (上班 is a word)."""
        if self._place_after is None:
            return False
        if not self._place_before.search(text, max(low, hit.start - 3), hit.start):
            return False
        after = self._place_after.match(text, hit.end)
        if after is None:
            return False
        # The place word with what follows it: 上班 is a word; at the end of the text (都在丁丁里)
        # nothing follows.
        pair = text[after.end() - 1 : after.end() + 1]
        return len(pair) < 2 or frequency(pair) < _PLACE_WORD_FREQ

    def _joined(self, text: str, hit: SystemHit, confirmed: Sequence[SystemHit]) -> bool:
        """Whether a conjunction alone stands between the name and a confirmed one (of the
        same kind when the name was heard wrong)."""
        for other in confirmed:
            if _overlap(other, hit) or (
                hit.heard_wrong and other.system.category != hit.system.category
            ):
                continue
            between = (
                text[other.end : hit.start]
                if other.end <= hit.start
                else text[hit.end : other.start]
            )
            if between.strip() in self._joiners:
                return True
        return False

    def _around(self, segmenter: Segmenter, hit: SystemHit) -> str:
        """The words either side of a name, within its sentence and the window."""
        text = segmenter.text
        sentence = segmenter.sentence(hit.start)
        low = max(sentence.start, hit.start - self._cues.window)
        high = min(sentence.end, hit.end + self._cues.window)
        return text[low : hit.start] + "|" + text[hit.end : high]

    def _kind_near(self, hit: SystemHit, around: str) -> bool:
        """Words of the system's own kind around it (招聘 for Moka, 仿真 for Ansys)."""
        own = self._own_context.get(hit.system.name)
        return own is not None and own.search(around) is not None

    def _has_context(
        self, segmenter: Segmenter, hit: SystemHit, confirmed: Sequence[SystemHit], around: str
    ) -> bool:
        """Software words in ``around`` (:meth:`_around`), a verb such as 用/上了 just before
        the name, or another system named for sure in the same sentence; words of the name's
        own kind are looked for first, in :meth:`find`."""
        text = segmenter.text
        sentence = segmenter.sentence(hit.start)
        # A product code right after the name (兰陵EKP, 志远A8, 金碟K三): names of software,
        # not of places or people, take a Latin model number.
        if _CJK.search(hit.heard) and _product_code_at(text, hit.end):
            return True
        # A version number right after it (ECC 6.0, K3 13.1): software.
        if _VERSION.match(text, hit.end):
            return True
        if hit.narrow:
            return False
        if self._nearby.search(around):
            return True
        if self._verb_before.search(text, max(sentence.start, hit.start - 6), hit.start):
            return True
        # The same across hesitation, which may end a sentence (用的是…浪…浪潮的).
        lead = _before_hesitation(text, hit.start, hit.heard)
        if lead < hit.start and self._verb_before.search(text, max(0, lead - 6), lead):
            return True
        if self._verb_after is not None and self._verb_after.match(text, hit.end):
            return True
        if self._placed(text, hit, sentence.start):
            return True
        # Another system named for sure in the sentence; for a name heard wrong, one of the
        # same kind (用友和金叠, not Salesforce near 难另).
        return any(
            not _overlap(other, hit)
            and sentence.start <= other.start < sentence.end
            and (not hit.heard_wrong or other.system.category == hit.system.category)
            for other in confirmed
        )


class RoleReader:
    """The role of a named system from the words of its clause."""

    def __init__(self, cues: RoleCues) -> None:
        self._integration = compile_words(list(cues.integration))
        self._competitor = compile_words(list(cues.competitor))
        self._before = compile_words(list(cues.incumbent_before))
        self._after = compile_words(list(cues.incumbent_after))
        self._denied = compile_words(list(cues.not_incumbent_before))

    def role(
        self,
        segmenter: Segmenter,
        hit: SystemHit,
        listed: bool,
        named: Sequence[SystemHit] = (),
    ) -> SystemRole:
        """``listed``: the competitor rules report this system as a rival being considered;
        ``named``: every name found in the text, so that a request to connect in a clause of
        its own (用友YonBIP现在主推，你们能对接吗？) goes to the name said last before it."""
        text = segmenter.text
        clause = segmenter.clause(hit.start)
        rest = text[clause.start : hit.start] + "|" + text[hit.end : clause.end]
        later = self._said_after(segmenter, clause.end, hit, named)
        if self._integration.search(rest) or self._integration.search(later):
            return "integration"
        if self._incumbent(text, clause.start, clause.end, hit):
            return "incumbent"
        if (
            listed
            or hit.system.rival
            or self._competitor.search(rest)
            or self._competitor.search(later)
        ):
            return "competitor"
        return "mentioned"

    @staticmethod
    def _said_after(
        segmenter: Segmenter, clause_end: int, hit: SystemHit, named: Sequence[SystemHit]
    ) -> str:
        """The later clauses of the name's sentence (from ``clause_end``, where its own
        clause ends) when they name no system: what they say (你们能对接吗, 价格比你们低) is
        said of this one. Empty when another name follows."""
        sentence = segmenter.sentence(hit.start)
        if any(other is not hit and hit.end <= other.start < sentence.end for other in named):
            return ""
        return segmenter.text[clause_end : sentence.end]

    def _incumbent(self, text: str, low: int, high: int, hit: SystemHit) -> bool:
        # Hesitation may cut the clause before the name (我们用的是…金…金蝶): read across it.
        lead = _before_hesitation(text, hit.start, hit.heard)
        if lead < hit.start:
            low = min(low, max(0, lead - 8))
        before = text[max(low, lead - 8) : lead]
        after = text[hit.end : min(high, hit.end + 8)]
        if self._denied.search(text[low : hit.start]) or self._denied.search(after):
            return False
        return bool(self._before.search(before) or self._after.search(after))


def _before_hesitation(text: str, start: int, heard: str) -> int:
    """Where the words before a name end once hesitation is set aside: pauses, fillers and
    false starts of the name itself (浪…浪潮, 金…金蝶); ``start`` when there is none."""
    end = start
    while True:
        pause = _HESITATION.search(text, max(0, end - 8), end)
        if pause is not None and pause.start() < end:
            end = pause.start()
            continue
        false_start = next(
            (n for n in (2, 1) if n < len(heard) and text[max(0, end - n) : end] == heard[:n]),
            0,
        )
        if false_start and end < start:  # a false start stands before a pause, not at the name
            end -= false_start
            continue
        return end


def _stem(key: str, generic_endings: Sequence[str]) -> int:
    """Where a name's syllables may first be heard off: after a stem of two characters or
    fewer before a generic ending (太极|软件), else anywhere."""
    for ending in generic_endings:
        if key.endswith(ending) and len(key) - len(ending) <= 2:
            return len(key) - len(ending)
    return 0


def _cuts_word(
    text: str,
    start: int,
    end: int,
    min_frequency: int,
    left: bool = True,
    pauses: frozenset[int] = frozenset(),
) -> bool:
    """:func:`cuts_word`, except that a particle after the name (飞书上, 钉钉里) cuts nothing,
    nor does a word across a pause in a transcript (天才商龙 门店: no 龙门)."""
    right = text[end - 1 : end + 1]
    if len(right) == 2 and text[end] not in _PARTICLES_AFTER and end not in pauses:
        if frequency(right) >= min_frequency:
            return True
    # Only the left side now: cuts_word on the text cut right after the name.
    left = left and start not in pauses
    return left and cuts_word(text[:end], start, end, min_frequency, rebind_left=True)


_VERSION = re.compile(r"\s?[vV]?\d+(?:\.\d+)+(?![\d.]*[%％万元])")
# A model number after a name: 泰门诺斯T24, 横生O32 (letters optional).
_MODEL_NUMBER = re.compile(r"\s?[A-Z]{0,3}\d+(?![A-Za-z])")
_LETTER = re.compile(r"[A-Z]")
_PRODUCT_CODE = re.compile(r"\s?[A-Z]{1,4}[0-9一二三四五六七八九十]{0,3}(?![A-Za-z])")


def _product_code_at(text: str, index: int) -> bool:
    """A short upper-case code, maybe with a number, at ``index`` (EKP, A8, K3, K三)."""
    return _PRODUCT_CODE.match(text, index) is not None


def _kinds_named(system: CatalogueEntry, kinds: Sequence[str]) -> list[str]:
    """The kinds a system's own spellings end in (领星ERP, 金和OA): words of its kind."""
    return [k for k in kinds if any(len(s) > len(k) and s.endswith(k) for s in system.spellings)]


def _alnum_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isascii() and text[index].isalnum()


def _overlap(a: SystemHit, b: SystemHit) -> bool:
    return a is not b and a.start < b.end and b.start < a.end


def _spaced_lowercase(heard: str) -> bool:
    """「sales force」: English words written apart in lower case are ordinary words until
    context says otherwise; 「Sales Force」 or 「salesforce」 is the name."""
    return " " in heard and heard.isascii() and heard == heard.lower()


def _split(syllable: str) -> tuple[str, str]:
    initial = next((i for i in _PINYIN_INITIALS if syllable.startswith(i)), "")
    return initial, syllable[len(initial) :]


def _close(heard: str, name: str) -> bool:
    """Two folded syllables one consonant or one vowel apart (课/客 are equal already; 星光
    and 星空 are not close: both parts differ)."""
    (hi, hf), (ni, nf) = _split(heard), _split(name)
    return hi == ni or hf == nf
