"""The terms a call's text is corrected towards, indexed by how they sound."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain

from speech.correction import data
from speech.correction.data import TermKind
from speech.correction.pinyin import fold, sounds

# A spelling's Latin letters may go unheard (用友U8 said quickly is heard 拥有8): such a
# variant is matched, at this cost per dropped letter group, unless an alias spells it.
DROPPED_LATIN_COST = 0.3
MAX_UNITS = 8


@dataclass(frozen=True)
class Term:
    """A word recognition should spell right. ``aliases`` are further spellings, each
    corrected to itself; ``context`` words near a heard span show that the term was meant;
    ``keep``: words sounding the same that are right in their own right (订金 for 定金)."""

    text: str
    kind: TermKind = "vocab"
    weight: float = 1.0
    aliases: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Variant:
    """One way a term sounds, and what a span sounding like it becomes. Compared and
    hashed by identity: the look-ups count an index's own variants."""

    term: Term
    replacement: str
    sounds: tuple[str, ...]
    folded: tuple[str, ...]
    chars: tuple[str, ...]
    penalty: float = 0.0


@dataclass
class _Index:
    exact: dict[tuple[str, ...], list[Variant]] = field(default_factory=lambda: defaultdict(list))
    by_position: dict[tuple[int, int, str], list[Variant]] = field(
        default_factory=lambda: defaultdict(list)
    )
    spellings: set[str] = field(default_factory=set)
    surnames: dict[str, float] = field(default_factory=dict)
    longest: int = 0
    longest_spelling: int = 0
    # How the contacts are addressed: surname and title (韩总, 赵副校长).
    addressed: set[str] = field(default_factory=set)


def _variants(term: Term) -> list[Variant]:
    found: dict[tuple[str, ...], Variant] = {}
    for spelling in dict.fromkeys((term.text, *term.aliases)):
        units = sounds(spelling)
        if not any(not u.latin for u in units):
            continue  # nothing Chinese to hear: Latin names are left to the recogniser
        forms = [(units, 0.0)]
        spoken = [u for u in units if not u.latin]
        if len(spoken) < len(units) and len(spoken) >= 2:
            forms.append((spoken, DROPPED_LATIN_COST * sum(1 for u in units if u.latin)))
        for form, penalty in forms:
            key = tuple(u.sound for u in form)
            if not 2 <= len(key) <= MAX_UNITS:
                continue
            known = found.get(key)
            # The name's own spelling wins over an alias that sounds the same (用友8 -> 用友U8).
            if known is None or penalty < known.penalty:
                replacement = spelling if known is None else known.replacement
                chars = tuple(spelling[u.start : u.end] for u in form)
                found[key] = Variant(
                    term, replacement, key, tuple(fold(s) for s in key), chars, penalty
                )
    return list(found.values())


class Lexicon:
    """Terms by kind, with per-kind context words; build once, extend per call."""

    def __init__(
        self,
        terms: Iterable[Term] = (),
        kind_context: Mapping[TermKind, tuple[str, ...]] | None = None,
    ) -> None:
        self.kind_context: Mapping[TermKind, tuple[str, ...]] = dict(kind_context or {})
        self._terms: dict[str, Term] = {}
        self._index = _Index()
        self._add(terms)

    @classmethod
    def builtin(cls) -> Lexicon:
        """The shipped sales vocabulary (``speech/data/sales_vocabulary.yaml``)."""
        return _builtin()

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(self._terms.values())

    def extended(self, terms: Iterable[Term]) -> Lexicon:
        """A copy with more terms (a call's names): the shared index is copied, not rebuilt."""
        terms = [t for t in terms if t.text.strip()]
        if not terms:
            return self
        copy = Lexicon.__new__(Lexicon)
        copy.kind_context = self.kind_context
        copy._terms = dict(self._terms)
        index = self._index
        copy._index = _Index(
            defaultdict(list, {k: list(v) for k, v in index.exact.items()}),
            defaultdict(list, {k: list(v) for k, v in index.by_position.items()}),
            set(index.spellings),
            dict(index.surnames),
            index.longest,
            index.longest_spelling,
            set(index.addressed),
        )
        copy._add(terms)
        return copy

    def _add(self, terms: Iterable[Term]) -> None:
        index = self._index
        for term in terms:
            known = self._terms.get(term.text)
            if known is not None:
                # The same words typed (a contact also sent as a hotword, or learned by the
                # org as a plain word) say more than the plain word: a person's surname
                # before a title is corrected (德国总 -> 德郭总 with 董事长郭总).
                retyped = (
                    known.kind == "vocab" and term.kind != "vocab" and known.weight == term.weight
                )
                if known.weight >= term.weight and not retyped:
                    continue
                # A shipped name passed again for a call (a hotword) weighs more but keeps
                # what the lexicon knew of it: its kind, spellings and cues.
                if term.kind == "vocab":
                    term = Term(
                        known.text,
                        known.kind,
                        term.weight,
                        tuple(dict.fromkeys((*known.aliases, *term.aliases))),
                        tuple(dict.fromkeys((*known.context, *term.context))),
                        known.keep,
                    )
            self._terms[term.text] = term
            spellings = [s.strip() for s in (term.text, *term.aliases) if len(s.strip()) >= 2]
            index.spellings.update(spellings)
            index.longest_spelling = max([index.longest_spelling, *map(len, spellings)])
            if term.kind == "person":
                surname = _surname_of(term.text)
                if surname:
                    index.surnames[surname] = max(term.weight, index.surnames.get(surname, 0))
                    address = term.text[term.text.rindex(surname) :]
                    if len(address) > len(surname):
                        index.addressed.add(address)
            for variant in _variants(term):
                index.exact[variant.folded].append(variant)
                for position, syllable in enumerate(variant.folded):
                    index.by_position[len(variant.folded), position, syllable].append(variant)
                index.longest = max(index.longest, len(variant.sounds))

    # --- look-ups ---------------------------------------------------------------------

    @property
    def longest(self) -> int:
        """The most units any term has: no window need be longer."""
        return self._index.longest

    def is_spelling(self, text: str) -> bool:
        """``text`` is already a term's spelling: it is never corrected."""
        return text in self._index.spellings

    def spelled_spans(self, text: str) -> list[tuple[int, int]]:
        """Where terms stand spelled right in ``text`` (纷享销客): no edit may touch them."""
        spellings = self._index.spellings
        longest = self._index.longest_spelling
        return [
            (i, j)
            for i in range(len(text))
            for j in range(i + 2, min(len(text), i + longest) + 1)
            if text[i:j] in spellings
        ]

    def sounding_alike(self, folded: tuple[str, ...]) -> list[Variant]:
        """Terms that sound the same once near pairs are merged (zh~z, eng~en …)."""
        return self._index.exact.get(folded, [])

    def sounding_near(self, folded: tuple[str, ...]) -> list[Variant]:
        """Terms of the same length sharing at least half of their merged syllables in place
        (a superset of :meth:`sounding_alike`)."""
        n = len(folded)
        need = (n + 1) // 2
        by_position = self._index.by_position
        found = [
            variants
            for position, syllable in enumerate(folded)
            if (variants := by_position.get((n, position, syllable)))
        ]
        if len(found) < need:
            return []  # most windows: too few syllables any term of this length has there
        return [v for v, count in Counter(chain.from_iterable(found)).items() if count >= need]

    def context_for(self, term: Term) -> tuple[str, ...]:
        return (*term.context, *self.kind_context.get(term.kind, ()))

    def surnames(self) -> Mapping[str, float]:
        """Surnames of the people among the terms (the call's contacts), with weights."""
        return self._index.surnames

    def addressed(self) -> AbstractSet[str]:
        """The contacts as they are addressed, surname and title (韩总 of 人力资源副总裁韩总)."""
        return self._index.addressed


def _surname_of(name: str) -> str:
    """The surname in a contact as CRMs and start messages write it: a name (孙建国), a
    surname and title (魏总), or either after a department and role (运营部秦经理,
    董事长郭总, 教务处黄处长, 赵副校长). Empty when there is none (财务总监, 总裁办)."""
    name = name.strip()
    if len(name) < 2 or not all("\u4e00" <= c <= "\u9fff" for c in name):
        return ""
    spec = data.titles()
    title = next((t for t in sorted(spec.titles, key=len, reverse=True) if name.endswith(t)), "")
    stem = name[: len(name) - len(title)] if title else name
    if title:
        stem = stem.removesuffix("副").removesuffix("常务").removesuffix("执行")
        compound = stem[-2:] if stem[-2:] in spec.compound_surnames else ""
        surname = compound or stem[-1:]
    else:
        surname = stem[:2] if stem[:2] in spec.compound_surnames else stem[0]
    return surname if surname in spec.compound_surnames or surname in spec.surnames else ""


@lru_cache(maxsize=1)
def _builtin() -> Lexicon:
    vocabulary = data.vocabulary()
    return Lexicon(
        (Term(e.text, "vocab", 1.0, context=e.context, keep=e.keep) for e in vocabulary.entries()),
        vocabulary.context,
    )
