"""Two real service instances (separate ``copilot serve`` processes) on one real PostgreSQL.

The database is cloned from the suite's migrated template; both processes share it, the
data directory (so the same socket-token secret and KB index) and a CRM receiver. A test
may kill an instance; the next test gets it started again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from copilot.store.db import make_engine, session_factory
from copilot.store.repo import ensure_demo_tenant
from tests import processes
from tests.crm.receiver import Receiver, free_port
from tests.dbfixtures import PgServer

CRM_SECRET = "cluster-test-webhook-secret-0123456789"
# Short heartbeats so a killed instance is stale within seconds, not the default 15 s.
HEARTBEAT_S = 0.5
OWNER_STALE_S = 3.0
START_TIMEOUT_S = 60.0
# The console script of the venv running the tests.
COPILOT = str(Path(sys.executable).parent / "copilot")


@dataclass
class Instance:
    name: str
    env: dict[str, str]
    log: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [COPILOT, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        assert self.process is not None
        processes.wait_until_answering(
            f"{self.url}/healthz", self.process, self.log, START_TIMEOUT_S, self.name
        )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no interrupted marks, no release: as a crashed machine."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            processes.stop(self.process)


@dataclass
class Cluster:
    db_url: str
    rep_key: str
    org_id: str
    crm: Receiver
    instances: list[Instance] = field(default_factory=list)

    def ensure_running(self) -> None:
        dead = [i for i in self.instances if not i.alive]
        for instance in dead:
            instance.start()
        for instance in dead:
            instance.wait_ready()

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.rep_key}"}


def _instance_env(db_url: str, crm_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_")}
    env.update(
        {
            "COPILOT_DATABASE__URL": db_url,
            "COPILOT_SERVICE__PRELOAD_SPEECH": "false",
            "COPILOT_SERVICE__MAX_AUDIO_SPEED": "8",
            "COPILOT_SERVICE__CLUSTER__HEARTBEAT_S": str(HEARTBEAT_S),
            "COPILOT_SERVICE__CLUSTER__OWNER_STALE_S": str(OWNER_STALE_S),
            "COPILOT_CRM__WEBHOOK_URL": crm_url,
            "COPILOT_CRM__SECRETS": json.dumps([CRM_SECRET]),
            "COPILOT_CRM__POLL_INTERVAL_S": "0.2",
            "COPILOT_CRM__BATCH_SIZE": "2",
            "HF_HUB_OFFLINE": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@pytest.fixture(scope="module")
def _cluster(
    pg_cluster: PgServer, _pg_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    name = pg_cluster.create_database(_pg_template)
    db_url = pg_cluster.url(name)
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        tenant = ensure_demo_tenant(session)
        rep_key, org_id = tenant.rep_key, tenant.org.id
    engine.dispose()
    crm = Receiver([CRM_SECRET], now=time.time)
    crm.start()
    logs = tmp_path_factory.mktemp("instances")
    env = _instance_env(db_url, crm.url)
    cluster = Cluster(db_url, rep_key, org_id, crm)
    cluster.instances = [Instance(f"instance{n}", env, logs / f"instance{n}.log") for n in (1, 2)]
    try:
        cluster.ensure_running()
        yield cluster
    finally:
        for instance in cluster.instances:
            instance.stop()
        crm.stop()
        pg_cluster.drop_database(name)


@pytest.fixture
def cluster(_cluster: Cluster) -> Cluster:
    _cluster.ensure_running()
    return _cluster
