"""Retraining an organisation's own model off the request path.

A route that stores a label calls :meth:`OrgRetrainer.labels_added` after committing; that
only hands the org to a single background thread and returns. The thread counts the org's
labels since its current model was trained and, past ``retrain_after``, trains a new
version (copilot/learning/org_models.py); the next request of that org picks it up through
``OrgEnginesCache``. One training at a time (an org asked for again while it trains is
checked once more afterwards), never on a request's thread. Across processes that share the
models folder, an org's check waits for a training of it elsewhere
(:func:`~copilot.learning.org_models.training_lock`) and then counts against the model that
training published, so the same labels are not trained twice.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from copilot.learning.corpus import SIDES, Example, Side
from copilot.learning.org_models import load_org_models, train_org, training_lock
from copilot.learning.train import TrainingUnavailable
from copilot.service.config import LearningConfig
from copilot.store.db import data_home
from copilot.store.labels import count_labels, org_examples

logger = logging.getLogger(__name__)


def org_models_dir(config: LearningConfig) -> Path:
    return (
        config.org_models_dir if config.org_models_dir is not None else data_home() / "org_models"
    )


def train_org_now(
    sessions: sessionmaker[Session], org_id: str, root: Path, corpus: Path
) -> str | None:
    """Train the org's model on its labels now (blocking, after any training of the org
    under way in this or another process); the new version, or None when the org has no
    labels."""
    with training_lock(root, org_id):
        return _train_locked(sessions, org_id, root, corpus)


def _train_locked(
    sessions: sessionmaker[Session], org_id: str, root: Path, corpus: Path
) -> str | None:
    examples: dict[Side, list[Example]] = {}
    taught: dict[Side, set[str]] = {}
    denied: dict[Side, set[str]] = {}
    with sessions() as session:
        for side in SIDES:
            examples[side], taught[side], denied[side] = org_examples(session, org_id, side)
        seen = count_labels(session, org_id)
    if not any(examples.values()):
        return None
    return train_org(org_id, examples, root, corpus, taught=taught, denied=denied, labels_seen=seen)


class OrgRetrainer:
    def __init__(self, sessions: sessionmaker[Session], config: LearningConfig) -> None:
        self.sessions = sessions
        self.config = config
        self.root = org_models_dir(config)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="org-retrain")
        self._lock = threading.Lock()
        self._queued: set[str] = set()

    def labels_added(self, org_id: str) -> Future[str | None] | None:
        """Check (in the background) whether the org is due a retrain; never blocks. None
        when retraining is off or the org is already waiting for its check."""
        if self.config.retrain_after <= 0:
            return None
        with self._lock:
            if org_id in self._queued:
                return None
            self._queued.add(org_id)
        return self._executor.submit(self._check, org_id)

    def _check(self, org_id: str) -> str | None:
        with self._lock:
            # From here a new label queues another check, which runs after this one.
            self._queued.discard(org_id)
        try:
            with training_lock(self.root, org_id):
                current = load_org_models(self.root, org_id)
                with self.sessions() as session:
                    new = count_labels(session, org_id) - (current.labels_seen if current else 0)
                if new < self.config.retrain_after:
                    return None
                version = _train_locked(self.sessions, org_id, self.root, self.config.corpus_dir)
            logger.info("org %s: model retrained after %d new labels: %s", org_id, new, version)
            return version
        except TrainingUnavailable as exc:
            logger.warning("org %s: not retrained: %s", org_id, exc)
            return None
        except Exception:
            logger.exception("org %s: retraining failed; the current model stays", org_id)
            return None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
