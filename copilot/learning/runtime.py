"""The shipped models, loaded once per process; a missing or damaged artefact is a warning
and that side runs on its rules alone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from copilot.learning.artefact import ArtefactError, Model
from copilot.learning.corpus import Side
from copilot.learning.model import LinearModel
from copilot.learning.names import NameModel
from copilot.learning.roles import RoleModel

logger = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parent / "models"


@dataclass(frozen=True)
class Models:
    customer: LinearModel | None = None
    rep: LinearModel | None = None
    # Named systems' roles (copilot/learning/roles.py); without it the rules read them.
    roles: RoleModel | None = None
    # Why a side is off (one line each), for a command line to show its user.
    problems: tuple[str, ...] = ()


def _loaded(what: str, load: Callable[[], Model], problems: list[str] | None) -> Model | None:
    try:
        return load()
    except ArtefactError as exc:
        message = f"{what}: {exc}"
        logger.warning("%s", message)
        if problems is not None:
            problems.append(message)
        return None


def load_side(directory: Path, side: Side, problems: list[str] | None = None) -> LinearModel | None:
    return _loaded(
        f"the {side} model is off, rules only",
        lambda: LinearModel.load(directory, side),
        problems,
    )


def load_roles(directory: Path, problems: list[str] | None = None) -> RoleModel | None:
    """The role model, with the name confirmer beside it when that artefact is there."""
    roles = _loaded(
        "the system-role model is off, the rules read roles",
        lambda: RoleModel.load(directory),
        problems,
    )
    if roles is not None:
        roles.names = _loaded(
            "the name confirmer is off, the rules alone confirm names",
            lambda: NameModel.load(directory),
            problems,
        )
    return roles


def load_models(directory: Path | None = None) -> Models:
    directory = directory if directory is not None else MODELS_DIR
    problems: list[str] = []
    customer = load_side(directory, "customer", problems)
    rep = load_side(directory, "rep", problems)
    roles = load_roles(directory, problems)
    return Models(customer=customer, rep=rep, roles=roles, problems=tuple(problems))


@lru_cache(maxsize=1)
def bundled_models() -> Models:
    """The artefacts committed under ``copilot/learning/models/`` (``copilot train``)."""
    return load_models(MODELS_DIR)
