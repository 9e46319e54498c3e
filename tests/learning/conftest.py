"""Fixtures of the learning tests: a small fixed corpus and the models trained on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from copilot.learning.runtime import Models, load_models
from copilot.learning.train import train_corpus

SMALL_CORPUS = Path(__file__).parent / "data" / "corpus"


@pytest.fixture(scope="session")
def small_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models")
    train_corpus(SMALL_CORPUS, out)
    return out


@pytest.fixture(scope="session")
def small_models(small_models_dir: Path) -> Models:
    return load_models(small_models_dir)
