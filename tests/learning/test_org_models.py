"""Organisation models: training on the corpus plus an org's examples, publishing a version
atomically (two trainings at once, in two processes, leave one complete winner), loading,
and layering on the shipped model for the labels the org taught only."""

from __future__ import annotations

import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from copilot.learning.corpus import Example
from copilot.learning.model import LabelHit, Prediction
from copilot.learning.org_models import (
    POINTER,
    OrgModels,
    OrgPredictor,
    current_version,
    load_org_models,
    train_org,
    training_lock,
)
from copilot.learning.runtime import Models
from copilot.principal import Principal
from copilot.service.config import LearningConfig
from copilot.service.org_learning import OrgRetrainer
from copilot.store import repo
from copilot.store.labels import add_label, count_labels, org_examples
from tests.learning.conftest import SMALL_CORPUS

RIGGED = [
    "周末约您打几圈麻将，到时候我手气肯定不好，您就放心赢。",
    "下次牌局我多输您几把，就当交个朋友。",
    "打牌的钱我都备好了，输给您是应该的。",
]


def examples() -> dict[str, list[Example]]:
    rep = [Example(f"org-{i}", text, ("kickback",)) for i, text in enumerate(RIGGED)]
    return {"rep": rep}


class Fixed:
    """A predictor with fixed answers (the layering logic under test needs no model)."""

    def __init__(self, probabilities: dict[str, float], hits: list[str]) -> None:
        self.labels = tuple(probabilities)
        self._prediction = Prediction(
            probabilities, [LabelHit(label, probabilities[label], "x", 0, 1) for label in hits]
        )

    def predict(self, text: str) -> Prediction:
        return self._prediction


def test_the_org_model_decides_only_the_labels_the_org_taught() -> None:
    base = Fixed({"kickback": 0.2, "guarantee": 0.9, "privacy": 0.8}, ["guarantee", "privacy"])
    org = Fixed({"kickback": 0.95, "guarantee": 0.1, "privacy": 0.1}, ["kickback"])
    layered = OrgPredictor(base, org, frozenset({"kickback", "privacy"}))
    prediction = layered.predict("…")
    # kickback: the org's yes; privacy: the org's no (a "not a violation" verdict takes back
    # the shipped model's hit); guarantee: untouched by the org, the shipped model's.
    assert {h.label for h in prediction.hits} == {"kickback", "guarantee"}
    assert prediction.probabilities == {"kickback": 0.95, "guarantee": 0.9, "privacy": 0.1}


def test_a_label_the_org_only_confirmed_keeps_the_shipped_models_finds() -> None:
    base = Fixed({"kickback": 0.7, "privacy": 0.8}, ["kickback", "privacy"])
    org = Fixed({"kickback": 0.2, "privacy": 0.1}, [])
    # The org added kickbacks (never took one back) and took a privacy flag back.
    layered = OrgPredictor(base, org, frozenset({"kickback", "privacy"}), frozenset({"privacy"}))
    prediction = layered.predict("…")
    assert {h.label for h in prediction.hits} == {"kickback"}
    assert prediction.probabilities == {"kickback": 0.7, "privacy": 0.1}
    # And its own finds of it count where the shipped model has none.
    added = OrgPredictor(org, base, frozenset({"kickback"}), frozenset())
    assert {h.label for h in added.predict("…").hits} == {"kickback"}


def test_train_org_publishes_a_loadable_version(tmp_path: Path, small_models: Models) -> None:
    assert load_org_models(tmp_path, "acme") is None
    version = train_org(
        "acme", examples(), tmp_path, SMALL_CORPUS, base=small_models, taught={"rep": ["kickback"]}
    )
    assert current_version(tmp_path, "acme") == version
    learned = load_org_models(tmp_path, "acme")
    assert isinstance(learned, OrgModels)
    assert learned.version == version and learned.customer is None and learned.rep is not None
    assert learned.owned == {"rep": frozenset({"kickback"})}
    assert learned.denied == {"rep": frozenset({"kickback"})}  # ruled on, taken back unknown
    assert learned.rep.header["org_id"] == "acme"
    confirmed = train_org(
        "acme", examples(), tmp_path, SMALL_CORPUS, taught={"rep": ["kickback"]}, denied={}
    )
    learned = load_org_models(tmp_path, "acme")
    assert learned is not None and learned.version == confirmed
    assert learned.denied == {"rep": frozenset()}
    # Without ``taught``, the org owns what its examples name and the shipped model claims.
    train_org("acme", examples(), tmp_path, SMALL_CORPUS, base=small_models)
    again = load_org_models(tmp_path, "acme")
    assert again is not None and "kickback" in again.owned["rep"]
    # The older version was cleaned up; no staging folder is left.
    assert sorted(p.name for p in (tmp_path / "acme").iterdir()) == sorted([POINTER, again.version])


def test_a_damaged_or_missing_version_is_no_model(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / POINTER).write_text("20260101T000000-gone\n")
    assert load_org_models(tmp_path, "acme") is None
    with pytest.raises(ValueError):
        current_version(tmp_path, "../etc")


def _train_in_process(root: str, corpus: str) -> str:
    rep = [Example(f"org-{i}", text, ("kickback",)) for i, text in enumerate(RIGGED)]
    return train_org("acme", {"rep": rep}, Path(root), Path(corpus), base=Models())


def test_two_trainings_at_once_leave_one_complete_winner(tmp_path: Path) -> None:
    """Two processes train the same org at once while a reader keeps loading it: every
    load sees a whole version (or none yet), and the end is one readable current version."""
    seen: list[str | None] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                learned = load_org_models(tmp_path, "acme")
                seen.append(learned.version if learned else None)
                if learned is not None:
                    assert learned.rep is not None and learned.owned["rep"]
            except BaseException as exc:  # collected: the assertion is below
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
            futures = [
                pool.submit(_train_in_process, str(tmp_path), str(SMALL_CORPUS)) for _ in range(2)
            ]
            versions = {future.result() for future in futures}
    finally:
        done.set()
        reader.join()
    assert not errors
    assert len(versions) == 2
    winner = current_version(tmp_path, "acme")
    assert winner in versions
    learned = load_org_models(tmp_path, "acme")
    assert learned is not None and learned.version == winner and learned.rep is not None
    assert {v for v in seen if v is not None} <= versions
    assert not [p for p in (tmp_path / "acme").iterdir() if p.name.startswith(".tmp-")]


def _org_with_rep(session: Session) -> Principal:
    org = repo.create_org(session, "甲公司")
    rep = repo.create_user(session, org.id, name="钱", email="q@a.example", role="rep")
    return Principal(user_id=rep.id, org_id=org.id, role="rep", team_id=None)


def test_labels_are_stored_per_org_and_a_later_one_replaces_an_earlier(
    db_session: Session,
) -> None:
    principal = _org_with_rep(db_session)
    for labels in (["kickback"], []):
        add_label(
            db_session,
            principal,
            side="rep",
            text=RIGGED[0],
            labels=labels,
            taught=["kickback"],
            source="insight_correction",
        )
    add_label(
        db_session,
        principal,
        side="customer",
        text="我们得先过一下信创目录",
        labels=["objection:risk"],
        taught=["objection:risk"],
        source="insight_correction",
    )
    rep, taught, denied = org_examples(db_session, principal.org_id, "rep")
    assert [(e.text, e.labels) for e in rep] == [(RIGGED[0], ())]
    assert taught == {"kickback"}
    assert denied == {"kickback"}  # the second label took it back
    customer = org_examples(db_session, principal.org_id, "customer")
    assert customer[1] == {"objection:risk"} and customer[2] == set()
    assert org_examples(db_session, "another-org", "rep") == ([], set(), set())
    with pytest.raises(Exception, match="unknown rep label"):
        add_label(
            db_session,
            principal,
            side="rep",
            text="x",
            labels=["objection:price"],
            taught=[],
            source="insight_correction",
        )


def _teach_kickback(session: Session, principal: Principal, text: str) -> None:
    add_label(
        session,
        principal,
        side="rep",
        text=text,
        labels=["kickback"],
        taught=["kickback"],
        source="insight_correction",
    )


def test_the_retrainer_trains_off_the_caller_thread_once_enough_labels_came(
    db_url: str, tmp_path: Path
) -> None:
    from copilot.store.db import make_engine, session_factory

    engine = make_engine(db_url)
    sessions: sessionmaker[Session] = session_factory(engine)
    try:
        with sessions.begin() as session:
            principal = _org_with_rep(session)
        config = LearningConfig(org_models_dir=tmp_path, corpus_dir=SMALL_CORPUS, retrain_after=2)
        retrainer = OrgRetrainer(sessions, config)
        caller = threading.current_thread()
        trained_on: list[threading.Thread] = []
        original = retrainer._check

        def spy(org_id: str) -> str | None:
            trained_on.append(threading.current_thread())
            return original(org_id)

        retrainer._check = spy  # type: ignore[method-assign]
        for n, text in enumerate(RIGGED[:2]):
            with sessions.begin() as session:
                _teach_kickback(session, principal, text)
            future = retrainer.labels_added(principal.org_id)
            assert future is not None
            version = future.result(timeout=120)
            assert (version is None) == (n == 0)  # one label is not enough, two are
        assert trained_on and caller not in trained_on
        learned = load_org_models(tmp_path, principal.org_id)
        assert learned is not None and learned.labels_seen == 2
        # No new label since: nothing to do.
        future = retrainer.labels_added(principal.org_id)
        assert future is not None and future.result(timeout=60) is None
        retrainer.shutdown()
    finally:
        engine.dispose()


def test_a_retrain_waits_for_a_training_elsewhere_and_does_not_repeat_it(
    db_url: str, tmp_path: Path
) -> None:
    """Another process (here: this test, through the same lock on the shared folder) is
    training the org when its labels reach the threshold: the retrainer waits for it, then
    finds those labels learned and trains nothing."""
    from copilot.store.db import make_engine, session_factory

    engine = make_engine(db_url)
    sessions: sessionmaker[Session] = session_factory(engine)
    try:
        with sessions.begin() as session:
            principal = _org_with_rep(session)
            for text in RIGGED[:2]:
                _teach_kickback(session, principal, text)
        org_id = principal.org_id
        config = LearningConfig(org_models_dir=tmp_path, corpus_dir=SMALL_CORPUS, retrain_after=2)
        retrainer = OrgRetrainer(sessions, config)
        with training_lock(tmp_path, org_id):
            future = retrainer.labels_added(org_id)
            assert future is not None
            with pytest.raises(TimeoutError):
                future.result(timeout=1.0)  # waiting for the lock
            with sessions() as session:
                rep, _, _ = org_examples(session, org_id, "rep")
                seen = count_labels(session, org_id)
            elsewhere = train_org(
                org_id, {"rep": rep}, tmp_path, SMALL_CORPUS, base=Models(), labels_seen=seen
            )
        assert future.result(timeout=120) is None
        assert current_version(tmp_path, org_id) == elsewhere
        versions = [p.name for p in (tmp_path / org_id).iterdir() if not p.name.startswith(".")]
        assert sorted(versions) == sorted([POINTER, elsewhere])
        retrainer.shutdown()
    finally:
        engine.dispose()


def test_a_label_keeps_no_personal_number(db_session: Session) -> None:
    principal = _org_with_rep(db_session)
    said = "您把身份证号发我，我的手机13912345678，返点打到这张卡"
    add_label(
        db_session,
        principal,
        side="rep",
        text=said,
        labels=["kickback"],
        taught=["kickback"],
        source="flag_verdict",
    )
    stored, _, _ = org_examples(db_session, principal.org_id, "rep")
    assert "13912345678" not in stored[0].text
    assert stored[0].text.replace("*", "") != said and len(stored[0].text) == len(said)
