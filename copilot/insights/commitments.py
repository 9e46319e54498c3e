"""Commitments: the speaker says they will do something, usually by a time.

「我周四之前把方案发您」 (rep) -> who rep, what 把方案发您, due 周四;
「我下周给您答复」 (customer) -> who customer. Requests to the listener (你先把方案发我), other
people's plans (他下周出差) and questions are not commitments.
"""

from __future__ import annotations

import re

from copilot.insights.lexicon import CommitmentLexicon
from copilot.insights.models import Commitment, Evidence, Speaker
from copilot.insights.text import Segmenter

_SUBJECT = re.compile(r"^(我们这边|我这边|我们|我|咱们|这边)")
_LEADING_MARKERS = re.compile(r"^(会|来|就|再|先|都|也|马上|尽快|一定|争取|负责|这就)+")
_QUESTION_ENDS = "？?"


class CommitmentExtractor:
    def __init__(self, lexicon: CommitmentLexicon) -> None:
        pieces = "|".join(f"(?:{piece})" for piece in lexicon.time_pieces)
        self._due = re.compile(
            rf"(?:{pieces})+(?:(?P<end>{lexicon.time_end})|(?P<span>{lexicon.span_end}))?"
        )
        self._verb = re.compile(lexicon.verbs)
        self._future = re.compile(lexicon.future_markers)
        self._other = re.compile(rf"^(?:{lexicon.other_subjects})")
        self._fillers = re.compile(lexicon.fillers)
        self._reject = re.compile(lexicon.reject)

    def extract(
        self, segmenter: Segmenter, speaker: Speaker, utterance_id: str | None
    ) -> list[Commitment]:
        if speaker == "unknown":
            return []  # a commitment without a known speaker cannot say who owes it
        found = []
        text = segmenter.text
        for span in segmenter.clauses():
            terminator = text[span.end : span.end + 1]
            clause = text[span.start : span.end].strip()
            commitment = self._commitment(clause, terminator, speaker, utterance_id)
            if commitment is not None:
                found.append(commitment)
        return found

    def _commitment(
        self, clause: str, terminator: str, speaker: Speaker, utterance_id: str | None
    ) -> Commitment | None:
        body = self._fillers.sub("", clause)
        if not body or self._other.match(body) or (terminator and terminator in _QUESTION_ENDS):
            return None
        if self._reject.search(body):
            return None
        due = self._due.search(body)
        future = self._future.search(body)
        if due is None and future is None:
            return None
        after_marker = max(due.end() if due else 0, future.end() if future else 0)
        verb = self._verb.search(body, after_marker)
        if verb is None:
            return None
        what = _LEADING_MARKERS.sub("", _SUBJECT.sub("", body[after_marker:].strip()))
        if not what:
            return None
        due_text = None
        if due is not None:
            due_text = due.group()
            if due["end"]:
                due_text = due_text[: -len(due["end"])]  # 明天下午之前 -> 明天下午
        return Commitment(
            who="rep" if speaker == "rep" else "customer",
            what=what,
            due=due_text or None,
            evidence=Evidence(utterance_id=utterance_id, text=clause),
        )
