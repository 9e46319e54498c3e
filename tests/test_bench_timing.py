"""The benches' shared timing helpers: which core a speed table is measured on."""

from __future__ import annotations

import pytest

from bench import timing


def test_the_core_other_work_leaves_most_idle_is_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    # CPU 0 busy (idle 10 of 100 jiffies), CPU 1 nearly idle (90 of 100), CPU 2 not reported.
    samples = iter([{0: (0, 0), 1: (0, 0)}, {0: (10, 100), 1: (90, 100)}])
    monkeypatch.setattr(timing, "_cpu_times", lambda: next(samples))
    assert timing._most_idle([0, 1, 2], interval_s=0) == 1


def test_equally_idle_cores_pick_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timing, "_cpu_times", lambda: {})
    assert timing._most_idle([3, 1, 2], interval_s=0) == 1


def test_proc_stat_is_read_per_cpu() -> None:
    times = timing._cpu_times()
    if not times:
        pytest.skip("no /proc/stat here")
    for idle, total in times.values():
        assert 0 <= idle <= total


def test_percentile_is_the_nearest_rank() -> None:
    assert timing.percentile([5.0, 1.0, 3.0], 50) == 3.0
    assert timing.percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0
    assert timing.percentile([], 50) != timing.percentile([], 50)  # NaN
