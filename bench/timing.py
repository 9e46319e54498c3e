"""What every benchmark here shares: percentiles of timings and pinning to one core."""

from __future__ import annotations

import os
import time
from pathlib import Path


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile; NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def pin_to_one_core() -> str:
    """Pin this process to one CPU (the targets are per core), the one other work leaves
    most idle: on a shared machine CPU 0 also serves interrupts and its neighbours, and the
    same code measured up to a third slower there. Says what it did."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity here)"
    allowed = sorted(os.sched_getaffinity(0))
    cpu = _most_idle(allowed) if len(allowed) > 1 else allowed[0]
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def _most_idle(cpus: list[int], interval_s: float = 0.3) -> int:
    """The CPU of ``cpus`` idle the longest share of ``interval_s`` (/proc/stat); the first
    where the kernel does not say."""
    before = _cpu_times()
    time.sleep(interval_s)
    after = _cpu_times()

    def idle_share(cpu: int) -> float:
        if cpu not in before or cpu not in after:
            return 0.0
        (idle0, total0), (idle1, total1) = before[cpu], after[cpu]
        return (idle1 - idle0) / max(total1 - total0, 1)

    return max(cpus, key=lambda cpu: (idle_share(cpu), -cpu))


def _cpu_times() -> dict[int, tuple[int, int]]:
    """Per CPU: jiffies idle (idle and iowait) and in all."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return {}
    times: dict[int, tuple[int, int]] = {}
    for line in lines:
        name, _, rest = line.partition(" ")
        if name.startswith("cpu") and name[3:].isdigit():
            values = [int(field) for field in rest.split()]
            times[int(name[3:])] = (sum(values[3:5]), sum(values))
    return times
