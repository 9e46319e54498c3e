"""The run-time predictor: a linear multi-label model over TF-IDF tokens, numpy only.

``predict`` gives each label a calibrated probability (logistic) and, for the labels at or
above their threshold, the clause that scored highest for that label (the evidence a human
can check). Long texts (a 500-character message) are scored chunk by chunk, a few sentences
at a time, and a label takes its best chunk: one violating sentence among twenty ordinary
ones must not drown.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from compliance.normalize import Normalized, normalize
from copilot.learning.artefact import Artefact, build
from copilot.learning.features import (
    FeatureSpec,
    Occurrences,
    Vectorizer,
    canonical,
)

# Clauses end at Chinese and ASCII punctuation and line breaks, sentences at fewer marks; the
# canonical text has folded full-width marks to ASCII (both kinds are listed anyway). A run
# of other characters is a clause or a sentence.
_CLAUSE = re.compile(r"[^，,。.！!？?；;、：:…\n]+")
_SENTENCE = re.compile(r"[^。.！!？?；;\n]+")
# Texts up to this many characters are scored whole, longer ones chunk by chunk.
CHUNK_CHARS = 100

# A model's probability is never certainty: rounded to four places it shows at most this.
MOST_SURE = 0.9999


@dataclass(frozen=True)
class LabelHit:
    """A label at or above its threshold, with the clause that scored highest for it
    (``start``/``end`` index the text given to ``predict``)."""

    label: str
    confidence: float
    evidence: str
    start: int
    end: int


@dataclass(frozen=True)
class Prediction:
    probabilities: dict[str, float] = field(default_factory=dict)
    hits: list[LabelHit] = field(default_factory=list)

    def hit(self, label: str) -> LabelHit | None:
        return next((h for h in self.hits if h.label == label), None)


class Predictor(Protocol):
    """Anything that scores a text's labels: the shipped model, an organisation's own, or
    one that asks an LLM to adjudicate another's borderline hits."""

    labels: tuple[str, ...]

    def predict(self, text: str) -> Prediction:
        """Probabilities of every label and the hits above threshold with their evidence."""


def pieces(text: str, run: re.Pattern[str]) -> np.ndarray:
    """``[start, end)`` rows of the runs of ``text`` that ``run`` matches."""
    return np.array([m.span() for m in run.finditer(text)], dtype=np.intp).reshape(-1, 2)


def chunks(text: str, limit: int = CHUNK_CHARS) -> np.ndarray:
    """The whole text when short, else runs of whole sentences of about ``limit`` chars."""
    if len(text) <= limit:
        return np.array([[0, len(text)]], dtype=np.intp)
    out: list[list[int]] = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        if out and end - out[-1][0] <= limit:
            out[-1][1] = end
        else:
            out.append([start, end])
    return np.array(out, dtype=np.intp).reshape(-1, 2)


class LinearModel:
    """Loaded from an artefact; thread-safe (read-only after construction).

    Scores are linear in the tokens' occurrences (see :class:`Vectorizer`), so a text is
    looked up once and every span of it (chunks, then clauses for the labels that passed)
    is scored from prefix sums of per-token rows ``idf × coef`` and ``idf²``."""

    # No prediction reads further than this (the scanner's default bound): a 2 MB message
    # costs what its first 20,000 characters cost.
    max_chars = 20_000

    def __init__(self, artefact: Artefact) -> None:
        header = artefact.header
        self.header = header
        self.name: str = str(header.get("name", "model"))
        self.labels: tuple[str, ...] = tuple(header["labels"])
        self.thresholds = np.array(
            [float(header["thresholds"][label]) for label in self.labels], dtype=np.float32
        )
        self.vectorizer = Vectorizer(
            FeatureSpec(**header["features"]), artefact.vocabulary, artefact.idf
        )
        idf = self.vectorizer.idf[:, None]
        coef = np.asarray(artefact.coef, dtype=np.float32)
        # One row per token: what it adds to each label's logit (before the norm), and to
        # the squared norm.
        self.rows = np.ascontiguousarray(np.hstack([idf * coef, idf * idf]), dtype=np.float32)
        self.intercept = artefact.intercept.astype(np.float32)

    @classmethod
    def load(cls, directory: Path, name: str) -> LinearModel:
        """Raises :class:`ArtefactError` when the artefact is missing or damaged."""
        return build(directory, name, cls)

    def token_rows(self, occurrences: Occurrences) -> np.ndarray:
        """The rows of the text's tokens, in text order, and a row of zeros after them."""
        rows = np.zeros((len(occurrences.indices) + 1, self.rows.shape[1]), dtype=np.float32)
        np.take(self.rows, occurrences.indices, axis=0, out=rows[:-1])
        return rows

    def span_probabilities(
        self, occurrences: Occurrences, rows: np.ndarray, bounds: np.ndarray
    ) -> np.ndarray:
        """Per span (``bounds``: sorted, not overlapping ``[start, end)`` pairs of the
        canonical text), per label: the probability."""
        edges = np.searchsorted(occurrences.positions, bounds.ravel())
        # reduceat sums rows[edges[i]:edges[i + 1]]: the even ones are the spans; an empty
        # span would give its first row instead of zeros.
        totals = np.add.reduceat(rows, edges, axis=0)[0::2]
        totals[edges[0::2] == edges[1::2]] = 0.0
        norms = np.sqrt(np.maximum(totals[:, -1:], 1e-12))
        logits = totals[:, :-1] / norms + self.intercept
        # A logit far below zero (a wall of one repeated phrase) overflows exp to inf, which
        # gives the right probability, 0: no warning for it.
        with np.errstate(over="ignore"):
            result: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return result

    def probabilities(self, text: str) -> np.ndarray:
        """Per label: the best chunk's probability."""
        return self._scored(canonical(text[: self.max_chars]))[2]

    def _scored(self, normal: str) -> tuple[Occurrences, np.ndarray, np.ndarray]:
        occurrences = self.vectorizer.occurrences_of(normal)
        rows = self.token_rows(occurrences)
        scores = self.span_probabilities(occurrences, rows, chunks(normal))
        return occurrences, rows, scores.max(axis=0, initial=0.0)

    def predict(self, text: str, *, skip: Collection[str] = ()) -> Prediction:
        """As :meth:`Predictor.predict`; labels in ``skip`` (the rules already found them)
        get their probability but no hit, which spares finding their evidence."""
        text = text[: self.max_chars]
        if not text.strip():
            return self._nothing()
        normal = normalize(text)
        occurrences, rows, probabilities = self._scored(normal.text)
        return self._prediction(text, normal, 0, occurrences, rows, probabilities, skip)

    def predict_many(
        self, texts: Sequence[str], skips: Sequence[Collection[str]] | None = None
    ) -> list[Prediction]:
        """:meth:`predict` of each text (``skips[i]`` for ``texts[i]``), the same figures,
        in one pass: the texts' canonical forms are looked up as one text, a line break
        between them (no token reaches across one), and all their chunks scored at once,
        so a bulk scan pays the array calls once per batch instead of once per message."""
        texts = [text[: self.max_chars] for text in texts]
        skipped = list(skips) if skips is not None else [()] * len(texts)
        if len(skipped) != len(texts):
            raise ValueError("one skip set per text")
        live = [i for i, text in enumerate(texts) if text.strip()]
        if len(live) < 2:
            return [self.predict(t, skip=s) for t, s in zip(texts, skipped, strict=True)]
        predictions = [self._nothing() for _ in texts]
        normals = [normalize(texts[i]) for i in live]
        offsets = np.cumsum([0, *(len(normal.text) + 1 for normal in normals)])[:-1]
        occurrences = self.vectorizer.occurrences_of("\n".join(n.text for n in normals))
        rows = self.token_rows(occurrences)
        parts = [chunks(n.text) + offset for n, offset in zip(normals, offsets, strict=True)]
        counts = np.array([len(part) for part in parts])
        scores = self.span_probabilities(occurrences, rows, np.concatenate(parts))
        best = np.zeros((len(live), len(self.labels)), dtype=scores.dtype)
        some = counts > 0  # a text of punctuation alone has no chunk: every label 0
        if some.any():
            best[some] = np.maximum.reduceat(scores, (np.cumsum(counts) - counts)[some], axis=0)
        for n, i in enumerate(live):
            predictions[i] = self._prediction(
                texts[i], normals[n], int(offsets[n]), occurrences, rows, best[n], skipped[i]
            )
        return predictions

    def _nothing(self) -> Prediction:
        return Prediction({label: 0.0 for label in self.labels}, [])

    def _prediction(
        self,
        text: str,
        normal: Normalized,
        offset: int,
        occurrences: Occurrences,
        rows: np.ndarray,
        probabilities: np.ndarray,
        skip: Collection[str],
    ) -> Prediction:
        """Every label's probability and the hits: the labels at or above threshold (but
        those in ``skip``), each with the clause that scores highest for it (``offset``:
        where ``normal`` starts in the looked-up text)."""
        named = {label: float(p) for label, p in zip(self.labels, probabilities, strict=True)}
        above = [
            column
            for column in np.flatnonzero(probabilities >= self.thresholds).tolist()
            if self.labels[column] not in skip
        ]
        if not above:
            return Prediction(named, [])
        clauses = pieces(normal.text, _CLAUSE)
        if not len(clauses):
            clauses = np.array([[0, len(normal.text)]], dtype=np.intp)
        scores = self.span_probabilities(occurrences, rows, clauses + offset)
        hits: list[LabelHit] = []
        for column in above:
            best = int(np.argmax(scores[:, column]))
            start, end = normal.to_original(int(clauses[best, 0]), int(clauses[best, 1]))
            hits.append(
                LabelHit(
                    label=self.labels[column],
                    confidence=min(round(float(probabilities[column]), 4), MOST_SURE),
                    evidence=text[start:end],
                    start=start,
                    end=end,
                )
            )
        return Prediction(named, hits)


class LayeredPredictor:
    """The shipped model with an organisation's own on top: per label the more confident
    of the two (the org's model only ever sees its own org's texts)."""

    def __init__(self, base: Predictor, org: Predictor) -> None:
        self.base = base
        self.org = org
        self.labels = base.labels

    def predict(self, text: str) -> Prediction:
        base = self.base.predict(text)
        org = self.org.predict(text)
        probabilities = {
            label: max(p, org.probabilities.get(label, 0.0))
            for label, p in base.probabilities.items()
        }
        hits: dict[str, LabelHit] = {}
        for hit in [*base.hits, *org.hits]:
            known = hits.get(hit.label)
            if known is None or hit.confidence > known.confidence:
                hits[hit.label] = hit
        return Prediction(probabilities, list(hits.values()))
