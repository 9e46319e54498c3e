"""What the analytics and account pages show: table rows and the charts' JSON, built from
the query results (no web framework here). The same numbers feed the table and the chart,
so a reader without JavaScript sees exactly what the chart draws."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from copilot.dashboard.account_queries import AccountChain
from copilot.dashboard.analytics_queries import Analytics
from copilot.dashboard.analytics_totals import DEPTH_KEYS, Totals
from copilot.dashboard.present import CATEGORY_LABELS, label, local_time
from copilot.dashboard.shown_suggestions import NO_OBJECTION
from copilot.store.models import Team, User
from copilot.taxonomy import TAXONOMY

OBJECTION_LABELS: dict[str, str] = {**TAXONOMY.groups()["objection"], NO_OBJECTION: "未识别"}
DEPTH_LABELS = {
    "budget": "预算",
    "decision": "决策链",
    "need": "需求/痛点",
    "timeline": "时间线",
    "competition": "竞争情况",
}
NO_TEAM = "（无团队）"
# The heatmap shows the entries reps reacted to most; the rest are in no chart or table.
HEAT_ENTRIES = 15


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class MetricRow:
    """One line of a metrics table: whose (a rep, a team or a week) and their figures."""

    name: str
    totals: Totals

    @property
    def cells(self) -> list[str]:
        t = self.totals
        return [
            str(t.calls),
            num(t.talk_minutes, 0),
            pct(t.talk_ratio),
            num(t.avg_monologue_s, 0),
            num(t.question_rate),
            num(t.interactivity),
            num(t.depth_score, 0),
            pct(t.reuse_rate),
            pct(t.answered_share),
            str(t.flags),
        ]


METRIC_HEADERS = [
    "通话数", "通话时长（分钟）", "讲话占比", "最长独白（秒，均值）", "提问率（次/10分钟）",
    "互动度（切换/分钟）", "需求挖掘深度", "知识复用率", "异议回应率", "合规标记",
]  # fmt: skip
# The trend chart's choices: a Totals property → (label, unit).
TRENDS: dict[str, tuple[str, str]] = {
    "calls": ("通话数", ""),
    "talk_minutes": ("通话时长", "分钟"),
    "talk_ratio": ("讲话占比", "%"),
    "avg_monologue_s": ("最长独白", "秒"),
    "question_rate": ("提问率", "次/10分钟"),
    "interactivity": ("互动度", "切换/分钟"),
}


def _trend_value(totals: Totals | None, key: str) -> float | None:
    if totals is None:
        return None
    value = getattr(totals, key)
    if value is None:
        return None
    return _round(float(value) * (100 if key == "talk_ratio" else 1), 2)


def week_label(week: date) -> str:
    return f"{week:%m-%d}"


def team_name(teams: Mapping[str, Team], team_id: str | None) -> str:
    if team_id is None:
        return NO_TEAM
    team = teams.get(team_id)
    return team.name if team is not None else team_id


def user_name(users: Mapping[str, User], user_id: str) -> str:
    user = users.get(user_id)
    return user.name if user is not None else user_id


@dataclass
class AnalyticsView:
    rep_rows: list[MetricRow]
    team_week_rows: list[tuple[str, list[MetricRow]]]  # per team: its weeks
    rep_week_rows: list[tuple[str, list[MetricRow]]]  # per rep: its weeks
    total: MetricRow
    depth_rows: list[tuple[str, str]]  # (dimension, share of calls)
    objection_rows: list[tuple[str, int, str]]  # (type, calls, answered share)
    vendor_rows: list[tuple[str, int]]
    flag_rows: list[tuple[str, int, int, str]]  # (category, raised, resolved, median hours)
    heat_entries: list[str]
    heat_objections: list[str]
    heat_reps: list[tuple[str, str]]  # (rep id, name)
    heat_by_objection: dict[tuple[str, str], list[int]]
    heat_by_rep: dict[tuple[str, str], list[int]]
    charts: dict[str, Any]


def analytics_view(
    data: Analytics, users: Mapping[str, User], teams: Mapping[str, Team]
) -> AnalyticsView:
    weeks = data.weeks
    reps = sorted(data.by_rep, key=lambda rep: (-data.by_rep[rep].calls, user_name(users, rep)))
    team_ids = sorted({team for team, _ in data.by_team_week}, key=lambda t: team_name(teams, t))
    team_week_rows = [
        (
            team_name(teams, team),
            [
                MetricRow(week_label(week), data.by_team_week[(team, week)])
                for week in weeks
                if (team, week) in data.by_team_week
            ],
        )
        for team in team_ids
    ]
    rep_week_rows = [
        (
            user_name(users, rep),
            [
                MetricRow(week_label(week), data.by_rep_week[(rep, week)])
                for week in weeks
                if (rep, week) in data.by_rep_week
            ],
        )
        for rep in reps
    ]
    total = data.total
    heat_entries = data.heat.entries[:HEAT_ENTRIES]
    heat_objections = sorted(
        {objection for _, objection in data.heat.by_objection},
        key=lambda o: list(OBJECTION_LABELS).index(o) if o in OBJECTION_LABELS else 99,
    )
    heat_reps = sorted(
        {(rep, user_name(users, rep)) for _, rep in data.heat.by_rep}, key=lambda r: r[1]
    )

    def series(key: str, buckets: Mapping[tuple[Any, date], Totals], who: Any) -> list[Any]:
        return [_trend_value(buckets.get((who, week)), key) for week in weeks]

    trend_lines: dict[str, dict[str, list[Any]]] = {}
    for key in TRENDS:
        lines = {team_name(teams, team): series(key, data.by_team_week, team) for team in team_ids}
        if len(reps) <= 12:  # beyond a dozen lines the chart is noise: the tables have them
            for rep in reps:
                lines[user_name(users, rep)] = series(key, data.by_rep_week, rep)
        trend_lines[key] = lines

    def heat_cells(cells: Mapping[tuple[str, str], list[int]], columns: Sequence[str]) -> list[Any]:
        return [
            [x, y, cells[(entry, column)][0], cells[(entry, column)][1]]
            for x, column in enumerate(columns)
            for y, entry in enumerate(heat_entries)
            if (entry, column) in cells
        ]

    charts: dict[str, Any] = {
        "weeks": [week_label(week) for week in weeks],
        "teams": [team_name(teams, team) for team in team_ids],
        "weekly_calls": {
            team_name(teams, team): [
                getattr(data.by_team_week.get((team, week)), "calls", 0) for week in weeks
            ]
            for team in team_ids
        },
        "weekly_minutes": [
            _round(data.by_week[week].talk_minutes, 1) if week in data.by_week else 0
            for week in weeks
        ],
        "trends": {
            key: {"label": text, "unit": unit, "lines": trend_lines[key]}
            for key, (text, unit) in TRENDS.items()
        },
        "depth": {
            "labels": [DEPTH_LABELS[key] for key in DEPTH_KEYS],
            "shares": [_round((total.depth_share(key) or 0) * 100, 1) for key in DEPTH_KEYS],
        },
        "objections": {
            "labels": [label(OBJECTION_LABELS, row.value) for row in data.objections],
            "calls": [row.calls for row in data.objections],
            "answered": [_round((row.answered_share or 0) * 100, 1) for row in data.objections],
        },
        "vendors": {
            "labels": [row.value for row in data.vendors],
            "calls": [row.calls for row in data.vendors],
        },
        "flags": {
            "labels": [label(CATEGORY_LABELS, row.category) for row in data.flags],
            "raised": [row.flags for row in data.flags],
            "resolved": [row.resolved for row in data.flags],
        },
        "heat": {
            "entries": heat_entries,
            "objections": {
                "columns": [label(OBJECTION_LABELS, o) for o in heat_objections],
                "cells": heat_cells(data.heat.by_objection, heat_objections),
            },
            "reps": {
                "columns": [name for _, name in heat_reps],
                "cells": heat_cells(data.heat.by_rep, [rep for rep, _ in heat_reps]),
            },
        },
    }
    return AnalyticsView(
        rep_rows=[MetricRow(user_name(users, rep), data.by_rep[rep]) for rep in reps],
        team_week_rows=team_week_rows,
        rep_week_rows=rep_week_rows,
        total=MetricRow("合计", total),
        depth_rows=[(DEPTH_LABELS[key], pct(total.depth_share(key))) for key in DEPTH_KEYS],
        objection_rows=[
            (label(OBJECTION_LABELS, row.value), row.calls, pct(row.answered_share))
            for row in data.objections
        ],
        vendor_rows=[(row.value, row.calls) for row in data.vendors],
        flag_rows=[
            (
                label(CATEGORY_LABELS, row.category),
                row.flags,
                row.resolved,
                num(row.median_resolve_h),
            )
            for row in data.flags
        ],  # fmt: skip
        heat_entries=heat_entries,
        heat_objections=heat_objections,
        heat_reps=heat_reps,
        heat_by_objection=data.heat.by_objection,
        heat_by_rep=data.heat.by_rep,
        charts=charts,
    )


KIND_LABELS = {"person": "个人", "body": "机构/会议"}


def account_graph(chain: AccountChain) -> dict[str, Any]:
    """The ECharts graph: the account above, the approval order as a row of arrows (thicker
    when more calls stated that step), everyone else met below; the script lays it out."""
    nodes: list[dict[str, Any]] = [
        {"id": "@account", "name": chain.name, "category": 2, "symbolSize": 46}
    ]
    links: list[dict[str, Any]] = []
    for member in chain.members:
        text = (
            member.name
            if not member.role or member.role == member.name
            else (f"{member.name}（{member.role}）")
        )
        step = f"{member.order}. " if member.order else ""
        nodes.append(
            {
                "id": member.name,
                "name": step + text,
                "category": 1 if member.kind == "body" else 0,
                "order": member.order,
                "symbolSize": 24 + min(len(member.call_ids), 6) * 4,
                "detail": f"最近提及 {local_time(member.last_mentioned)}，"
                f"{len(member.call_ids)} 次通话",
            }
        )
        links.append({"source": "@account", "target": member.name, "kind": "met"})
    for (before, after), count in sorted(chain.steps.items()):
        links.append({"source": before, "target": after, "kind": "approval", "count": count})
    return {
        "nodes": nodes,
        "links": links,
        "categories": [KIND_LABELS["person"], KIND_LABELS["body"], "客户"],
    }
