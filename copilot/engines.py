"""Building the heavy engines from settings, once per process."""

from __future__ import annotations

from functools import lru_cache

from copilot.insights.vendors import builtin as vendor_catalogue
from copilot.insights.vendors import systems_of
from copilot.settings import Settings, get_settings
from speech.correction import Lexicon, Term, call_terms
from speech.engine import SpeechEngine


def correction_terms(settings: Settings) -> list[Term]:
    """What recognised text is corrected towards besides the sales vocabulary: the vendor
    catalogue's names (each spelling corrected to itself) and the configured vocabulary."""
    vendors = [
        Term(entry.name, "vendor", aliases=entry.spellings, context=entry.context)
        for entry in systems_of(vendor_catalogue())
    ]
    vocabulary = settings.vocabulary
    return [
        *vendors,
        *call_terms(
            products=vocabulary.products,
            vendors=vocabulary.competitors,
            customers=vocabulary.customers,
        ),
    ]


def correction_lexicon(settings: Settings) -> Lexicon:
    """What every call's recognised text is corrected towards (a call adds its own terms)."""
    return Lexicon.builtin().extended(correction_terms(settings))


def build_speech_engine(settings: Settings) -> SpeechEngine:
    return SpeechEngine(settings.speech, lexicon=correction_lexicon(settings))


@lru_cache(maxsize=1)
def speech_engine() -> SpeechEngine:
    """The process-wide speech engine: one copy of the Whisper weights for every call."""
    return build_speech_engine(get_settings())
