"""The shipped models, loaded once per process; a missing or damaged artefact is a warning
and that side runs on its rules alone."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from copilot.learning.artefact import ArtefactError
from copilot.learning.corpus import Side
from copilot.learning.model import LinearModel

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"


@dataclass(frozen=True)
class Models:
    customer: LinearModel | None = None
    rep: LinearModel | None = None
    # Why a side is off (one line each), for a command line to show its user.
    problems: tuple[str, ...] = ()


def load_side(directory: Path, side: Side, problems: list[str] | None = None) -> LinearModel | None:
    try:
        return LinearModel.load(directory, side)
    except ArtefactError as exc:
        message = f"the {side} model is off, rules only: {exc}"
        logger.warning("%s", message)
        if problems is not None:
            problems.append(message)
        return None


def load_models(directory: Path | None = None) -> Models:
    directory = directory if directory is not None else MODELS_DIR
    problems: list[str] = []
    customer = load_side(directory, "customer", problems)
    rep = load_side(directory, "rep", problems)
    return Models(customer=customer, rep=rep, problems=tuple(problems))


@lru_cache(maxsize=1)
def bundled_models() -> Models:
    """The artefacts committed under ``copilot/learning/models/`` (``copilot train``)."""
    return load_models(MODELS_DIR)
