"""A missing or damaged artefact is a clear error; the service runs on the rules alone."""

from __future__ import annotations

import io
import json
import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from compliance import Scanner
from copilot.insights import RuleExtractor
from copilot.learning import ArtefactError, LinearModel, assisted_extractor, assisted_scanner
from copilot.learning.runtime import load_models


def _copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(source, target)
    return target


def test_a_missing_artefact_says_how_to_rebuild_it(tmp_path: Path) -> None:
    with pytest.raises(ArtefactError, match="missing.*copilot train"):
        LinearModel.load(tmp_path, "rep")


def test_garbage_instead_of_arrays_is_an_error(small_models_dir: Path, tmp_path: Path) -> None:
    models = _copy(small_models_dir, tmp_path)
    (models / "rep.npz").write_bytes(b"not a zip at all")
    with pytest.raises(ArtefactError, match="unreadable"):
        LinearModel.load(models, "rep")


def test_a_pickled_array_is_refused_not_run(small_models_dir: Path, tmp_path: Path) -> None:
    models = _copy(small_models_dir, tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        data = io.BytesIO()
        np.lib.format.write_array(data, np.array([object()], dtype=object), allow_pickle=True)
        archive.writestr("coef.npy", data.getvalue())
    (models / "rep.npz").write_bytes(buffer.getvalue())
    with pytest.raises(ArtefactError):
        LinearModel.load(models, "rep")


def test_arrays_that_do_not_match_the_header_are_refused(
    small_models_dir: Path, tmp_path: Path
) -> None:
    models = _copy(small_models_dir, tmp_path)
    header = json.loads((models / "rep.json").read_text(encoding="utf-8"))
    header["labels"] = header["labels"][:3]
    (models / "rep.json").write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(ArtefactError, match="do not match"):
        LinearModel.load(models, "rep")


def test_without_artefacts_the_rules_keep_working(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        models = load_models(tmp_path)
    assert models.customer is None and models.rep is None
    assert "the rep model is off, rules only" in caplog.text
    rules = RuleExtractor()
    extractor = assisted_extractor(rules, models.customer)
    assert extractor is rules
    assert extractor.extract("价格太贵了").objections[0].type == "price"
    scanner = Scanner()
    assert assisted_scanner(scanner, models.rep) is scanner
    assert not scanner.scan("我们保证三十天内一定上线").compliant


def test_an_artefact_of_an_older_format_is_refused(small_models_dir: Path, tmp_path: Path) -> None:
    models = _copy(small_models_dir, tmp_path)
    header = json.loads((models / "rep.json").read_text(encoding="utf-8"))
    header["format_version"] = 1  # sublinear TF: it would load and score wrong
    (models / "rep.json").write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(ArtefactError, match="not format version 2.*copilot train"):
        LinearModel.load(models, "rep")
