"""Built-in detectors: the checks a word list or regex cannot express (a discount's depth
against the organisation's limit, ID-card and bank-card checksums).

A rule names its detector in YAML (``detector: discount``); this registry maps the name to
the function, so adding a detector is one entry here and one module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from compliance.detectors.discount import find_excess_discounts
from compliance.detectors.pii import find_bank_cards, find_id_cards, find_mobile_numbers


@dataclass(frozen=True)
class Candidate:
    """A span a detector found, with values its rule's suggestion may quote (``{limit}``)."""

    start: int
    end: int
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DetectorSettings:
    """What detectors may depend on besides the text."""

    max_discount_off: float


# text, [lo, hi) region to search, settings -> candidate spans inside the region
Detector = Callable[[str, int, int, DetectorSettings], Iterator[Candidate]]


def _discount(text: str, lo: int, hi: int, settings: DetectorSettings) -> Iterator[Candidate]:
    for found in find_excess_discounts(text, lo, hi, settings.max_discount_off):
        yield Candidate(found.start, found.end, {"found": found.name, "limit": found.limit})


def _spans(finder: Callable[[str, int, int], Iterator[tuple[int, int]]]) -> Detector:
    def detect(text: str, lo: int, hi: int, _: DetectorSettings) -> Iterator[Candidate]:
        for start, end in finder(text, lo, hi):
            yield Candidate(start, end)

    return detect


DETECTORS: dict[str, Detector] = {
    "discount": _discount,
    "mobile_phone": _spans(find_mobile_numbers),
    "id_card": _spans(find_id_cards),
    "bank_card": _spans(find_bank_cards),
}
