"""The errors the compliance library raises; each message says what to fix and where."""

from __future__ import annotations

from pathlib import Path


class ComplianceError(Exception):
    """Base class of every error raised by ``compliance``."""


class RulePackError(ComplianceError):
    """A rule file or the overrides file is unreadable or invalid.

    The message names the file and, where known, the rule id, e.g.
    ``rules/guarantee.yaml: rule guarantee.no_delay: regex does not compile: …``.
    """

    def __init__(self, path: Path | str, message: str, rule_id: str | None = None) -> None:
        self.path = Path(path)
        self.rule_id = rule_id
        where = f"{path}: rule {rule_id}" if rule_id else str(path)
        super().__init__(f"{where}: {message}")
