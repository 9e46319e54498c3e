"""Learned classifiers beside the rule engines: they add recall, the rules keep precision.

    copilot train                      # corpus/ → copilot/learning/models/
    from copilot.learning import bundled_models, assisted_extractor, assisted_scanner

Training (scikit-learn) happens offline; run time is numpy only, reading a JSON header and
an ``.npz`` of arrays (no pickle). See docs/learning.md.
"""

from copilot.learning.artefact import ArtefactError
from copilot.learning.combine import (
    ModelAssistedExtractor,
    ModelAssistedScanner,
    assisted_extractor,
    assisted_scanner,
    extractor_like,
    scanner_like,
)
from copilot.learning.corpus import CorpusError
from copilot.learning.model import LabelHit, LayeredPredictor, LinearModel, Prediction, Predictor
from copilot.learning.runtime import Models, bundled_models, load_models

__all__ = [
    "ArtefactError",
    "CorpusError",
    "LabelHit",
    "LayeredPredictor",
    "LinearModel",
    "ModelAssistedExtractor",
    "ModelAssistedScanner",
    "Models",
    "Prediction",
    "Predictor",
    "assisted_extractor",
    "assisted_scanner",
    "bundled_models",
    "extractor_like",
    "load_models",
    "scanner_like",
]
