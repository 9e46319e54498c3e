"""Kept recordings: the org's policy, where the files live, and their retention.

An org that sets ``keep_recordings: true`` in its policy keeps each call's audio after
analysis (an upload is moved here instead of deleted; a streamed call is written to a WAV
file as it streams). Files live in ``<upload dir>/recordings/`` (0700, files 0600), named
after their call; the call row holds the name relative to that directory, so a moved data
directory still resolves and a stored value can never point outside it.

Retention: ``recording_retention_days`` (default the org's ``retention_days``) — never
longer than the transcript is kept, since the recording holds the same words.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.store.models import Call, Org, utcnow

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9]{1,8})?$")
# Phrases by which a rep gives the 录音告知 (the notice that the call is recorded).
NOTICE_PATTERN = re.compile(r"(本次|这次|此次|这通|我们的)?(通话|电话).{0,6}录音|录音告知|正在录音")


def keeps_recordings(policy: dict[str, Any] | None) -> bool:
    return (policy or {}).get("keep_recordings") is True


def recording_cutoff(policy: dict[str, Any] | None, cutoff: datetime, now: datetime) -> datetime:
    """Calls started before this lose their recording: the org's
    ``recording_retention_days`` when set, never later than the transcripts' ``cutoff``."""
    value = (policy or {}).get("recording_retention_days")
    if isinstance(value, int) and value > 0:
        return max(cutoff, now - timedelta(days=value))
    return cutoff


def recordings_root(upload_root: Path) -> Path:
    return upload_root / "recordings"


def ensure_root(root: Path) -> Path:
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root.chmod(0o700)
    return root


def file_name(call_id: str, suffix: str) -> str:
    name = f"{call_id}{suffix}"
    if not _NAME.match(name):
        raise ValueError(f"not a recording name: {name!r}")
    return name


def resolve(root: Path, stored: str | None) -> Path | None:
    """The file a call's ``recording_path`` names, if it is a plain name that exists."""
    if stored is None or not _NAME.match(stored):
        return None
    path = root / stored
    return path if path.is_file() else None


def keep_upload(root: Path, call_id: str, upload: Path) -> str:
    """Move an analysed upload into the recordings directory; the stored name."""
    name = file_name(call_id, upload.suffix if _NAME.match(f"x{upload.suffix}") else "")
    ensure_root(root)
    os.replace(upload, root / name)
    (root / name).chmod(0o600)
    return name


def is_notice(text: str) -> bool:
    """Whether a rep's line gives the recording notice (「本次通话会被录音」…)."""
    return NOTICE_PATTERN.search(text) is not None


def expired_recordings(session: Session, org_id: str, cutoff: datetime) -> list[Call]:
    """The org's calls started before ``cutoff`` that still hold a recording."""
    return list(
        session.scalars(
            select(Call).where(
                Call.org_id == org_id,
                Call.started_at < cutoff,
                Call.recording_path.is_not(None),
                Call.status.not_in(("live", "analysing")),
            )
        )
    )


def forget(root: Path | None, calls: list[Call]) -> int:
    """Delete these calls' recordings and clear their paths; how many files went."""
    removed = 0
    for call in calls:
        path = resolve(root, call.recording_path) if root is not None else None
        if path is not None:
            path.unlink(missing_ok=True)
            removed += 1
        call.recording_path = None
    return removed


def start_streamed(session: Session, call: Call, *, notice: bool) -> str | None:
    """A streamed call starts (or resumes): note a 录音告知 the client reports, and the WAV
    file its audio goes to when the org keeps recordings (None: it does not)."""
    if notice and call.recording_notice_at is None:
        call.recording_notice_at = utcnow()
    org = session.get(Org, call.org_id)
    if org is None or not keeps_recordings(org.policy):
        return None
    if call.recording_path is None:
        call.recording_path = file_name(call.id, ".wav")
    return call.recording_path
