"""Domain-aware correction of recognised text: misheard sales terms, names and price units
spelled right by how they sound (see docs/speech-correction.md)."""

from speech.correction.corrector import Corrector, call_terms
from speech.correction.edits import Corrected, Edit
from speech.correction.lexicon import Lexicon, Term

__all__ = ["Corrected", "Corrector", "Edit", "Lexicon", "Term", "call_terms"]
