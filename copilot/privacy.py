"""Personal data: finding it, masking it for display, and keyed references for the audit chain.

Phone, ID-card and bank-card numbers are found with the compliance library's own detectors
(on the normalised text, so ``138 0013 8000`` is one number) and mapped back to the caller's
text. Pages, exports and the API show them masked (``138****5678``); only an admin's
explicit, audited reveal shows the stored value.

The hash-chained audit trail can never be edited, so no personal value may enter it: each is
replaced by a reference ``[mobile:<hmac>]``, an HMAC-SHA256 under a server-side key. The same
number always gives the same reference (an erasure request can find its records), but without
the key nobody can tell which number it was — a plain hash of an 11-digit number is
brute-forced in minutes. Forgetting the key forgets every reference at once.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from compliance.detectors.pii import find_bank_cards, find_id_cards, find_mobile_numbers
from compliance.text import normalize
from copilot.store.db import data_home, persisted_secret

PiiKind = Literal["mobile", "id_card", "bank_card"]
_FINDERS = (
    ("id_card", find_id_cards),
    ("bank_card", find_bank_cards),
    ("mobile", find_mobile_numbers),
)
# Hex characters of the HMAC kept in a reference: 64 bits, no collisions among one org's data.
REF_CHARS = 16


class PrivacyConfig(BaseModel):
    """``COPILOT_PRIVACY__*``: the key of the audit trail's PII references, and retention."""

    model_config = ConfigDict(extra="forbid")

    # Unset: generated once and kept in ``key_file`` (like the socket-token secret). Several
    # instances sharing one database must share it: set it explicitly there.
    pii_key: SecretStr | None = None
    key_file: Path = Field(default_factory=lambda: data_home() / "pii-hmac.secret")
    # Days recordings, transcripts and message texts are kept, unless an org's policy says
    # otherwise (``retention_days``); ``copilot purge`` deletes what is older.
    retention_days: int = Field(default=365, ge=1)

    @field_validator("pii_key")
    @classmethod
    def _strong_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError(
                "pii_key must be at least 32 characters; generate one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return value


@lru_cache(maxsize=8)
def _key_from_file(path: Path) -> bytes:
    return persisted_secret(path, "PII key")


def pii_key(config: PrivacyConfig | None = None) -> bytes:
    """The HMAC key: configured, or generated once and persisted; default: the process's
    settings (the store writes audit records from many places that hold no settings)."""
    if config is None:
        from copilot.settings import get_settings  # settings import the store: import late

        config = get_settings().privacy
    if config.pii_key is not None:
        return config.pii_key.get_secret_value().encode()
    return _key_from_file(config.key_file)


@dataclass(frozen=True)
class PiiSpan:
    kind: PiiKind
    start: int  # indices into the text given to find_pii
    end: int

    def value(self, text: str) -> str:
        return text[self.start : self.end]


def find_pii(text: str) -> list[PiiSpan]:
    """Every phone, ID-card and bank-card number in ``text``, in order, never overlapping."""
    if not any(ch.isdigit() for ch in text):
        return []
    normal, origin = normalize(text)
    found: list[PiiSpan] = []
    taken: list[tuple[int, int]] = []
    for kind, finder in _FINDERS:
        for start, end in finder(normal, 0, len(normal)):
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            if origin is not None:
                start, end = origin[start], origin[end - 1] + 1
            found.append(PiiSpan(kind, start, end))  # type: ignore[arg-type]
    return sorted(found, key=lambda span: span.start)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit() or ch in "xX")


def mask_value(kind: PiiKind, value: str) -> str:
    """The number with its middle hidden: ``138****5678``, ``1101**********1234``,
    ``************1234``. Separators stay and the length is kept, so offsets into a masked
    text still point at the same words."""
    positions = [i for i, ch in enumerate(value) if ch.isdigit() or ch in "xX"]
    if kind == "mobile":
        # The last 11 digits are the number; a leading 86 country code stays visible.
        shown = set(positions[:-8]) | set(positions[-4:])
    elif kind == "id_card":
        shown = set(positions[:4]) | set(positions[-4:])
    else:
        shown = set(positions[-4:])
    hidden = set(positions) - shown
    return "".join("*" if i in hidden else ch for i, ch in enumerate(value))


def _replace(text: str, spans: list[PiiSpan], replacement: Any) -> str:
    parts: list[str] = []
    kept = 0
    for span in spans:
        parts.append(text[kept : span.start])
        parts.append(replacement(span))
        kept = span.end
    parts.append(text[kept:])
    return "".join(parts)


def mask_text(text: str | None) -> str:
    """``text`` with every personal number masked (None reads as empty)."""
    if not text:
        return text or ""
    spans = find_pii(text)
    if not spans:
        return text
    return _replace(text, spans, lambda span: mask_value(span.kind, span.value(text)))


def pii_ref(kind: PiiKind, value: str, key: bytes) -> str:
    """The keyed reference standing for ``value`` in the audit chain: ``[mobile:3f2a…]``.
    Formatting (spaces, dashes, an ``x`` check character's case) does not change it."""
    digest = hmac.new(key, f"{kind}:{_digits(value).upper()}".encode(), hashlib.sha256)
    return f"[{kind}:{digest.hexdigest()[:REF_CHARS]}]"


def pseudonymize(text: str, key: bytes) -> str:
    """``text`` with every personal number replaced by its keyed reference."""
    spans = find_pii(text)
    if not spans:
        return text
    return _replace(text, spans, lambda span: pii_ref(span.kind, span.value(text), key))


def map_json_strings(value: Any, change: Callable[[str], str]) -> Any:
    """``value`` (text or JSON) with ``change`` applied to every string inside (keys left
    alone)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {k: map_json_strings(v, change) for k, v in value.items()}
    if isinstance(value, list):
        return [map_json_strings(v, change) for v in value]
    return value


def pseudonymize_json(value: Any, key: bytes) -> Any:
    """Every string inside a JSON value (keys left alone) pseudonymised."""
    return map_json_strings(value, lambda text: pseudonymize(text, key))


def mask_json(value: Any) -> Any:
    """Every string inside a JSON value masked."""
    return map_json_strings(value, mask_text)


def refs_for(value: str, key: bytes) -> list[str]:
    """The references ``value`` (one number, as a data subject gives it) may appear as."""
    spans = find_pii(value)
    return [pii_ref(span.kind, span.value(value), key) for span in spans]
