"""The corrector: recognised text in, text with the call's terms spelled right out.

Every run of Chinese characters (digits and Latin letters count) is read as syllables and
every window of two or more is compared with the lexicon's terms by a confusion-aware
syllable distance (:mod:`speech.correction.pinyin`). A close term replaces the window when
the words around agree (:mod:`speech.correction.context`); misheard price units and
surnames before titles have their own small rules.
"""

from __future__ import annotations

from collections.abc import Iterable

from speech.correction.context import ORDINARY_FREQ, Sentence, warm, word_freq
from speech.correction.edits import Corrected, Edit, apply
from speech.correction.lexicon import Lexicon, Term, Variant
from speech.correction.numbers import UnitCorrector
from speech.correction.pinyin import Unit, fold, syllable_cost, units
from speech.correction.titles import TitleCorrector
from speech.normalize import to_simplified

MIN_CONFIDENCE = 0.75
# Evidence added to the sound's similarity: cue words near the span, a term of this call.
CONTEXT_BONUS = 0.1
CALL_TERM_BONUS = 0.05
# A garbled span is replaced by a term at least this close; by a shipped (not the call's
# own) term only at the second figure.
MIN_SIMILARITY = 0.6
MIN_SIMILARITY_GENERIC = 0.9
# A cue word of two characters or more this close to the span (characters between)
# counts once more.
NEAR_CHARS = 1
# A heard word this many times commoner than the term it sounds like is what was said.
HOMOPHONE_RATIO = 5
# Terms passed in for a call weigh this much; built-in ones 1.
CALL_WEIGHT = 2.0
# A call's own name this long may replace ordinary words that sound nearly like it.
OWN_NEAR_SYLLABLES = 4
# No heard syllable may be further than this from the term's, but for one of a two-syllable
# term whose other syllable was heard exactly, with cue words (选皮 -> 审批 near 流程).
MAX_SYLLABLE_COST = 0.5
# Numbers are heard well: a numeral is never replaced by something else (打七 is no 账期).
_NUMERALS = set("零一二两三四五六七八九十百千万亿")


class Corrector:
    """Corrects one call's recognised text towards its lexicon. Thread-safe, no state."""

    def __init__(self, lexicon: Lexicon | None = None, *, min_confidence: float = MIN_CONFIDENCE):
        self.lexicon = lexicon if lexicon is not None else Lexicon.builtin()
        self.min_confidence = min_confidence
        self._units = UnitCorrector()
        self._titles = TitleCorrector()
        warm()

    def with_terms(self, terms: Iterable[Term]) -> Corrector:
        """A corrector for one call: this one's lexicon plus the call's own terms."""
        return Corrector(self.lexicon.extended(terms), min_confidence=self.min_confidence)

    def for_call(self, terms: Iterable[Term] = (), hotwords: Iterable[str] = ()) -> Corrector:
        """A call's corrector: its hotwords as words of the call, then its own terms."""
        return self.with_terms([*call_terms(words=hotwords), *terms])

    def correct(self, text: str, *, partial: bool = False) -> Corrected:
        """``partial``: provisional text, replaced within a second; only terms that sound
        exactly alike and exact unit patterns, so that it stays cheap."""
        sentence = Sentence(text)
        # Terms spelled right: no edit changes them (found once, for every window too).
        protected = self.lexicon.spelled_spans(text)
        candidates = [
            *self._term_edits(sentence, protected, partial),
            *self._units.edits(sentence, partial=partial),
            *self._titles.edits(
                sentence,
                self.lexicon.surnames(),
                addressed=self.lexicon.addressed(),
                partial=partial,
            ),
        ]
        accepted = [
            e
            for e in candidates
            if e.confidence >= self.min_confidence
            and not any(_touches(e, p_start, p_end) for p_start, p_end in protected)
            # Traditional characters are the recogniser's normaliser's business, not ours.
            and to_simplified(e.raw) != e.replacement
        ]
        return apply(text, accepted) if accepted else Corrected(text, text, [])

    def _term_edits(
        self, sentence: Sentence, protected: list[tuple[int, int]], partial: bool
    ) -> list[Edit]:
        edits: list[Edit] = []
        longest = self.lexicon.longest
        for run in units(sentence.text):
            heard = [u.sound for u in run]
            folded = [u.sound if u.latin else fold(u.sound) for u in run]
            for first in range(len(run)):
                for size in range(2, min(longest, len(run) - first) + 1):
                    edit = self._best_for_window(
                        sentence,
                        run[first : first + size],
                        heard[first : first + size],
                        tuple(folded[first : first + size]),
                        protected,
                        partial,
                    )
                    if edit is not None:
                        edits.append(edit)
        return edits

    def _best_for_window(
        self,
        sentence: Sentence,
        window: list[Unit],
        heard: list[str],
        folded: tuple[str, ...],
        protected: list[tuple[int, int]],
        partial: bool,
    ) -> Edit | None:
        lexicon = self.lexicon
        variants = lexicon.sounding_alike(folded) if partial else lexicon.sounding_near(folded)
        if not variants:
            return None
        start, end = window[0].start, window[-1].end
        raw = sentence.text[start:end]
        if sentence.cuts_word(start, end):
            return None
        # What is spelled right stays: only a longer term that keeps it in place
        # (院长半公会 -> 院长办公会) may take the span.
        spelled = [(i - start, j - start) for i, j in protected if start <= i and j <= end]
        chars = [sentence.text[u.start : u.end] for u in window]
        best: Edit | None = None
        for variant in variants:
            if spelled and not _keeps(variant.replacement, raw, spelled):
                continue
            similarity = _similarity(window, heard, chars, variant)
            if similarity is None or (partial and similarity < 1.0):
                continue
            confidence = self._confidence(sentence, start, end, heard, variant, similarity)
            if confidence is None or variant.replacement == raw:
                continue
            if best is None or confidence > best.confidence:
                best = Edit(start, end, raw, variant.replacement, variant.term.kind, confidence)
        return best

    def _confidence(
        self,
        sentence: Sentence,
        start: int,
        end: int,
        heard: list[str],
        variant: Variant,
        similarity: float,
    ) -> float | None:
        """How sure the span was meant as the term; ``None``: certainly not."""
        if similarity < MIN_SIMILARITY:
            return None
        term = variant.term
        cues = self._cues(sentence, start, end, term)
        own = term.weight >= CALL_WEIGHT
        costs = [syllable_cost(h, w) for h, w in zip(heard, variant.sounds, strict=True)]
        # One syllable far off is allowed only in a two-syllable term whose other syllable
        # was heard exactly, with two cue words, one right by it (走选皮流程 -> 审批).
        if max(costs) > MAX_SYLLABLE_COST and not (
            len(costs) == 2 and min(costs) == 0 and cues >= 3
        ):
            return None
        short = len(variant.sounds) < 3
        if sentence.is_ordinary(start, end):
            if not self._ordinary_may_change(sentence, start, end, variant, similarity, cues):
                return None
            score = similarity - CONTEXT_BONUS
        else:
            # A garbled span: close terms replace it; short or shipped ones only with cues.
            if not own and similarity < MIN_SIMILARITY_GENERIC and cues < 3:
                return None
            if short and not cues:
                return None
            score = similarity
        score += (CONTEXT_BONUS if cues else 0.0) + (CALL_TERM_BONUS if own else 0.0)
        return round(min(score, 1.0), 3)

    def _ordinary_may_change(
        self,
        sentence: Sentence,
        start: int,
        end: int,
        variant: Variant,
        similarity: float,
        cues: int,
    ) -> bool:
        """Plain Chinese that sounds like a term (油箱, 拥有8) changes only to the very same
        syllables, and only with cue words (or as a long name of this very call)."""
        term = variant.term
        own = term.weight >= CALL_WEIGHT
        long_name = len(variant.sounds) >= 3
        raw = sentence.text[start:end]
        if similarity < 1.0 or variant.penalty:
            # A long name of this call heard a little off, in words that make no word
            # together (学校党委婚 for 学校党委会); 院长办公室 is too far from 院长办公会.
            return (
                own
                and not variant.penalty
                and len(variant.sounds) >= OWN_NEAR_SYLLABLES
                and similarity >= MIN_SIMILARITY_GENERIC
                and word_freq(raw) < ORDINARY_FREQ
            )
        if raw in term.keep:
            return False
        heard_freq = word_freq(raw)
        if heard_freq >= ORDINARY_FREQ:
            # A word in its own right (油箱, 支持): far commoner than the term, it stays;
            # otherwise two cue words, or one for the call's own terms and long names.
            if heard_freq > HOMOPHONE_RATIO * max(word_freq(term.text), ORDINARY_FREQ):
                return own and long_name and cues > 0
            # Two real words sounding the same (上限/上线): two different cue words.
            distinct = self._cues(sentence, start, end, term, near_bonus=False)
            return distinct >= (1 if own or long_name else 2)
        if own:
            chinese = sum(1 for c in variant.chars if not c.isascii())
            return cues > 0 or chinese >= 3
        if term.kind == "vocab":
            # A sales word heard as characters that make no word (超过五万的和同要法务审):
            # two different cue words, as for two real words that sound the same; one for a
            # long word (他们和同价是 -> 合同价).
            distinct = self._cues(sentence, start, end, term, near_bonus=False)
            return distinct >= 2 or (long_name and cues > 0)
        # Short shipped names are too easily heard in function words (据我 is no 巨沃).
        return long_name and cues > 0

    def _cues(
        self, sentence: Sentence, start: int, end: int, term: Term, *, near_bonus: bool = True
    ) -> int:
        """Evidence from cue words near the span: one per distinct word, and one more when
        one stands right next to it (发到你油箱)."""
        found = sentence.cue_distances(start, end, set(self.lexicon.context_for(term)))
        # 用的 inside 用的是 is the same evidence.
        words = [w for w in found if not any(w != o and w in o for o in found)]
        near = any(len(w) > 1 and found[w] <= NEAR_CHARS for w in words)
        return len(words) + (1 if near and near_bonus else 0)


def _keeps(replacement: str, raw: str, spelled: list[tuple[int, int]]) -> bool:
    """``replacement`` leaves every term spelled right in ``raw`` as it is, in place."""
    return len(replacement) == len(raw) and all(replacement[i:j] == raw[i:j] for i, j in spelled)


def _touches(edit: Edit, start: int, end: int) -> bool:
    """Whether ``edit`` would change the term spelled right at ``[start, end)``: a longer
    term around it that keeps it in place (院长半公会 -> 院长办公会) leaves it as it is."""
    if edit.end <= start or end <= edit.start:
        return False
    inside = edit.start <= start and end <= edit.end
    return not (
        inside and _keeps(edit.replacement, edit.raw, [(start - edit.start, end - edit.start)])
    )


def _similarity(
    window: list[Unit], heard: list[str], chars: list[str], variant: Variant
) -> float | None:
    """1 for the same syllables, less by their distance; ``None``: a numeral would change."""
    cost = variant.penalty
    for unit, sound, char, wanted, wanted_char in zip(
        window, heard, chars, variant.sounds, variant.chars, strict=True
    ):
        if char in _NUMERALS and wanted_char != char:
            return None
        if unit.latin != (wanted_char.isascii() and wanted_char.isalpha()):
            return None  # letters match letters only (AI客 is no 爱客)
        if unit.latin:
            cost += 0.0 if sound == wanted else 1.0
        else:
            cost += syllable_cost(sound, wanted)
    return 1.0 - cost / len(heard)


def call_terms(
    *,
    people: Iterable[str] = (),
    customers: Iterable[str] = (),
    products: Iterable[str] = (),
    vendors: Iterable[str] = (),
    words: Iterable[str] = (),
) -> list[Term]:
    """Terms of one call from plain names, weighed as the call's own."""
    kinds = (
        ("person", people),
        ("customer", customers),
        ("product", products),
        ("vendor", vendors),
        ("vocab", words),
    )
    return [
        Term(name.strip(), kind, CALL_WEIGHT)  # type: ignore[arg-type]
        for kind, names in kinds
        for name in names
        if name and name.strip()
    ]
