"""When a test may rewrite a committed screenshot under docs/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path


def refresh(committed: Path) -> bool:
    """Write the committed screenshot when it is missing or asked for (UPDATE_SCREENSHOTS=1),
    so an ordinary test run leaves the working tree clean."""
    return not committed.exists() or os.environ.get("UPDATE_SCREENSHOTS") == "1"
