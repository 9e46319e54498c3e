"""Training: a one-vs-rest logistic regression per label over TF-IDF tokens, thresholds
chosen for a precision target on out-of-fold predictions, then a final fit on everything.

Deterministic: the same corpus gives the same artefact bytes on any machine (sorted
vocabulary, liblinear with a fixed seed and BLAS in one thread, folds by a hash of the id,
fixed zip timestamps), however the jobs are dealt out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from copilot.learning.artefact import Artefact, paths, save
from copilot.learning.corpus import (
    LABELS,
    SIDES,
    Example,
    Side,
    bucket,
    corpus_hash,
    load_side,
)
from copilot.learning.features import FeatureSpec, Vectorizer, remembered_words
from copilot.learning.model import LinearModel
from copilot.learning.names import ARTEFACT as NAMES_ARTEFACT
from copilot.learning.names import fit_names, learnable, name_examples
from copilot.learning.roles import ARTEFACT as ROLES_ARTEFACT
from copilot.learning.roles import (
    SystemsLine,
    fit_roles,
    judged_lines,
    load_lines,
    role_examples,
    systems_files,
)

# Marks the copies of one example: ``ID#1``, ``ID#2`` (org_models counts an org's examples
# several times this way).
COPY = "#"
# A label whose out-of-fold predictions never reach the precision target is switched off.
NEVER = 1.01
# Labels are fitted in this many threads at once: liblinear lets go of the GIL while it
# fits, and the customer side (six fits of 16 labels) is what the whole training waits for,
# its fits half of its time. Every label's fit is deterministic on its own (primal solver,
# fixed seed), so the bytes do not depend on the threads.
FIT_THREADS = min(4, os.cpu_count() or 1)
# Processes ``copilot train`` runs its jobs in (a side's folds and its final fit).
TRAIN_PROCESSES = max(2, min(6, os.cpu_count() or 1))


class TrainingUnavailable(RuntimeError):
    """scikit-learn, which only training needs, is not installed."""


@dataclass(frozen=True)
class TrainConfig:
    features: FeatureSpec = field(default_factory=FeatureSpec)
    # Inverse regularisation of the logistic regressions (chosen on the dev split).
    c: float = 30.0
    min_df: int = 2
    folds: int = 5
    # Precision each label's threshold must reach on out-of-fold predictions.
    precision: float = 0.9
    # No threshold below this, however precise the folds looked (few examples).
    min_threshold: float = 0.3
    # Labels starting with one of these get the threshold of the best out-of-fold F1 instead
    # (never below ``f1_min_threshold``): pain points are read in summaries, where a missed
    # one costs as much as a wrong one, and at the precision target they found 3 in 10.
    f1_prefixes: tuple[str, ...] = ()
    f1_min_threshold: float = 0.05


# Precision targets: a wrong compliance flag costs the rep's trust more than a wrong insight.
# Features, C and min_df chosen by 3-fold cross-validation on the training split (mean AP,
# docs/learning.md): words help the customer side; on the rep side pinyin did not pay for
# its cost; 4-grams added nothing over 3-grams (0.9739 vs 0.9740) and min_df=3 halves the
# vocabulary (tables that stay in cache) for 0.0005 AP. The customer side's C was raised
# from 30 to 100 across writers (models trained without each of rounds 6-8, scored on it,
# with the rules): objection precision 0.845 -> 0.855 and decision-maker precision 0.718 ->
# 0.743 at the same recall, objection F1 up for 14 of 15 writers; C=300 lost pain points.
DEFAULT_CONFIGS: dict[Side, TrainConfig] = {
    "customer": TrainConfig(
        FeatureSpec(char_max=4, words=True, pinyin=False),
        c=100.0,
        precision=0.88,
        f1_prefixes=("pain:",),
    ),
    "rep": TrainConfig(
        FeatureSpec(char_max=3, words=False, pinyin=False), c=100.0, min_df=3, precision=0.93
    ),
}


def _matrix(vectorizer: Vectorizer, texts: Sequence[str]) -> object:
    from scipy.sparse import csr_matrix

    rows, cols, vals = [], [], []
    for row, text in enumerate(texts):
        indices, weights = vectorizer.vector(text)
        rows.append(np.full(len(indices), row, dtype=np.int64))
        cols.append(indices)
        vals.append(weights)
    return csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(texts), len(vectorizer.vocabulary)),
        dtype=np.float64,
    )


def _gold(examples: Sequence[Example], labels: Sequence[str]) -> np.ndarray:
    return np.array([[label in e.labels for label in labels] for e in examples], dtype=bool)


def fit(
    examples: Sequence[Example], side: Side, config: TrainConfig, name: str | None = None
) -> Artefact:
    """One fit on ``examples``; thresholds all 0.5 (see :func:`train`)."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ModuleNotFoundError as exc:
        raise TrainingUnavailable(
            "training needs scikit-learn: pip install 'sales-copilot[train]' "
            "(make test installs it)"
        ) from exc

    labels = LABELS[side]
    texts = [e.text for e in examples]
    vectorizer = Vectorizer.fit(texts, config.features, config.min_df)
    x = _matrix(vectorizer, texts)
    gold = _gold(examples, labels)
    coef = np.zeros((len(vectorizer.vocabulary), len(labels)), dtype=np.float32)
    intercept = np.full(len(labels), -10.0, dtype=np.float32)

    def fit_label(column: int) -> None:
        y = gold[:, column]
        if y.all() or not y.any():
            return  # nothing to learn: the label stays off
        model = LogisticRegression(C=config.c, solver="liblinear", random_state=0, max_iter=1000)
        model.fit(x, y)
        coef[:, column] = model.coef_[0]
        intercept[column] = model.intercept_[0]

    with ThreadPoolExecutor(max_workers=FIT_THREADS) as pool:
        list(pool.map(fit_label, range(len(labels))))  # list(): raise what a fit raised
    header = {
        "name": name or side,
        "side": side,
        "labels": list(labels),
        "thresholds": {label: 0.5 for label in labels},
        "features": config.features.as_json(),
        "c": config.c,
        "precision_target": config.precision,
        "f1_prefixes": list(config.f1_prefixes),
        "min_df": config.min_df,
        "examples": len(examples),
        "corpus_hash": corpus_hash(examples),
    }
    return Artefact(header, vectorizer.vocabulary, vectorizer.idf, coef, intercept)


def choose_threshold(probabilities: np.ndarray, gold: np.ndarray, config: TrainConfig) -> float:
    """The lowest threshold whose predictions reach the precision target (at least two
    right), never below ``min_threshold``; :data:`NEVER` when none does."""
    order = np.argsort(-probabilities, kind="stable")
    right = np.cumsum(gold[order])
    taken = np.arange(1, len(order) + 1)
    precise = (right / taken >= config.precision) & (right >= 2)
    candidates = np.nonzero(precise)[0]
    if not len(candidates):
        return NEVER
    cut = float(probabilities[order[candidates[-1]]])
    return round(max(cut, config.min_threshold), 4)


def choose_f1_threshold(probabilities: np.ndarray, gold: np.ndarray, floor: float) -> float:
    """The threshold with the best F1 over these predictions (the higher on a tie), never
    below ``floor``; :data:`NEVER` when no example is gold."""
    order = np.argsort(-probabilities, kind="stable")
    right = np.cumsum(gold[order])
    if not right[-1]:
        return NEVER
    taken = np.arange(1, len(order) + 1)
    f1 = 2 * right / (taken + right[-1])
    cut = float(probabilities[order[int(np.argmax(f1))]])
    return round(max(cut, floor), 4)


def fold_of(examples: Sequence[Example], folds: int) -> list[int]:
    """Each example's fold, by a hash of its id. Copies of one example (``ID#k``: an org's
    example counted several times) share a fold, or each would be scored by a model that
    had learnt its twins."""
    return [bucket("fold:" + e.id.partition(COPY)[0], folds) for e in examples]


def fold_probabilities(
    examples: Sequence[Example], side: Side, config: TrainConfig, folds: Sequence[int], fold: int
) -> tuple[list[int], np.ndarray]:
    """The positions of one fold's examples (``folds``: each example's, :func:`fold_of`) and
    their probabilities from a model fitted on the other folds, scored the way run time
    scores (float16 weights, chunking)."""
    inside = [e for e, f in zip(examples, folds, strict=True) if f != fold]
    held = [i for i, f in enumerate(folds) if f == fold]
    probabilities = np.zeros((len(held), len(LABELS[side])), dtype=np.float32)
    if not held or not inside:
        return [], probabilities[:0]
    model = LinearModel(as_stored(fit(inside, side, config)))
    for row, i in enumerate(held):
        probabilities[row] = model.probabilities(examples[i].text)
    return held, probabilities


# One job of a training: the final fit (None) or a fold's out-of-fold probabilities.
Part = int | None
Done = tuple[Artefact | None, list[tuple[list[int], np.ndarray]]]


def trained_parts(
    examples: Sequence[Example],
    side: Side,
    config: TrainConfig,
    folds: Sequence[int],
    parts: Sequence[Part],
) -> Done:
    """Some of a training's jobs, one after the other, cutting each text's words once: the
    final fit (as stored) if ``None`` is among ``parts``, and each fold's probabilities."""
    with remembered_words(), one_blas_thread():
        whole = as_stored(fit(examples, side, config)) if None in parts else None
        held = [
            fold_probabilities(examples, side, config, folds, p) for p in parts if p is not None
        ]
    return whole, held


def one_blas_thread() -> AbstractContextManager[object]:
    """BLAS in one thread while training. liblinear's dot products over the whole vocabulary
    go through scipy's OpenBLAS: in threads, their sums came out in an order that depends
    on the machine's cores (other bytes elsewhere), and the threads' spinning beside the
    other jobs took half the CPU (``copilot train`` 131 s → 62 s on two cores)."""
    try:
        import sklearn.linear_model  # noqa: F401  (loads scipy's BLAS, to be limited too)
        from threadpoolctl import threadpool_limits
    except ModuleNotFoundError:  # fit() says what is missing
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def as_stored(artefact: Artefact) -> Artefact:
    """The artefact as loading it back gives it (float16 coefficients and IDF)."""
    return replace(
        artefact,
        idf=artefact.idf.astype(np.float16).astype(np.float32),
        coef=artefact.coef.astype(np.float16).astype(np.float32),
    )


def train(
    examples: Sequence[Example],
    side: Side,
    config: TrainConfig | None = None,
    pool: Executor | None = None,
    shares: int = 1,
) -> Artefact:
    """Thresholds from out-of-fold predictions, weights from a fit on all ``examples``.
    With a ``pool`` the final fit and the folds are dealt out in ``shares`` jobs of it
    (each cuts its texts' words once); without one they run here, in one share."""
    config = config or DEFAULT_CONFIGS[side]
    labels = LABELS[side]
    parts: list[Part] = [None, *range(config.folds)]
    folds = fold_of(examples, config.folds)
    if pool is None:
        done = [trained_parts(examples, side, config, folds, parts)]
    else:
        jobs = [
            pool.submit(trained_parts, examples, side, config, folds, parts[share::shares])
            for share in range(shares)
        ]
        done = [job.result() for job in jobs]
    artefact: Artefact | None = None
    oof = np.zeros((len(examples), len(labels)), dtype=np.float32)
    for whole, held in done:
        artefact = whole if whole is not None else artefact
        for positions, probabilities in held:
            oof[positions] = probabilities
    assert artefact is not None  # the first share holds the final fit
    gold = _gold(examples, labels)
    thresholds = {
        label: (
            choose_f1_threshold(oof[:, column], gold[:, column], config.f1_min_threshold)
            if label.startswith(config.f1_prefixes) and config.f1_prefixes
            else choose_threshold(oof[:, column], gold[:, column], config)
        )
        for column, label in enumerate(labels)
    }
    artefact.header["thresholds"] = thresholds
    return artefact


def train_corpus(
    corpus: Path, out: Path, sides: Sequence[Side] = SIDES, roles: bool = True
) -> dict[str, list[Path]]:
    """Check every file first (nothing is written if any line is bad), then train and write
    ``<out>/<side>.json`` + ``.npz`` per side, and, with ``roles`` and a ``<corpus>/systems/``
    folder, the named-system role model (``system_roles``) and name confirmer
    (``system_names``). Each side's folds and final fit are jobs of one pool of processes
    (the target is two cores; the customer side, the largest, first), the role models are
    trained in this process meanwhile."""
    examples = {side: load_side(corpus, side) for side in sides}
    role_lines = load_lines(systems_files(corpus)) if roles else []
    written: dict[str, list[Path]] = {}
    largest_first = sorted(sides, key=lambda side: -len(examples[side]))
    with ProcessPoolExecutor(max_workers=TRAIN_PROCESSES) as pool:
        # Every worker is forked at the first job, now, while this process runs no thread of
        # its own: a fork copies a lock another thread holds as held, for ever.
        pool.submit(int).result()
        with ThreadPoolExecutor(max_workers=max(1, len(sides))) as sides_at_once:
            # One thread per side hands its jobs to the pool and waits for them.
            futures = {
                side: sides_at_once.submit(train, examples[side], side, None, pool, TRAIN_PROCESSES)
                for side in largest_first
            }
            if role_lines:
                with one_blas_thread():
                    role_model, name_model = train_roles(role_lines)
                written[ROLES_ARTEFACT] = save(out, ROLES_ARTEFACT, role_model)
                if name_model is not None:
                    written[NAMES_ARTEFACT] = save(out, NAMES_ARTEFACT, name_model)
                else:  # an older confirmer would not match this corpus: none at all
                    for path in paths(out, NAMES_ARTEFACT):
                        path.unlink(missing_ok=True)
            for side in sides:
                written[side] = save(out, side, futures[side].result())
    return written


def train_roles(lines: Sequence[SystemsLine]) -> tuple[Artefact, Artefact | None]:
    """The role model of the named systems the rules find in ``lines``, and the confirmer
    of the names they could not confirm there (None when those names are all systems or
    none is: nothing to learn from)."""
    from copilot.insights import RuleExtractor

    rules = RuleExtractor()
    try:
        judged = judged_lines(rules, lines)
        roles = as_stored(fit_roles(role_examples(judged)))
        names = name_examples(judged)
        return roles, as_stored(fit_names(names)) if learnable(names) else None
    except ModuleNotFoundError as exc:
        raise TrainingUnavailable(
            "training needs scikit-learn: pip install 'sales-copilot[train]' "
            "(make test installs it)"
        ) from exc
