"""What can go wrong in retrieval, each with a message that tells the user what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from retrieval.schema import KbProblem


class RetrievalError(Exception):
    """Base of every error the retrieval library raises on purpose."""


class KbValidationError(RetrievalError):
    """The knowledge base has problems; ``problems`` lists every one, not just the first."""

    def __init__(self, problems: list[KbProblem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {problem}" for problem in problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(
            f"the knowledge base has {len(problems)} problem(s); "
            f"run `copilot kb validate` to list them:\n{shown}{more}"
        )


class EmbedderError(RetrievalError):
    """An embedder could not be built or could not embed (missing package, model, endpoint)."""


class StoreError(RetrievalError):
    """The vector store is unreachable or answered with an error."""


class EmptyKnowledgeBaseWarning(UserWarning):
    """The knowledge base holds no entries: suggestions will be empty until content is added."""
