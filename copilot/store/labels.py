"""An organisation's labelled examples: what its people taught the copilot.

A manager's verdict on a flag ("not a violation" / "confirmed") and a rep's correction of an
insight ("this is / is not objection X") each become one :class:`OrgLabel`: the text, its
side (customer | rep) and the full set of label names it has. ``copilot train --org`` trains
the org's own model on them (``copilot/learning/org_models.py``). Every label is audited in
the same transaction as ``label.added``.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from copilot.learning.corpus import LABELS, SIDES, Example
from copilot.principal import Principal
from copilot.privacy import mask_text
from copilot.store import audit
from copilot.store.errors import InvalidInput
from copilot.store.models import OrgLabel

LABEL_SOURCES = ("flag_verdict", "insight_correction")
# Characters of text kept per example: an utterance or a flag's window, never a document.
MAX_TEXT = 2000


def add_label(
    session: Session,
    principal: Principal,
    *,
    side: str,
    text: str,
    labels: Iterable[str],
    taught: Iterable[str],
    source: str,
    subject_id: str | None = None,
) -> OrgLabel:
    """Store one labelled example of the principal's org (audited as ``label.added``).
    ``labels``: every label the text has; ``taught``: those the person ruled on (added or
    removed). Unknown names are refused."""
    if side not in SIDES:
        raise InvalidInput(f"side must be one of {', '.join(SIDES)}, not {side!r}")
    if source not in LABEL_SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(LABEL_SOURCES)}, not {source!r}")
    text = text.strip()[:MAX_TEXT]
    if not text:
        raise InvalidInput("a labelled example needs text")
    names = list(dict.fromkeys(labels))
    ruled = list(dict.fromkeys(taught))
    unknown = [name for name in [*names, *ruled] if name not in LABELS[side]]
    if unknown:
        raise InvalidInput(f"unknown {side} label(s): {', '.join(unknown)}")
    row = OrgLabel(
        org_id=principal.org_id,
        side=side,
        # A training example needs the words, not a person's numbers: kept masked, so the
        # org's model and its data never hold a phone, ID or card number.
        text=mask_text(text),
        labels=names,
        taught=ruled,
        source=source,
        subject_id=subject_id,
        actor_id=principal.user_id,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        principal.org_id,
        principal,
        "label.added",
        "label",
        row.id,
        {
            "side": side,
            "labels": names,
            "taught": ruled,
            "source": source,
            "subject_id": subject_id,
        },
    )
    return row


def org_examples(
    session: Session, org_id: str, side: str
) -> tuple[list[Example], set[str], set[str]]:
    """The org's examples of one side, oldest first, as training examples (a later label of
    the same text replaces an earlier one: a correction of a correction); every label its
    people ruled on; and those they took back at least once (ruled on, not in the text's
    labels: "not a violation", a removed insight)."""
    rows = session.scalars(
        select(OrgLabel)
        .where(OrgLabel.org_id == org_id, OrgLabel.side == side)
        .order_by(OrgLabel.created_at, OrgLabel.id)
    )
    latest: dict[str, Example] = {}
    taught: set[str] = set()
    denied: set[str] = set()
    for row in rows:
        latest[row.text] = Example(id=f"org:{row.id}", text=row.text, labels=tuple(row.labels))
        taught.update(row.taught)
        denied.update(set(row.taught) - set(row.labels))
    return list(latest.values()), taught, denied


def count_labels(session: Session, org_id: str) -> int:
    """How many labels the org has."""
    query = select(func.count()).select_from(OrgLabel).where(OrgLabel.org_id == org_id)
    return int(session.scalar(query) or 0)
