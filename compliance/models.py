"""What a scan returns: the CONTRACT's ``ScanResult`` and ``Flag`` shapes."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

Category = Literal[
    "guarantee",
    "absolute_claim",
    "unauthorized_discount",
    "kickback",
    "disparagement",
    "privacy",
    "off_channel_payment",
]
Severity = Literal["high", "medium", "low"]
# Where a flag came from: a rule (exact span, the default) or a learned model (its clause).
FlagSource = Literal["rule", "model"]

CATEGORIES: tuple[Category, ...] = get_args(Category)
# Order used to pick the strongest of overlapping flags and to sort output.
SEVERITY_RANK: dict[Severity, int] = {"high": 2, "medium": 1, "low": 0}
# "low" is advice: it is reported but does not make a message non-compliant.
BLOCKING_SEVERITIES: frozenset[Severity] = frozenset({"high", "medium"})


class Flag(BaseModel):
    """One problem found in a message; ``start``/``end`` index the scanned text (characters)."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    category: Category
    severity: Severity
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    match: str
    suggestion: str
    source: FlagSource = "rule"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    @model_serializer(mode="wrap")
    def _contract_shape(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A rule's flag serialises to exactly the CONTRACT shape; only a model's flag adds
        ``source`` and ``confidence`` (a reader that does not know them sees a flag)."""
        data: dict[str, Any] = handler(self)
        if self.source == "rule":
            data.pop("source", None)
            data.pop("confidence", None)
        return data

    def __str__(self) -> str:
        where = f"{self.start}-{self.end}"
        return f"[{self.severity}] {self.rule_id} {where} 「{self.match}」→ {self.suggestion}"


class ScanResult(BaseModel):
    """The verdict on one message. ``compliant`` is false when any high or medium flag is
    present; ``truncated`` (an addition to the CONTRACT shape) says only the first
    ``max_chars`` characters were scanned."""

    compliant: bool
    flags: list[Flag] = Field(default_factory=list)
    truncated: bool = False

    @classmethod
    def from_flags(cls, flags: list[Flag], *, truncated: bool = False) -> ScanResult:
        blocking = any(flag.severity in BLOCKING_SEVERITIES for flag in flags)
        return cls(compliant=not blocking, flags=flags, truncated=truncated)

    @property
    def categories(self) -> set[str]:
        return {flag.category for flag in self.flags}
