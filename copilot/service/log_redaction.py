"""Secrets out of the logs: socket tokens and keys travel in URLs (browsers cannot put an
``Authorization`` header on a WebSocket), and uvicorn logs every URL it serves.

:class:`RedactSecrets` is a logging filter that rewrites ``?token=…`` and any query value
whose name looks like a key, secret, password or signature to ``[REDACTED]``, in the
message and its arguments. ``copilot serve`` puts it on every handler of its logging
config (:func:`log_config`).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

REDACTED = "[REDACTED]"

# A query parameter whose name mentions a credential, up to the next separator.
_SECRET_PARAM = re.compile(
    r"(?P<name>[?&;][^=&;\s\"'#]*?(?:token|key|secret|passw(?:or)?d|signature|credential|auth)"
    r"[^=&;\s\"'#]*)=(?P<value>[^&;\s\"'#]*)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with the values of secret-looking query parameters replaced."""
    if "=" not in text:
        return text
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}={REDACTED}", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record in place; never drops one. Subclasses clean more by overriding
    :meth:`clean` (copilot/service/logs.py)."""

    def clean(self, text: str) -> str:
        return redact(text)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: self._clean_arg(arg) for key, arg in record.args.items()}
        return True

    def _clean_arg(self, arg: Any) -> Any:
        # Strings and exceptions (whose message may quote a secret); numbers stay numbers
        # (uvicorn's access formatter needs the status code as an int).
        if isinstance(arg, str):
            return self.clean(arg)
        if isinstance(arg, BaseException):
            return self.clean(str(arg))
        return arg


def log_config() -> dict[str, Any]:
    """uvicorn's default logging config with :class:`RedactSecrets` on every handler, so
    access lines (``uvicorn.access``) and WebSocket lines (``uvicorn.error``) are covered."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": f"{__name__}.RedactSecrets"}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "redact_secrets"]
    return config
