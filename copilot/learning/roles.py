"""The role of a named system — competitor, incumbent, integration or mentioned — learned
from the words around the name.

The rules read a role from cue words in the name's clause (用的是, 对接, 比); a cue said once
for three systems (我们 HIS 是卫宁的，电子病历是嘉和的，你们要跟两边都打通) or a role said
without one (仿真用的安西斯) escapes them: leaving each vendor set's writer out in turn they
gave 0.600 of the roles right, rules + this model 0.783 (``bench/system_roles.py``, thirteen
writers). This model reads, for each mention the rules found:

- character 1–3-grams of the :data:`WINDOW` characters before the name and of those after
  it, within its sentence (``b:`` and ``a:``; ``|`` stands for the name, ``^``/``$`` mark
  where the sentence stops);
- character 1–2-grams of the rest of its sentence, the name masked (``s:``);
- the role the rules read (``r:``, weight :data:`RULE_WEIGHT`), so the model learns when
  to trust them.

Each group is TF-IDF weighted (1 + log tf) and L2-normalised on its own; a multinomial
logistic regression (scikit-learn, at training only) scores the four roles. Run time is a
dictionary look-up per token, a few hundred per mention. Trained on ``corpus/systems/``
by ``copilot train`` into the artefact ``system_roles``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast, get_args

import numpy as np

from copilot.insights.extractor import RuleExtractor, RuleJudgement, SystemMention
from copilot.insights.models import System, SystemRole
from copilot.insights.vendors import builtin, squash, systems_of
from copilot.learning.artefact import Artefact, build
from copilot.learning.corpus import CorpusError, checked_lines, json_object

if TYPE_CHECKING:
    from copilot.learning.names import NameModel

ROLES: tuple[SystemRole, ...] = get_args(SystemRole)
ARTEFACT = "system_roles"
# Characters read either side of the name, the rules' vote against the n-grams, and C:
# chosen on the first seven vendor sets, each writer left out in turn (bench/system_roles.py):
# windows 8 / 12 / 20 scored 0.755 / 0.762 / 0.757 and C 1 / 4 / 16 0.753 / 0.762 / 0.761
# without the rules' vote; with it 0.774, at weights 1, 2 and 4 alike.
WINDOW = 12
RULE_WEIGHT = 2.0
C = 4.0
MIN_DF = 2


@dataclass(frozen=True)
class NamedSystem:
    """A system a labelled line names: its maker, product, the words written and its role."""

    vendor: str
    product: str | None
    as_written: str
    role: SystemRole


@dataclass(frozen=True)
class SystemsLine:
    id: str
    text: str
    systems: tuple[NamedSystem, ...]


def _named(item: object) -> NamedSystem:
    if not isinstance(item, dict):
        raise ValueError("each of 'systems' must be a JSON object")
    vendor, product = item.get("vendor"), item.get("product")
    written, role = item.get("as_written"), item.get("role")
    if not isinstance(vendor, str) or not vendor.strip():
        raise ValueError("a system without 'vendor'")
    if product is not None and not isinstance(product, str):
        raise ValueError(f"{vendor}: 'product' must be a string or null")
    if not isinstance(written, str) or not written.strip():
        raise ValueError(f"{vendor}: 'as_written' missing")
    if role not in ROLES:
        raise ValueError(f"{vendor}: unknown role {role!r} (one of {', '.join(ROLES)})")
    return NamedSystem(vendor, product, written, cast(SystemRole, role))


def parse_line(line: str) -> SystemsLine:
    """One JSONL line of a systems file; raises ValueError saying what is wrong."""
    row = json_object(line)
    ident, text, systems = row.get("id"), row.get("text"), row.get("systems")
    if not isinstance(ident, str) or not isinstance(text, str) or not text.strip():
        raise ValueError("'id' and a non-empty 'text' must be strings")
    if not isinstance(systems, list):
        raise ValueError("'systems' must be a list")
    return SystemsLine(ident, text, tuple(_named(item) for item in systems))


def load_lines(paths: Sequence[Path]) -> list[SystemsLine]:
    """Every line of ``paths``; raises :class:`CorpusError` naming each bad line (and each id
    seen twice) when any is bad, so nothing is trained on half a file."""
    return checked_lines(paths, parse_line, lambda line: line.id)


def systems_files(corpus: Path) -> list[Path]:
    return sorted((corpus / "systems").glob("*.jsonl"))


# --- features ---------------------------------------------------------------------------


def _grams(text: str, tag: str, longest: int) -> Counter[str]:
    return Counter(
        tag + text[i : i + n] for n in range(1, longest + 1) for i in range(len(text) - n + 1)
    )


def groups(text: str, mention: SystemMention) -> tuple[Counter[str], ...]:
    """The mention's token counts of each group of words: before, after, its sentence."""
    low, high = mention.sentence_start, mention.sentence_end
    start, end = mention.start, mention.end
    # ``|`` stands for the name, so the words right beside it have n-grams of their own.
    before = ("^" if start - WINDOW <= low else "") + text[max(low, start - WINDOW) : start] + "|"
    after = "|" + text[end : min(high, end + WINDOW)] + ("$" if end + WINDOW >= high else "")
    sentence = text[low:start] + "\u0000" + text[end:high]
    return _grams(before, "b:", 3), _grams(after, "a:", 3), _grams(sentence, "s:", 2)


def vector(
    text: str, mention: SystemMention, index: dict[str, int], idf: Sequence[float]
) -> dict[int, float]:
    """Column -> weight of one mention (columns index the vocabulary): each group's known
    tokens by sublinear TF-IDF, L2-normalised, and the rules' role at :data:`RULE_WEIGHT`."""
    out: dict[int, float] = {}
    for counts in groups(text, mention):
        weights: dict[int, float] = {}
        for token, count in counts.items():
            column = index.get(token)
            if column is not None:
                weights[column] = (1.0 + math.log(count)) * idf[column]
        norm = math.sqrt(sum(w * w for w in weights.values()))
        out.update((column, w / norm) for column, w in weights.items())
    rules = index.get("r:" + mention.role)
    if rules is not None:
        out[rules] = RULE_WEIGHT
    return out


# --- run time ---------------------------------------------------------------------------


class RoleModel:
    """The learned role reader; read-only after loading (thread-safe). ``names``, when
    loaded beside it, confirms names the rules could not (:mod:`copilot.learning.names`)."""

    def __init__(self, artefact: Artefact, names: NameModel | None = None) -> None:
        self.names = names
        self.header = artefact.header
        if tuple(artefact.header["labels"]) != ROLES:
            raise ValueError(f"labels {artefact.header['labels']} are not the roles {ROLES}")
        self.index = {token: column for column, token in enumerate(artefact.vocabulary)}
        self.idf: list[float] = artefact.idf.astype(np.float32).tolist()
        self.coef = artefact.coef.astype(np.float32)
        self.intercept = artefact.intercept.astype(np.float32)

    @classmethod
    def load(cls, directory: Path) -> RoleModel:
        """Raises :class:`ArtefactError` when the artefact is missing or damaged."""
        return build(directory, ARTEFACT, cls)

    def probabilities(self, text: str, mention: SystemMention) -> np.ndarray:
        """Per role of :data:`ROLES`, its probability for this mention."""
        weights = vector(text, mention, self.index, self.idf)
        columns = np.fromiter(weights.keys(), np.intp, len(weights))
        values = np.fromiter(weights.values(), np.float32, len(weights))
        logits = self.intercept + values @ self.coef[columns]
        exp = np.exp(logits - logits.max())
        result: np.ndarray = exp / exp.sum()
        return result

    def role(self, text: str, mention: SystemMention) -> tuple[SystemRole, float]:
        """The likeliest role of this mention and its probability."""
        probabilities = self.probabilities(text, mention)
        best = int(np.argmax(probabilities))
        return ROLES[best], float(probabilities[best])


@dataclass(frozen=True)
class ReadRole:
    """The role the model read at one mention of a system, and how sure it is."""

    role: SystemRole
    confidence: float
    mention: SystemMention


def judged_roles(model: RoleModel, judgement: RuleJudgement) -> dict[str, ReadRole]:
    """System name -> the role read at the mention of it the model is surest of."""
    best: dict[str, ReadRole] = {}
    for mention in judgement.mentions:
        role, confidence = model.role(judgement.text, mention)
        if mention.name not in best or confidence > best[mention.name].confidence:
            best[mention.name] = ReadRole(role, confidence, mention)
    return best


# --- training ---------------------------------------------------------------------------


def folded(names: Iterable[str | None]) -> list[str]:
    """Names lower-cased without spaces, the empty ones dropped."""
    return [name.lower().replace(" ", "") for name in names if name]


@cache
def catalogue_spellings() -> dict[str, frozenset[str]]:
    """Catalogue name -> its spellings, squashed (Oracle is 甲骨文)."""
    return {
        entry.name: frozenset(squash(spelling) for spelling in entry.spellings)
        for entry in systems_of(builtin())
    }


def names_vendor(
    said: Sequence[str], vendor: str, product: str | None, spellings: Collection[str] = ()
) -> bool:
    """Whether one of the (folded) names ``said`` is a labelled vendor or product, one
    holding the other, or the label is among ``spellings`` (the catalogue's spellings of
    what was said: Oracle said is 甲骨文 labelled). Labels shorter than two characters never
    match. The rule every vendor score uses (``bench.understanding``)."""
    targets = folded(t for t in (vendor, product) if t and len(t) >= 2)
    return any(t in name or name in t for name in said for t in targets) or any(
        t in spellings for t in targets
    )


def is_named(system: System, named: NamedSystem, spellings: dict[str, frozenset[str]]) -> bool:
    """Whether a reported system is the labelled one (:func:`names_vendor`)."""
    said = folded([system.name, system.vendor])
    known = spellings.get(system.name, frozenset())
    return names_vendor(said, named.vendor, named.product, known)


@dataclass(frozen=True)
class RoleExample:
    id: str
    text: str  # as the rules normalised it
    mention: SystemMention
    role: SystemRole


# A labelled line with what the rules found in it: read once for every model trained on it.
JudgedLine = tuple[SystemsLine, RuleJudgement]


def judged_lines(extractor: RuleExtractor, lines: Sequence[SystemsLine]) -> list[JudgedLine]:
    return [(line, extractor.judge(line.text, "customer", line.id)) for line in lines]


def role_examples(judged: Sequence[JudgedLine]) -> list[RoleExample]:
    """One example per labelled system the rules find (the first mention of it): what run
    time will see, with the label's role."""
    spellings = catalogue_spellings()
    examples: list[RoleExample] = []
    for line, judgement in judged:
        first: dict[str, SystemMention] = {}
        for mention in judgement.mentions:
            first.setdefault(mention.name, mention)
        for named in line.systems:
            system = next(
                (s for s in judgement.insights.systems if is_named(s, named, spellings)), None
            )
            if system is not None and system.name in first:
                examples.append(
                    RoleExample(line.id, judgement.text, first[system.name], named.role)
                )
    return examples


def tokens_of(text: str, mention: SystemMention) -> list[str]:
    """Every token :func:`vector` may weigh for this mention (each group's are its own)."""
    return [token for counts in groups(text, mention) for token in counts]


def vocabulary_of(
    examples: Sequence[Iterable[str]], min_df: int = MIN_DF
) -> tuple[list[str], np.ndarray]:
    """The tokens in at least ``min_df`` examples and the rules' votes (always columns),
    sorted, with their IDF; each example's tokens count once."""
    df: Counter[str] = Counter()
    for tokens in examples:
        df.update(set(tokens))
    votes = ["r:" + role for role in ROLES]
    vocabulary = sorted({*votes, *(token for token, count in df.items() if count >= min_df)})
    n = len(examples)
    idf = np.array(
        [math.log((1 + n) / (1 + df[token])) + 1.0 for token in vocabulary], dtype=np.float32
    )
    return vocabulary, idf


def design_matrix(rows: Sequence[dict[int, float]], width: int) -> Any:
    """The examples' column -> weight rows as a sparse matrix (scipy, at training only)."""
    from scipy.sparse import csr_matrix

    at = [row for row, weights in enumerate(rows) for _ in weights]
    columns = [column for weights in rows for column in weights]
    values = [weight for weights in rows for weight in weights.values()]
    return csr_matrix((values, (at, columns)), shape=(len(rows), width), dtype=np.float64)


def _digest(examples: Sequence[RoleExample]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        said = [e.id, e.text, e.mention.start, e.mention.end, e.mention.role, e.role]
        digest.update(json.dumps(said, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:16]


def fit_roles(examples: Sequence[RoleExample], c: float = C) -> Artefact:
    """Vocabulary (tokens in at least :data:`MIN_DF` examples, sorted), IDF and a
    multinomial logistic regression; deterministic (lbfgs, examples in corpus order)."""
    from sklearn.linear_model import LogisticRegression

    if len({e.role for e in examples}) < 2:
        raise CorpusError("the systems corpus needs examples of at least two roles")
    vocabulary, idf = vocabulary_of([tokens_of(e.text, e.mention) for e in examples])
    index = {token: column for column, token in enumerate(vocabulary)}
    weights = idf.tolist()
    x = design_matrix(
        [vector(e.text, e.mention, index, weights) for e in examples], len(vocabulary)
    )
    y = np.array([ROLES.index(e.role) for e in examples])
    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, y)
    coef = np.zeros((len(vocabulary), len(ROLES)), dtype=np.float32)
    intercept = np.full(len(ROLES), -10.0, dtype=np.float32)  # a role never seen stays off
    if len(model.classes_) == 2:  # one logit: the second class's against the first's zero
        intercept[model.classes_[0]] = 0.0
        coef[:, model.classes_[1]] = model.coef_[0]
        intercept[model.classes_[1]] = model.intercept_[0]
    else:
        for position, label in enumerate(model.classes_):
            coef[:, label] = model.coef_[position]
            intercept[label] = model.intercept_[position]
    header: dict[str, Any] = {
        "name": ARTEFACT,
        "labels": list(ROLES),
        "thresholds": {role: 0.0 for role in ROLES},  # the likeliest role wins
        "window": WINDOW,
        "rule_weight": RULE_WEIGHT,
        "c": c,
        "min_df": MIN_DF,
        "examples": len(examples),
        "corpus_hash": _digest(examples),
    }
    return Artefact(header, vocabulary, idf, coef, intercept)
