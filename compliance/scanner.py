"""The compliance scanner: one message in, a :class:`ScanResult` out.

>>> from compliance import Scanner
>>> Scanner().scan("我们保证三十天内一定上线").compliant
False
"""

from __future__ import annotations

from collections.abc import Iterable

from compliance.config import ComplianceConfig
from compliance.engine import Hit, evaluate
from compliance.models import SEVERITY_RANK, Flag, ScanResult
from compliance.numbers import render_rate
from compliance.pack import RulePack
from compliance.store import RulePackStore
from compliance.text import Document


class Scanner:
    """Scans outgoing messages and final transcript segments of the rep.

    Thread-safe and cheap to call: the rule pack is compiled once and swapped atomically
    when its files change (see :class:`RulePackStore`).
    """

    def __init__(
        self, config: ComplianceConfig | None = None, *, store: RulePackStore | None = None
    ) -> None:
        self.store = store or RulePackStore(config)
        self.config = self.store.config

    @property
    def pack(self) -> RulePack:
        return self.store.pack

    def reload(self) -> RulePack:
        """Re-read the rule files now; raises RulePackError and keeps the old pack on error."""
        return self.store.reload()

    def scan(self, text: str) -> ScanResult:
        """Flags in ``text``. Empty text is compliant; text beyond ``max_chars`` is not scanned
        (the result says ``truncated``). Raises TypeError if ``text`` is not a str."""
        if not isinstance(text, str):
            raise TypeError(f"scan() expects text as str, got {type(text).__name__}")
        truncated = len(text) > self.config.max_chars
        if truncated:
            text = text[: self.config.max_chars]
        if not text.strip():
            return ScanResult(compliant=True, flags=[], truncated=truncated)
        pack = self.store.current()
        doc = Document.of(text)
        # Raw hits are capped well above max_flags: overlapping hits merge into fewer flags.
        hits = evaluate(pack, doc, limit=4 * self.config.max_flags)
        flags = [_flag(doc, hit, pack) for hit in _strongest(hits)]
        return ScanResult.from_flags(flags[: self.config.max_flags], truncated=truncated)

    def scan_many(self, texts: Iterable[str]) -> list[ScanResult]:
        """:meth:`scan` of each text, in order (a scanner with a learned model does the
        model's part for several messages at once: bulk checks, ``copilot scan --jsonl``)."""
        return [self.scan(text) for text in texts]


def _strongest(hits: list[Hit]) -> list[Hit]:
    """One flag per problem: of overlapping hits in the same category keep the most severe
    (then the longest); different categories on the same words are all reported."""
    ranked = sorted(hits, key=lambda h: (-SEVERITY_RANK[h.rule.severity], h.start - h.end, h.start))
    kept: list[Hit] = []
    for hit in ranked:
        if not any(
            k.rule.category == hit.rule.category and k.start < hit.end and hit.start < k.end
            for k in kept
        ):
            kept.append(hit)
    return sorted(kept, key=lambda h: (h.start, h.end, h.rule.id))


def _flag(doc: Document, hit: Hit, pack: RulePack) -> Flag:
    start, end = doc.to_original(hit.start, hit.end)
    suggestion = hit.rule.suggestion
    if "{" in suggestion:
        values = {"limit": render_rate(pack.detector_settings.max_discount_off), **hit.values}
        for key, value in values.items():
            suggestion = suggestion.replace("{" + key + "}", value)
    # Every field comes from the validated rule pack: skip validation on this hot path.
    return Flag.model_construct(
        rule_id=hit.rule.id,
        category=hit.rule.category,
        severity=hit.rule.severity,
        start=start,
        end=end,
        match=doc.original[start:end],
        suggestion=suggestion,
    )
