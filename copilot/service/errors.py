"""The live call's error policy, in one place: what a failure in each stage does to the call.

Inside a live stream an exception never escapes to the socket: it is classified here into a
:class:`Fault`, and the fault says whether the call goes on (``fatal`` False: the client
gets an ``error`` event and the stage is retried or degraded) or ends (``fatal`` True: the
call is marked ``failed`` with the reason, a fatal ``error`` event is sent and the sockets
close). pipecat's ``push_error(..., fatal=…)`` is the model.

- store, transient (database unreachable, disk full, read-only): the writes are queued and
  retried in order, the call goes on; ``store_unavailable`` reported once per outage.
- store, anything else (a constraint broken: a bug): fatal ``store_failed``.
- analysis (extraction, retrieval, compliance, the summary writer raised): retried once,
  then the final goes out without analysis (the template summary); ``analysis_failed``.
- recognition (the recogniser raised): fatal ``recognition_failed``.
- anything else (a bug in the call's own code): fatal ``internal_error``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

from copilot.store.errors import UNAVAILABLE, first_line


class Stage(StrEnum):
    RECOGNITION = "recognition"
    ANALYSIS = "analysis"
    STORE = "store"
    INTERNAL = "internal"


@dataclass(frozen=True)
class Fault:
    stage: Stage
    code: str
    message: str
    fatal: bool


class CallFailed(Exception):
    """Raised on a call's worker thread to end the call with a fatal fault."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.message)
        self.fault = fault


# What a store outage looks like: the server or the disk, not the data, is the problem.
# (SQLite raises OperationalError for "database or disk is full" and "attempt to write a
# readonly database"; PostgreSQL for a lost connection.)
_TRANSIENT_STORE_ERRORS: tuple[type[BaseException], ...] = (*UNAVAILABLE, OSError)

# Retries of a failed analysis before the final goes out without it.
ANALYSIS_ATTEMPTS = 2


def is_transient_store_error(exc: BaseException) -> bool:
    return isinstance(exc, _TRANSIENT_STORE_ERRORS)


def classify(stage: Stage, exc: BaseException) -> Fault:
    """The fault an exception raised in ``stage`` is, and whether the call survives it."""
    detail = f"{type(exc).__name__}: {first_line(exc)}"
    if stage is Stage.STORE:
        if is_transient_store_error(exc):
            return Fault(
                stage,
                "store_unavailable",
                "the database cannot be written; results are kept and stored when it is back "
                f"({detail})",
                fatal=False,
            )
        return Fault(stage, "store_failed", f"storing the call failed: {detail}", fatal=True)
    if stage is Stage.ANALYSIS:
        return Fault(
            stage,
            "analysis_failed",
            f"insights, suggestions or compliance failed for a segment; the transcript goes on "
            f"({detail})",
            fatal=False,
        )
    if stage is Stage.RECOGNITION:
        return Fault(
            stage, "recognition_failed", f"speech recognition failed: {detail}", fatal=True
        )
    return Fault(stage, "internal_error", f"the call failed: {detail}", fatal=True)


class FaultReporter:
    """Reports a non-fatal fault once while it lasts: the first failure of a code is reported,
    repeats are not until the stage has worked again (``recovered``)."""

    def __init__(self) -> None:
        self._active: set[str] = set()
        self._lock = threading.Lock()

    def should_report(self, fault: Fault) -> bool:
        with self._lock:
            if fault.fatal:
                return True
            if fault.code in self._active:
                return False
            self._active.add(fault.code)
            return True

    def recovered(self, code: str) -> None:
        with self._lock:
            self._active.discard(code)
