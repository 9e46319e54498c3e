"""Configuration of the compliance library.

The service embeds :class:`ComplianceConfig` in its settings; a notebook builds it directly
(``Scanner(ComplianceConfig(max_discount_off=0.15))``). ``extra="forbid"`` so that a
misspelt option fails at start-up.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

PACKAGED_RULES_DIR = Path(__file__).parent / "rules"


class ComplianceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A directory of rule files, one per category; None means the packaged pack.
    rules_dir: Path | None = None
    # An organisation's overrides (max discount, disabled rules, severities, extra rules).
    overrides_path: Path | None = None
    # Deepest discount a rep may promise without approval, as a fraction off the list price:
    # 0.10 is 九折. The overrides file may change it per organisation.
    max_discount_off: float = Field(default=0.10, ge=0.0, lt=1.0)
    # Longer messages are scanned up to this many characters (the result says truncated), so
    # that a pasted 2 MB document cannot stall the send button. Chat messages and e-mails are
    # far shorter.
    max_chars: int = Field(default=20_000, ge=100)
    # At most this many flags are returned for one message; more only adds noise.
    max_flags: int = Field(default=100, ge=1)
    # How often (seconds) the rule files' modification times are checked for a reload;
    # 0 checks on every scan, a negative value never reloads automatically.
    reload_interval_s: float = 2.0

    def resolved_rules_dir(self) -> Path:
        return self.rules_dir if self.rules_dir is not None else PACKAGED_RULES_DIR
