"""The active rule pack of a process, reloaded when its files change.

A reload that fails (a typo in a rule file, an invalid override) keeps the previous pack
active: a scanner in a live call must never lose its rules because someone saved a file
half-edited. The error is kept in :attr:`RulePackStore.last_error` and logged.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from compliance.config import ComplianceConfig
from compliance.errors import RulePackError
from compliance.loader import SHARED_LEXICONS, OverridesLayer, load_pack
from compliance.pack import RulePack

log = logging.getLogger(__name__)

_Stamp = tuple[tuple[str, int, int], ...]


class RulePackStore:
    """Holds the current :class:`RulePack`; :meth:`current` reloads it when the rule files'
    modification times change (at most every ``reload_interval_s``), :meth:`reload` on
    demand. The first load raises :class:`RulePackError`; later failures keep the old pack."""

    def __init__(
        self, config: ComplianceConfig | None = None, layer: OverridesLayer | None = None
    ) -> None:
        """``layer``: overrides given as data (an organisation's), applied after the file's."""
        self.config = config or ComplianceConfig()
        self.layer = layer
        self.last_error: RulePackError | None = None
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self._pack = load_pack(self.config, self.layer)
        self._checked_at = time.monotonic()

    @property
    def pack(self) -> RulePack:
        return self._pack

    def current(self) -> RulePack:
        """The active pack, reloaded first if a file changed since the last check."""
        interval = self.config.reload_interval_s
        if interval < 0 or time.monotonic() - self._checked_at < interval:
            return self._pack
        self._checked_at = time.monotonic()
        if self._file_stamp() != self._stamp:
            try:
                self.reload()
            except RulePackError as exc:
                log.warning("compliance rules not reloaded, previous pack stays active: %s", exc)
        return self._pack

    def reload(self) -> RulePack:
        """Load the pack again now. Raises :class:`RulePackError` (the old pack stays)."""
        with self._lock:
            stamp = self._file_stamp()
            try:
                pack = load_pack(self.config, self.layer)
            except RulePackError as exc:
                self.last_error = exc
                self._stamp = stamp  # do not retry the same broken files on every scan
                raise
            self._pack, self._stamp, self.last_error = pack, stamp, None
            return pack

    def _file_stamp(self) -> _Stamp:
        """Name, size and modification time of every file the pack is built from."""
        rules_dir = self.config.resolved_rules_dir()
        paths: list[Path] = [SHARED_LEXICONS]
        if rules_dir.is_dir():
            paths += sorted(rules_dir.glob("*.yaml")) + sorted(rules_dir.glob("*.yml"))
        if self.config.overrides_path is not None:
            paths.append(self.config.overrides_path)
        stamp = []
        for path in paths:
            try:
                info = path.stat()
                stamp.append((str(path), info.st_size, info.st_mtime_ns))
            except OSError:
                stamp.append((str(path), -1, -1))
        return tuple(stamp)
