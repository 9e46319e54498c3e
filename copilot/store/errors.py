"""What the store raises; the service maps each class to one HTTP status."""

from __future__ import annotations


class StoreError(Exception):
    """Base class; also "the database is unusable as configured" (the message says why)."""


class NotFound(StoreError):
    """No such row, or not one the caller may see: the two are the same answer (404)."""


class InvalidInput(StoreError):
    """A value the store refuses: an unknown role, a team of another org… (400/422)."""


class Conflict(StoreError):
    """The row exists but is in the wrong state for this change (409)."""
