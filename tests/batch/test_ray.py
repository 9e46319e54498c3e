"""A batch through a real Ray head started on loopback: the same worker function as a Ray
task, the results stored by the driver."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from copilot.batch.pools import RayPool
from copilot.batch.runner import Owner, prepare, run_batch
from copilot.batch.sources import read_source
from copilot.store.models import BatchItem
from tests.batch.conftest import Store

if not os.environ.get("CI"):
    pytest.importorskip("ray", reason="Ray is the `cluster` extra")


@pytest.fixture(scope="module")
def ray_head() -> Iterator[Any]:
    """One local head for the module (both databases): starting Ray takes seconds."""
    import ray

    ray.init(
        address="local",
        num_cpus=1,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
    )
    try:
        yield ray
    finally:
        ray.shutdown()


def test_a_batch_runs_on_a_local_ray_head(store: Store, recordings: Path, ray_head: Any) -> None:
    assert ray_head.cluster_resources()["CPU"] == 1
    run_id = prepare(store.sessions, recordings, read_source(recordings), Owner(), "ray")
    pool = RayPool(store.settings, "auto")  # joins the head above instead of starting one
    counts = run_batch(store.state, run_id, pool)
    assert counts.by_status == {"done": 3}
    with store.sessions() as session:
        items = session.scalars(select(BatchItem)).all()
        assert all(item.call_id and item.duration_s for item in items)
    assert ray_head.is_initialized()  # a pool that joined a cluster leaves it running
