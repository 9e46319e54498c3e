"""Whether a name the rules could not confirm is a system here, learned from the words
around it.

The catalogue's ambiguous names (美团, 华为, 浪潮) count for the rules only with software
words near them (系统, 对接, 在用 …); said without them (外卖都走美团) they are dropped, as an
ordinary word would be (画个红圈). This model reads the same tokens as the role model
(``roles.groups``: the words before and after the name, the rest of its sentence, the rules'
role there) and two facts of the hit (its catalogue category; said as an alias or as the
name), and gives the probability that the name is the system. A name at :data:`THRESHOLD`
or above is reported with ``source`` ``model``. Names heard by their sound only (魔卡 for
Moka) stay the rules' (:func:`readable`).

Examples: every unconfirmed name in the labelled vendor sets (``corpus/systems/``), a
system where the line labels it. Chosen with each writer's set left out in turn
(``python -m bench.system_names``); the figures are in docs/learning.md."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from copilot.insights.extractor import RuleJudgement, UnconfirmedName
from copilot.learning.artefact import Artefact, build
from copilot.learning.corpus import CorpusError
from copilot.learning.roles import (
    JudgedLine,
    catalogue_spellings,
    design_matrix,
    is_named,
    tokens_of,
    vector,
    vocabulary_of,
)

ARTEFACT = "system_names"
C = 4.0
MIN_DF = 2
THRESHOLD = 0.7


def facts(name: UnconfirmedName) -> list[str]:
    """Tokens of what the rules know of the hit besides its words."""
    system = name.system
    return [f"x:{system.category or 'unknown'}", f"x:alias:{system.heard is not None}"]


def features(
    text: str, name: UnconfirmedName, index: dict[str, int], idf: Sequence[float]
) -> dict[int, float]:
    """Column -> weight: the role model's tokens of the mention, and :func:`facts` at 1."""
    out = vector(text, name.mention, index, idf)
    for token in facts(name):
        column = index.get(token)
        if column is not None:
            out[column] = 1.0
    return out


class NameModel:
    """The learned confirmer of unconfirmed names; read-only after loading (thread-safe)."""

    def __init__(self, artefact: Artefact) -> None:
        self.header = artefact.header
        self.index = {token: column for column, token in enumerate(artefact.vocabulary)}
        self.idf: list[float] = artefact.idf.astype(np.float32).tolist()
        self.coef = artefact.coef.astype(np.float32)[:, 0]
        self.intercept = float(artefact.intercept[0])
        self.threshold = float(self.header.get("thresholds", {}).get("system", THRESHOLD))

    @classmethod
    def load(cls, directory: Path) -> NameModel:
        """Raises :class:`ArtefactError` when the artefact is missing or damaged."""
        return build(directory, ARTEFACT, cls)

    def probability(self, text: str, name: UnconfirmedName) -> float:
        weights = features(text, name, self.index, self.idf)
        logit = self.intercept + sum(self.coef[column] * w for column, w in weights.items())
        return 1.0 / (1.0 + math.exp(-float(logit)))


def readable(judgement: RuleJudgement) -> list[UnconfirmedName]:
    """The unconfirmed names this model reads: those spelled as the catalogue spells them. A
    name heard by its sound only is left to the rules: the sound of a short name is the
    sound of everyday words too (十五万以内 sounds like 网易 within), and on the customer
    corpus every such name the model took was one (4 of 4), while on the vendor sets,
    written to hold misheard names, they added 0.002 of recall."""
    return [name for name in judgement.unconfirmed if not name.heard_wrong]


def confirmed_names(model: NameModel, judgement: RuleJudgement) -> list[UnconfirmedName]:
    """The unconfirmed names the model takes for systems, each system with ``source``
    ``model`` and its probability as ``confidence``: of a name said more than once, the
    mention it is surest of."""
    best: dict[str, tuple[float, UnconfirmedName]] = {}
    for name in readable(judgement):
        p = model.probability(judgement.text, name)
        known = best.get(name.system.name)
        if p >= model.threshold and (known is None or p > known[0]):
            best[name.system.name] = (p, name)
    return [
        replace(
            name,
            system=name.system.model_copy(update={"source": "model", "confidence": round(p, 4)}),
        )
        for p, name in best.values()
    ]


# --- training ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NameExample:
    id: str
    text: str
    name: UnconfirmedName
    is_system: bool


def name_examples(judged: Sequence[JudgedLine]) -> list[NameExample]:
    """One example per unconfirmed mention in the lines: a system where the line labels it."""
    spellings = catalogue_spellings()
    examples: list[NameExample] = []
    for line, judgement in judged:
        for name in readable(judgement):
            labelled = any(is_named(name.system, named, spellings) for named in line.systems)
            examples.append(NameExample(line.id, judgement.text, name, labelled))
    return examples


def learnable(examples: Sequence[NameExample]) -> bool:
    """Whether there is anything to learn: names that are systems and names that are not."""
    return len({example.is_system for example in examples}) == 2


def _digest(examples: Sequence[NameExample]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        said = [e.id, e.text, e.name.mention.start, e.name.mention.end, e.is_system]
        digest.update(json.dumps(said, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:16]


def fit_names(examples: Sequence[NameExample], c: float = C) -> Artefact:
    """Vocabulary (tokens in at least :data:`MIN_DF` examples, sorted), IDF and a logistic
    regression; deterministic (lbfgs, examples in corpus order)."""
    from sklearn.linear_model import LogisticRegression

    if not learnable(examples):
        raise CorpusError("the systems corpus needs unconfirmed names that are and are not systems")
    vocabulary, idf = vocabulary_of(
        [[*tokens_of(e.text, e.name.mention), *facts(e.name)] for e in examples], MIN_DF
    )
    index = {token: column for column, token in enumerate(vocabulary)}
    weights = idf.tolist()
    x = design_matrix([features(e.text, e.name, index, weights) for e in examples], len(vocabulary))
    y = np.array([e.is_system for e in examples], dtype=np.int64)
    model = LogisticRegression(C=c, max_iter=3000).fit(x, y)
    header: dict[str, Any] = {
        "name": ARTEFACT,
        "labels": ["system"],
        "thresholds": {"system": THRESHOLD},
        "c": c,
        "min_df": MIN_DF,
        "examples": len(examples),
        "systems": int(y.sum()),
        "corpus_hash": _digest(examples),
    }
    coef = model.coef_[0].astype(np.float32).reshape(-1, 1)
    intercept = np.array([model.intercept_[0]], dtype=np.float32)
    return Artefact(header, vocabulary, idf, coef, intercept)
