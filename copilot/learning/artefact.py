"""Model artefacts on disk: ``<name>.json`` (header) + ``<name>.npz`` (arrays), no pickle.

The header holds the format version, what the model reads (feature spec), its labels and
thresholds, and the hash of the corpus it was trained on; the arrays are the vocabulary, the
IDF weights and the coefficients (float16). Arrays are loaded with ``allow_pickle=False``, so
a damaged or hostile file can fail to load but never run code. Writing is byte-for-byte
reproducible: fixed zip timestamps, sorted keys.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

# 2: token weights are IDF sums over an occurrence-counting L2 norm (features.Vectorizer);
# a version-1 artefact (sublinear TF) would load but score wrong, so it is refused.
FORMAT_VERSION = 2
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class ArtefactError(RuntimeError):
    """A model artefact that is missing or cannot be read; the rules keep working without it."""


Model = TypeVar("Model")


@dataclass(frozen=True)
class Artefact:
    header: dict[str, Any]
    vocabulary: list[str]
    idf: np.ndarray
    coef: np.ndarray  # (vocabulary, labels)
    intercept: np.ndarray  # (labels,)


def paths(directory: Path, name: str) -> tuple[Path, Path]:
    return directory / f"{name}.json", directory / f"{name}.npz"


def save(directory: Path, name: str, artefact: Artefact) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    header_path, arrays_path = paths(directory, name)
    arrays = {
        # One string with newlines: a unicode array would pad every token to the longest.
        "vocabulary": np.frombuffer("\n".join(artefact.vocabulary).encode("utf-8"), np.uint8),
        "idf": artefact.idf.astype(np.float16),
        "coef": artefact.coef.astype(np.float16),
        "intercept": artefact.intercept.astype(np.float32),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in sorted(arrays):
            data = io.BytesIO()
            np.lib.format.write_array(data, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.getvalue())
    arrays_path.write_bytes(buffer.getvalue())
    header = {**artefact.header, "format_version": FORMAT_VERSION}
    header_path.write_text(
        json.dumps(header, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return [header_path, arrays_path]


def load(directory: Path, name: str) -> Artefact:
    """Raises :class:`ArtefactError` saying what is wrong and how to get a good one."""
    header_path, arrays_path = paths(directory, name)
    fix = "run `copilot train` to rebuild it"
    try:
        header = json.loads(header_path.read_text(encoding="utf-8"))
        with np.load(arrays_path, allow_pickle=False) as arrays:
            vocabulary = bytes(arrays["vocabulary"]).decode("utf-8").split("\n")
            idf = arrays["idf"].astype(np.float32)
            coef = arrays["coef"].astype(np.float32)
            intercept = arrays["intercept"].astype(np.float32)
    except FileNotFoundError as exc:
        raise ArtefactError(f"model artefact missing: {exc.filename}; {fix}") from None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise ArtefactError(f"model artefact {arrays_path} unreadable ({exc}); {fix}") from None
    if not isinstance(header, dict) or header.get("format_version") != FORMAT_VERSION:
        raise ArtefactError(f"{header_path}: not format version {FORMAT_VERSION}; {fix}")
    labels = header.get("labels")
    thresholds = header.get("thresholds")
    if not isinstance(labels, list) or not isinstance(thresholds, dict):
        raise ArtefactError(f"{header_path}: labels or thresholds missing; {fix}")
    shapes_agree = (
        coef.shape == (len(vocabulary), len(labels))
        and idf.shape == (len(vocabulary),)
        and intercept.shape == (len(labels),)
        and set(thresholds) == set(labels)
    )
    if not shapes_agree:
        raise ArtefactError(f"{arrays_path}: arrays do not match the header; {fix}")
    return Artefact(header, vocabulary, idf, coef, intercept)


def build(directory: Path, name: str, make: Callable[[Artefact], Model]) -> Model:
    """The model ``make`` builds from the artefact ``name``; raises :class:`ArtefactError`
    when the artefact is missing, damaged, or its header is not what ``make`` reads."""
    artefact = load(directory, name)
    try:
        return make(artefact)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtefactError(
            f"model artefact {name} in {directory}: bad header ({exc!r}); "
            "run `copilot train` to rebuild it"
        ) from None
