"""The analytics page's filter (team, rep, weeks) and whose calls it covers.

Values are checked before any query runs: a malformed one is a 400 naming it; a team or rep
the viewer may not see is a 404, the same answer as for something that does not exist, so
the page never tells a manager what another team holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from copilot.auth import Principal
from copilot.dashboard.filters import FilterError
from copilot.store.call_metrics import week_of
from copilot.store.models import Team, User

DEFAULT_WEEKS = 8
MAX_WEEKS = 52
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class NotVisible(LookupError):
    """A team or rep the viewer may not see (or that does not exist): the 404 page; the
    message names what was asked for."""


@dataclass(frozen=True)
class AnalyticsFilter:
    team: str | None = None
    rep: str | None = None
    weeks: int = DEFAULT_WEEKS

    def week_list(self, now: datetime) -> list[date]:
        """The Mondays the page covers, oldest first, ending with the current week (weeks
        as ``call_metrics.week`` has them: Asia/Shanghai)."""
        last = week_of(now)
        return [last - timedelta(weeks=n) for n in range(self.weeks - 1, -1, -1)]

    def query_string(self) -> str:
        items = [("team", self.team), ("rep", self.rep)]
        pairs = [(k, v) for k, v in items if v is not None]
        if self.weeks != DEFAULT_WEEKS:
            pairs.append(("weeks", str(self.weeks)))
        return urlencode(pairs)

    @property
    def active(self) -> bool:
        return self != AnalyticsFilter()


def _clean(params: Mapping[str, str], name: str) -> str | None:
    value = (params.get(name) or "").strip()
    return value or None


def parse_analytics_filter(params: Mapping[str, str]) -> AnalyticsFilter:
    team, rep, raw_weeks = _clean(params, "team"), _clean(params, "rep"), _clean(params, "weeks")
    if team is not None and not _ID.match(team):
        raise FilterError(f"团队「{team}」无效")
    if rep is not None and not _ID.match(rep):
        raise FilterError(f"销售「{rep}」无效")
    weeks = DEFAULT_WEEKS
    if raw_weeks is not None:
        if len(raw_weeks) > 3 or not (raw_weeks.isascii() and raw_weeks.isdigit()):
            raise FilterError(f"周数「{raw_weeks}」无效，应为 1 到 {MAX_WEEKS} 的整数")
        weeks = int(raw_weeks)
        if not 1 <= weeks <= MAX_WEEKS:
            raise FilterError(f"周数「{raw_weeks}」无效，应为 1 到 {MAX_WEEKS} 的整数")
    return AnalyticsFilter(team=team, rep=rep, weeks=weeks)


@dataclass(frozen=True)
class Scope:
    """Whose calls a page aggregates. ``rep_ids`` None: the whole org (an admin, unfiltered)."""

    org_id: str
    rep_ids: frozenset[str] | None
    teams: list[Team]  # the team filter's choices
    reps: list[User]  # the rep filter's choices (within the chosen team)


def resolve_scope(
    principal: Principal,
    analytics_filter: AnalyticsFilter,
    visible: list[User],
    teams: list[Team],
) -> Scope:
    """The reps behind the filter, within what ``principal`` may see (``visible``: the
    users whose rows they may read, as the flags page lists them)."""
    if principal.role not in ("admin", "integration"):
        teams = [team for team in teams if team.id == principal.team_id]
    if analytics_filter.team is not None and analytics_filter.team not in {t.id for t in teams}:
        raise NotVisible(f"团队「{analytics_filter.team}」")
    reps = [
        user
        for user in visible
        if analytics_filter.team is None or user.team_id == analytics_filter.team
    ]
    if analytics_filter.rep is not None:
        chosen = [user for user in reps if user.id == analytics_filter.rep]
        if not chosen:
            raise NotVisible(f"销售「{analytics_filter.rep}」")
        return Scope(principal.org_id, frozenset({analytics_filter.rep}), teams, reps)
    if principal.role in ("admin", "integration") and analytics_filter.team is None:
        return Scope(principal.org_id, None, teams, reps)
    return Scope(principal.org_id, frozenset(user.id for user in reps), teams, reps)
