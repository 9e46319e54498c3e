"""The API key format: ``cpk_<key_id>_<secret>``.

The key id is public (it names the row); the secret is 32 random bytes. Only a SHA-256 of
the secret is stored: a slow password hash buys nothing for a 256-bit random secret, and a
fast one keeps authentication off the hot path's budget.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "cpk"
HASH_SCHEME = "sha256"
# key ids are 16 hex characters; token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-].
_KEY_PATTERN = re.compile(r"^cpk_(?P<key_id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class ParsedKey:
    key_id: str
    secret: str


def new_key() -> tuple[str, str, str]:
    """A fresh key: ``(key_id, plaintext key, stored hash)``."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return key_id, f"{PREFIX}_{key_id}_{secret}", hash_secret(secret)


def hash_secret(secret: str) -> str:
    return f"{HASH_SCHEME}:{hashlib.sha256(secret.encode()).hexdigest()}"


def parse_key(key: str) -> ParsedKey | None:
    """Split a presented key; None when it is not shaped like one of ours."""
    match = _KEY_PATTERN.match(key.strip())
    if match is None:
        return None
    return ParsedKey(match["key_id"], match["secret"])


def secret_matches(secret: str, stored_hash: str) -> bool:
    # Constant time, so response timing says nothing about how much of the hash matched.
    return hmac.compare_digest(hash_secret(secret).encode(), stored_hash.encode())
