from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info
from typer.testing import CliRunner

from copilot.cli import app
from copilot.learning.artefact import load
from copilot.learning.corpus import load_side
from copilot.learning.train import one_blas_thread, train

from .conftest import SMALL_CORPUS


def test_training_twice_gives_the_same_bytes(small_models_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["train", "--corpus", str(SMALL_CORPUS), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    for name in ("customer.json", "customer.npz", "rep.json", "rep.npz"):
        assert (tmp_path / name).read_bytes() == (small_models_dir / name).read_bytes(), name


def test_the_header_says_what_the_model_is(small_models_dir: Path) -> None:
    artefact = load(small_models_dir, "rep")
    header = artefact.header
    assert header["labels"][0] == "guarantee" and len(header["labels"]) == 7
    assert header["examples"] == 150 and len(header["corpus_hash"]) == 16
    assert set(header["thresholds"]) == set(header["labels"])
    assert artefact.coef.shape == (len(artefact.vocabulary), 7)


def test_train_refuses_a_corpus_with_a_bad_line_and_writes_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    for side in ("customer", "rep"):
        (corpus / side).mkdir(parents=True)
        (corpus / side / "a.jsonl").write_text(
            (SMALL_CORPUS / side / "small.jsonl").read_text(encoding="utf-8"), encoding="utf-8"
        )
    with (corpus / "rep" / "a.jsonl").open("a", encoding="utf-8") as file:
        file.write('{"id": "x", "text": "hi"}\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["train", "--corpus", str(corpus), "--out", str(out)])
    assert result.exit_code == 1
    assert "a.jsonl:151: missing key 'categories'" in result.output
    assert not out.exists()


def test_a_pools_shares_train_the_model_one_process_trains() -> None:
    # copilot train deals a side's folds and final fit out to processes; an org's retrain
    # runs them in its own thread. Both must give one model.
    examples = load_side(SMALL_CORPUS, "customer")
    here = train(examples, "customer")
    with ProcessPoolExecutor(max_workers=2) as pool:
        dealt = train(examples, "customer", pool=pool, shares=2)
    assert dealt.header == here.header
    assert dealt.vocabulary == here.vocabulary
    np.testing.assert_array_equal(dealt.coef, here.coef)
    np.testing.assert_array_equal(dealt.intercept, here.intercept)


def test_training_runs_blas_in_one_thread() -> None:
    # In threads, liblinear's sums depended on the machine's cores (and spun half the CPU).
    with one_blas_thread():
        blas = [info for info in threadpool_info() if info["user_api"] == "blas"]
        assert blas and all(info["num_threads"] == 1 for info in blas)
