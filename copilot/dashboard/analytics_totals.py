"""The sums behind the analytics page and the rates derived from them (no database here).

Rates are ratios of sums over the calls, never means of per-call rates: talk ratio is all
rep talk over all talk, so a two-minute call weighs less than an hour-long one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The five things a discovery call should establish (docs/metrics.md, 需求挖掘深度得分).
DEPTH_KEYS = ("budget", "decision", "need", "timeline", "competition")


@dataclass
class Totals:
    """Sums over a set of calls, and the rates the page shows, derived from them."""

    calls: int = 0
    duration_s: float = 0.0
    rep_talk_s: float = 0.0
    customer_talk_s: float = 0.0
    monologue_s: float = 0.0  # sum of each call's longest rep monologue
    questions: int = 0
    switches: float = 0.0  # speaker switches: interactivity × minutes, summed
    depth_points: int = 0
    depth_calls: int = 0
    depth_hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DEPTH_KEYS, 0))
    objections: int = 0
    answered: int = 0
    shown: int = 0
    used: int = 0
    dismissed: int = 0
    flags: int = 0

    def add(self, other: Totals) -> None:
        for name in (
            "calls", "duration_s", "rep_talk_s", "customer_talk_s", "monologue_s",
            "questions", "switches", "depth_points", "depth_calls", "objections",
            "answered", "shown", "used", "dismissed", "flags",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key in DEPTH_KEYS:
            self.depth_hits[key] += other.depth_hits[key]

    @property
    def talk_minutes(self) -> float:
        return self.duration_s / 60

    @property
    def talk_ratio(self) -> float | None:
        talk = self.rep_talk_s + self.customer_talk_s
        return self.rep_talk_s / talk if talk > 0 else None

    @property
    def avg_monologue_s(self) -> float | None:
        return self.monologue_s / self.calls if self.calls else None

    @property
    def question_rate(self) -> float | None:
        """Rep questions per 10 minutes of call."""
        return self.questions / self.duration_s * 600 if self.duration_s > 0 else None

    @property
    def interactivity(self) -> float | None:
        """Speaker switches per minute of call."""
        return self.switches / (self.duration_s / 60) if self.duration_s > 0 else None

    @property
    def depth_score(self) -> float | None:
        return self.depth_points / self.depth_calls if self.depth_calls else None

    def depth_share(self, key: str) -> float | None:
        return self.depth_hits[key] / self.depth_calls if self.depth_calls else None

    @property
    def reuse_rate(self) -> float | None:
        """知识复用率: suggestions used ÷ suggestions shown."""
        return self.used / self.shown if self.shown else None

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.objections if self.objections else None


@dataclass(frozen=True)
class TagCount:
    """Calls carrying one tag value (an objection type, a vendor), with their objections."""

    value: str
    calls: int
    objections: int = 0
    answered: int = 0

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.objections if self.objections else None


@dataclass(frozen=True)
class FlagCategory:
    category: str
    flags: int
    resolved: int
    median_resolve_h: float | None  # hours from raised to resolved, over the resolved ones
