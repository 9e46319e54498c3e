"""Finding and verifying the weights; nothing here downloads."""

from __future__ import annotations

from pathlib import Path

import pytest

from speech import model_store
from speech.config import ModelConfig
from speech.errors import BackendMissingError, ModelUnavailableError
from speech.model_store import assemble_bundled_model, resolve_model
from speech.transcriber import load_transcriber


def test_bundled_model_is_assembled_once_and_verified(tmp_path: Path) -> None:
    target = assemble_bundled_model(tmp_path)
    assert (target / "model.bin").stat().st_size == 145_217_532
    assert (target / ".verified").is_file()
    stamp = (target / "model.bin").stat().st_mtime_ns
    assert assemble_bundled_model(tmp_path) == target
    assert (target / "model.bin").stat().st_mtime_ns == stamp  # not rebuilt
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no staging left behind


def test_checksum_mismatch_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = model_store._expected_checksums()
    monkeypatch.setattr(
        model_store, "_expected_checksums", lambda: {**real, "config.json": "0" * 64}
    )
    with pytest.raises(ModelUnavailableError, match="config.json has checksum"):
        assemble_bundled_model(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_configured_directory_must_hold_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="no model.bin"):
        resolve_model(ModelConfig(model=str(tmp_path)))
    (tmp_path / "model.bin").write_bytes(b"x")
    assert resolve_model(ModelConfig(model=str(tmp_path))) == str(tmp_path)


def test_size_names_download_only_when_allowed() -> None:
    with pytest.raises(ModelUnavailableError, match="ALLOW_DOWNLOAD"):
        resolve_model(ModelConfig(model="small"))
    assert resolve_model(ModelConfig(model="small", allow_download=True)) == "small"
    with pytest.raises(ModelUnavailableError, match="neither"):
        resolve_model(ModelConfig(model="no-such-model"))


def test_unknown_and_uninstalled_backends_say_what_to_do() -> None:
    with pytest.raises(ModelUnavailableError, match="unknown speech backend"):
        load_transcriber(ModelConfig(backend="kaldi"))
    try:  # openai-whisper is an optional extra, not installed by the test command
        import whisper  # noqa: F401
    except ModuleNotFoundError:
        with pytest.raises(BackendMissingError, match=r"pip install -e '\.\[openai-whisper\]'"):
            load_transcriber(ModelConfig(backend="openai-whisper", model="/tmp/x.pt"))


def test_misspelt_option_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="beem_size"):
        ModelConfig.model_validate({"beem_size": 5})
