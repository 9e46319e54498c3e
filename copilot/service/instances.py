"""Which service instance holds each live call, and taking a call over when its instance died.

A call's audio streams to one instance at a time. Each instance has a row in
``service_instances`` whose ``heartbeat_at`` it refreshes every ``heartbeat_s``; the
instance a call's audio socket opens on claims the call in ``call_owners`` in the same
transaction that marks the call live. Another instance the socket reaches later:

- takes the call over when the owner's heartbeat is older than ``owner_stale_s`` (its
  process died or lost the database) or the call is no longer ``live`` there (its socket
  closed): the call resumes from its stored segments, as after a restart;
- refuses it otherwise (:class:`CallHeldElsewhere`, close 4421), so a load balancer without
  sticky routing fails loudly instead of splitting one call over two instances.

Times are the instances' own clocks (UTC): they must agree to well within ``owner_stale_s``
(NTP does). docs/instances.md.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from copilot.service.bus import OrgSignal
from copilot.store.feedback import FeedbackAdjustments, FeedbackCounts, feedback_counts
from copilot.store.models import Call, CallOwner, ServiceInstance, utcnow

logger = logging.getLogger(__name__)


class CallHeldElsewhere(Exception):
    def __init__(self, instance: str, heartbeat_age_s: float, stale_s: float) -> None:
        super().__init__(
            f"this call's audio is streaming on instance {instance} (heartbeat "
            f"{heartbeat_age_s:.0f} s ago): route the call's audio to that instance (sticky "
            f"routing), or reconnect after {stale_s:.0f} s without its heartbeat"
        )


class InstanceRegistry:
    """This instance's row and claims (blocking database work: call from worker threads)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        instance_id: str | None = None,
        heartbeat_s: float = 5.0,
        stale_s: float = 15.0,
    ) -> None:
        self.sessions = sessions
        self.instance_id = instance_id or uuid.uuid4().hex
        self.name = f"{socket.gethostname()}:{os.getpid()}"[:200]
        self.heartbeat_s = heartbeat_s
        self.stale = timedelta(seconds=stale_s)

    def register(self) -> None:
        """At start-up: this instance exists; it holds no call yet (claims left by an
        earlier process with the same configured id are void)."""
        with self.sessions.begin() as session:
            row = session.get(ServiceInstance, self.instance_id)
            now = utcnow()
            if row is None:
                session.add(ServiceInstance(id=self.instance_id, name=self.name, heartbeat_at=now))
            else:
                row.name, row.started_at, row.heartbeat_at = self.name, now, now
            session.execute(delete(CallOwner).where(CallOwner.instance_id == self.instance_id))

    def beat(self) -> None:
        with self.sessions.begin() as session:
            done = session.execute(
                update(ServiceInstance)
                .where(ServiceInstance.id == self.instance_id)
                .values(heartbeat_at=utcnow())
            )
            if done.rowcount == 0:  # type: ignore[attr-defined]  # a DML result
                session.add(ServiceInstance(id=self.instance_id, name=self.name))

    async def run_heartbeat(self) -> None:
        """Refresh the heartbeat until cancelled; a database outage is logged, not fatal
        (the instance's calls go on; others may take them over once it is stale)."""
        failures = 0
        while True:
            await asyncio.sleep(self.heartbeat_s)
            try:
                await asyncio.to_thread(self.beat)
                failures = 0
            except Exception as exc:
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    logger.warning("instance heartbeat not written (%d): %s", failures, exc)

    def claim(self, session: Session, call: Call) -> str | None:
        """Make this instance the holder of ``call`` inside the caller's transaction (the
        one that marks the call live); the instance it was taken from, if any. Raises
        :class:`CallHeldElsewhere` while another live instance holds it."""
        session.flush()  # the call row exists before a claim refers to it
        now = utcnow()
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        added = session.execute(
            insert(CallOwner)
            .values(call_id=call.id, instance_id=self.instance_id, claimed_at=now)
            .on_conflict_do_nothing(index_elements=["call_id"])
        )
        if added.rowcount == 1:  # type: ignore[attr-defined]  # a DML result
            return None
        owner = session.scalars(
            select(CallOwner).where(CallOwner.call_id == call.id).with_for_update()
        ).one()
        previous = owner.instance_id
        if previous == self.instance_id:
            return None
        holder = session.get(ServiceInstance, previous)
        age = now - _aware(holder.heartbeat_at) if holder is not None else self.stale
        if call.status == "live" and age < self.stale:
            raise CallHeldElsewhere(
                holder.name if holder else previous, age.total_seconds(), self.stale.total_seconds()
            )
        moved = session.execute(
            update(CallOwner)
            .where(CallOwner.call_id == call.id, CallOwner.instance_id == previous)
            .values(instance_id=self.instance_id, claimed_at=now)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]  # another instance was faster
            raise CallHeldElsewhere(previous, 0.0, self.stale.total_seconds())
        logger.warning(
            "call %s taken over from instance %s (%s)",
            call.id, holder.name if holder else "gone", previous,
        )  # fmt: skip
        return previous

    def release(self, call_id: str) -> None:
        """The call's audio socket closed here (after the call was marked interrupted or
        ended): any instance may take it now."""
        with self.sessions.begin() as session:
            session.execute(
                delete(CallOwner).where(
                    CallOwner.call_id == call_id, CallOwner.instance_id == self.instance_id
                )
            )

    def retire(self) -> None:
        """Shutting down: this instance holds nothing and beats no more."""
        with self.sessions.begin() as session:
            session.execute(delete(CallOwner).where(CallOwner.instance_id == self.instance_id))
            session.execute(delete(ServiceInstance).where(ServiceInstance.id == self.instance_id))

    def mark_orphaned_calls(self, session: Session) -> list[str]:
        """At start-up: calls still ``live`` whose instance is gone (no claim, or a stale
        heartbeat) lost their stream; mark them ``interrupted`` — never the calls that a
        live instance is streaming."""
        fresh = utcnow() - self.stale
        held = exists().where(
            CallOwner.call_id == Call.id,
            CallOwner.instance_id == ServiceInstance.id,
            ServiceInstance.heartbeat_at > fresh,
        )
        ids = list(session.scalars(select(Call.id).where(Call.status == "live", ~held)))
        if ids:
            session.execute(
                update(Call)
                .where(Call.id.in_(ids), Call.status == "live")
                .values(status="interrupted", ended_at=utcnow())
            )
            session.execute(delete(CallOwner).where(CallOwner.call_id.in_(ids)))
        return ids


def _aware(when: datetime) -> datetime:
    # UTCDateTime returns aware values; a naive one (older rows on SQLite) is UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=utcnow().tzinfo)


FEEDBACK_SIGNAL = "feedback"


class SharedFeedback(FeedbackAdjustments):
    """An org's suggestion feedback whose reactions recorded here also reach the other
    instances' copies (the ranking of a rep on instance 2 moves with a click on instance 1;
    the routes and live calls keep using it as a plain :class:`FeedbackAdjustments`)."""

    def __init__(
        self,
        counts: Mapping[str, FeedbackCounts],
        org_id: str,
        publish: Callable[[OrgSignal], None],
    ) -> None:
        super().__init__(counts)
        self.org_id = org_id
        self._publish = publish

    @classmethod
    def load_shared(
        cls, session: Session, org_id: str, publish: Callable[[OrgSignal], None]
    ) -> SharedFeedback:
        return cls(feedback_counts(session, org_id), org_id, publish)

    def record(self, entry_id: str, action: str) -> None:
        super().record(entry_id, action)
        self._publish(
            OrgSignal(self.org_id, FEEDBACK_SIGNAL, {"entry_id": entry_id, "action": action})
        )

    def apply_remote(self, entry_id: str, action: str) -> None:
        """A reaction recorded (and stored) on another instance."""
        super().record(entry_id, action)
