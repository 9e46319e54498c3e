"""Knowledge-base retrieval: loading and validating the KB, embedders, the Chroma store and
hybrid ranking for live suggestions. A library: it does not need the service to run.

    from retrieval import Suggester
    Suggester().suggest("你们这个价格太贵了")
"""

from retrieval.config import RetrievalConfig
from retrieval.errors import (
    EmbedderError,
    EmptyKnowledgeBaseWarning,
    KbValidationError,
    RetrievalError,
    StoreError,
)
from retrieval.feedback import FeedbackSignal, InMemoryFeedback
from retrieval.ingest import IngestReport, ingest
from retrieval.loader import KnowledgeBase, load_kb, validate_kb
from retrieval.ranking import Filters, HybridRanker, QuerySignals
from retrieval.schema import KbEntry, KbProblem, TagVocabulary
from retrieval.suggest import Suggester, Suggestion, SuggestResult

__all__ = [
    "EmbedderError",
    "EmptyKnowledgeBaseWarning",
    "FeedbackSignal",
    "Filters",
    "HybridRanker",
    "InMemoryFeedback",
    "IngestReport",
    "KbEntry",
    "KbProblem",
    "KbValidationError",
    "KnowledgeBase",
    "QuerySignals",
    "RetrievalConfig",
    "RetrievalError",
    "StoreError",
    "SuggestResult",
    "Suggester",
    "Suggestion",
    "TagVocabulary",
    "ingest",
    "load_kb",
    "validate_kb",
]
