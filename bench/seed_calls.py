"""A large, realistic call history for the manager's pages — never the default database.

    .venv/bin/python -m bench.seed_calls DATABASE_URL [--calls 2000] [--segments 100]

Writes one org (种子销售公司: three teams of eight reps, a manager each, an admin) with
``--calls`` calls over the last twelve weeks, each of ``--segments`` transcript segments that
alternate rep and customer lines taken from the labelled corpus (``corpus/``: real wording
by many writers), a summary built from those lines' labels (objections, pain points,
decision makers, budgets, vendors from the catalogue, commitments), the rep's compliance
flags, the suggestions shown for each objection and the rep's feedback on them, CRM
deliveries and follow-ups; plus a second org with a tenth as many calls (tenancy). The
per-call figures (``call_metrics``, ``call_tags``, scorecards) are then computed by the
product's own backfill. Rows are bulk-inserted; the database must be migrated (the command
migrates it). Prints the manager's API key for the dashboard bench.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from copilot.insights.vendors import builtin as vendor_catalogue
from copilot.store import call_metrics, repo, scorecards
from copilot.store.db import make_engine, migrate, session_factory
from copilot.store.models import Call, CallEvent, CrmOutbox, Flag, Segment, SuggestionFeedback

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
KB = ROOT / "knowledge_base"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
TITLES = ["总", "经理", "主任", "院长", "处长", "总监"]
BODIES = ["采购委员会", "院长办公会", "董事会", "信息中心", "党委会"]
DUE = ["明天", "后天", "下周三", "周五之前", "月底前", "下周", "两天内"]
ACTIONS = [
    "把报价单发您邮箱",
    "约个时间做产品演示",
    "把案例资料发过去",
    "安排工程师上门",
    "给您答复",
]


@dataclass
class Lines:
    customer: list[dict[str, Any]]
    rep: list[dict[str, Any]]


def corpus_lines() -> Lines:
    def read(folder: str) -> list[dict[str, Any]]:
        return [
            json.loads(line)
            for path in sorted((CORPUS / folder).glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]

    return Lines(read("customer"), read("rep"))


def kb_ids() -> dict[str, list[str]]:
    """The knowledge base's script ids by objection type (kb-script-<type>-<industry>-NN)."""
    found: dict[str, list[str]] = {}
    for path in KB.rglob("*.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("- id: kb-script-"):
                entry = line.split(":", 1)[1].split("#")[0].strip()
                found.setdefault(entry.split("-")[2], []).append(entry)
    return found


def evidence(segment_id: str, text: str) -> dict[str, Any]:
    return {"utterance_id": segment_id, "text": text}


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(TITLES)


class CallMaker:
    def __init__(self, rng: random.Random, lines: Lines, segments: int) -> None:
        self.rng, self.lines, self.segments = rng, lines, segments
        self.vendors = [spec.name for spec in vendor_catalogue().systems]
        self.kb = kb_ids()

    def call(self, call_id: str, started: datetime) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The call's segment rows and its summary."""
        rng = self.rng
        rows: list[dict[str, Any]] = []
        clock = 0.0
        objections: list[dict[str, Any]] = []
        pains: list[dict[str, Any]] = []
        chain: list[dict[str, Any]] = []
        for index in range(self.segments):
            speaker = "rep" if index % 2 == 0 else "customer"
            line = rng.choice(self.lines.rep if speaker == "rep" else self.lines.customer)
            text = line["text"]
            length = max(1.0, len(text) / 4.5)
            segment_id = f"s{index + 1}"
            rows.append(
                {
                    "call_id": call_id,
                    "segment_id": segment_id,
                    "speaker": speaker,
                    "start": round(clock, 2),
                    "end": round(clock + length, 2),
                    "text": text,
                    "created_at": started + timedelta(seconds=clock + length),
                    "speaker_source": "channel",
                }
            )
            clock += length + rng.uniform(0.2, 1.5)
            for kind in line.get("objections", []):
                objections.append(
                    {"type": kind, "text": text[:40], "evidence": evidence(segment_id, text)}
                )
            for category in line.get("pain_points", []):
                pains.append(
                    {
                        "category": category,
                        "text": text[:40],
                        "evidence": evidence(segment_id, text),
                    }
                )
            if line.get("decision_maker") and len(chain) < 4:
                chain.append(
                    {
                        "name": person(rng) if rng.random() < 0.8 else rng.choice(BODIES),
                        "role": None,
                        "evidence": evidence(segment_id, text),
                        "order": len(chain) + 1,
                    }
                )
        customer = [r for r in rows if r["speaker"] == "customer"]
        systems = []
        for name in rng.sample(self.vendors, rng.choice([0, 0, 1, 1, 2])):
            said = rng.choice(customer)
            role = rng.choice(["competitor", "incumbent", "integration", "mentioned"])
            systems.append(
                {"name": name, "role": role, "evidence": evidence(said["segment_id"], said["text"])}
            )
        budget = None
        if rng.random() < 0.55:
            said = rng.choice(customer)
            low = rng.choice([10, 20, 30, 50, 80, 120, 200]) * 10_000
            budget = {
                "amount_min": low,
                "amount_max": low * 2,
                "estimate_min": low,
                "estimate_max": low * 2,
                "evidence": evidence(said["segment_id"], said["text"]),
            }
        commitments = []
        for _ in range(rng.choice([0, 1, 1, 2])):
            said = rng.choice(rows)
            commitments.append(
                {
                    "who": rng.choice(["rep", "rep", "customer"]),
                    "what": rng.choice(ACTIONS),
                    "due": rng.choice(DUE),
                    "evidence": evidence(said["segment_id"], said["text"]),
                }
            )
        summary = {
            "call_id": call_id,
            "duration_s": round(clock, 1),
            "transcript": [
                {k: r[k] for k in ("start", "end", "speaker", "text")} | {"id": r["segment_id"]}
                for r in rows
            ],
            "budget": budget,
            "decision_chain": chain,
            "pain_points": pains[:6],
            "objections": objections[:6],
            "competitors": [
                {"name": s["name"], "evidence": s["evidence"]}
                for s in systems
                if s["role"] == "competitor"
            ],
            "commitments": commitments,
            "systems": systems,
            "compliance_flags": [],
            "summary_text": "（种子数据）",
        }
        return rows, summary


def _batched(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def seed(url: str, calls: int, segments: int, seed_value: int = 7) -> str:
    rng = random.Random(seed_value)
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    lines = corpus_lines()
    maker = CallMaker(rng, lines, segments)
    now = datetime.now(UTC).replace(microsecond=0)
    with sessions.begin() as session:
        org = repo.create_org(session, "种子销售公司")
        admin = repo.create_user(
            session, org.id, name="管理员", email="admin@seed.cn", role="admin"
        )
        reps = []
        manager_key = ""
        for t in range(3):
            team = repo.create_team(session, org.id, f"销售{t + 1}组")
            manager = repo.create_user(
                session, org.id, name=f"经理{t + 1}", email=f"m{t}@seed.cn", role="manager",
                team_id=team.id,
            )  # fmt: skip
            if t == 0:
                _, manager_key = repo.create_api_key(session, manager, label="bench")
            for r in range(8):
                reps.append(
                    repo.create_user(
                        session,
                        org.id,
                        name=f"{rng.choice(SURNAMES)}销售{t}{r}",
                        email=f"r{t}{r}@seed.cn",
                        role="rep",
                        team_id=team.id,
                    )  # fmt: skip
                )
        _, admin_key = repo.create_api_key(session, admin, label="bench")
        other = repo.create_org(session, "别家公司")
        other_rep = repo.create_user(session, other.id, name="外人", email="x@other.cn", role="rep")
        plan = [(org.id, rng.choice(reps).id) for _ in range(calls)]
        plan += [(other.id, other_rep.id) for _ in range(max(1, calls // 10))]
    accounts = [
        f"{rng.choice(SURNAMES)}氏{rng.choice(['精密', '医疗', '教育', '零售', '制造'])}{i}"
        for i in range(300)
    ]
    kinds = sorted(maker.kb)
    started_all = time.perf_counter()
    for chunk_start in range(0, len(plan), 100):
        call_rows: list[dict[str, Any]] = []
        segment_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        flag_rows: list[dict[str, Any]] = []
        feedback_rows: list[dict[str, Any]] = []
        outbox_rows: list[dict[str, Any]] = []
        for org_id, rep_id in plan[chunk_start : chunk_start + 100]:
            call_id = f"seed{len(call_rows) + chunk_start:06d}"
            started = now - timedelta(minutes=rng.randint(60, 12 * 7 * 24 * 60))
            rows, summary = maker.call(call_id, started)
            account = rng.choice(accounts)
            confirmed = rng.random() < 0.6
            call_rows.append(
                {
                    "id": call_id,
                    "org_id": org_id,
                    "rep_id": rep_id,
                    "customer_name": account,
                    "source": rng.choice(["stream", "stream", "upload"]),
                    "status": "confirmed" if confirmed else "ended",
                    "started_at": started,
                    "ended_at": started + timedelta(seconds=summary["duration_s"]),
                    "duration_s": summary["duration_s"],
                    "audio_format": {},
                    "last_seq": 0,
                    "summary": summary,
                    "crm": {
                        "account_id": f"ACC-{accounts.index(account):04d}",
                        "account_name": account,
                    },
                    "confirmed_at": started + timedelta(hours=1) if confirmed else None,
                    "confirmed_by": rep_id if confirmed else None,
                }
            )
            segment_rows += rows
            seq = 0
            for objection in summary["objections"]:
                seq += 1
                kind = objection["type"] if objection["type"] in maker.kb else rng.choice(kinds)
                shown = rng.sample(maker.kb[kind], min(3, len(maker.kb[kind])))
                event_rows.append(
                    {
                        "call_id": call_id,
                        "seq": seq,
                        "type": "suggestion",
                        "payload": {
                            "type": "suggestion",
                            "call_id": call_id,
                            "seq": seq,
                            "segment_id": objection["evidence"]["utterance_id"],
                            "provisional": False,
                            "result": {
                                "objection": kind,
                                "suggestions": [
                                    {
                                        "id": e,
                                        "kind": "script",
                                        "title": e,
                                        "text": "…",
                                        "tags": [kind],
                                        "score": 0.8,
                                    }
                                    for e in shown
                                ],
                            },
                        },
                        "created_at": started,
                    }
                )
                for entry in shown:
                    roll = rng.random()
                    if roll < 0.5:
                        feedback_rows.append(
                            {
                                "org_id": org_id,
                                "user_id": rep_id,
                                "call_id": call_id,
                                "entry_id": entry,
                                "action": "used" if roll < 0.3 else "dismissed",
                                "created_at": started,
                            }
                        )
            for row in rows:
                if row["speaker"] == "rep" and rng.random() < 0.02:
                    category = rng.choice(
                        ["guarantee", "absolute_claim", "unauthorized_discount", "kickback"]
                    )
                    status = rng.choice(["open", "acknowledged", "resolved", "resolved"])
                    flag_rows.append(
                        {
                            "id": f"f{call_id}{row['segment_id']}",
                            "org_id": org_id,
                            "rep_id": rep_id,
                            "call_id": call_id,
                            "segment_id": row["segment_id"],
                            "source": "speech",
                            "text": row["text"][:120],
                            "text_offset": 0,
                            "text_chars": len(row["text"]),
                            "rule_id": f"{category}.seed",
                            "category": category,
                            "severity": "high",
                            "start": 0,
                            "end": min(4, len(row["text"])),
                            "match": row["text"][:4],
                            "suggestion": "",
                            "status": status,
                            "created_at": row["created_at"],
                            "updated_at": row["created_at"] + timedelta(hours=rng.randint(1, 72)),
                            "detected_by": "rule",
                        }
                    )
            if confirmed:
                outbox_rows.append(
                    {
                        "id": f"msg_{call_id}",
                        "org_id": org_id,
                        "call_id": call_id,
                        "event_type": "call.summary.confirmed",
                        "payload": {},
                        "status": rng.choice(
                            ["delivered", "delivered", "delivered", "pending", "dead"]
                        ),
                        "attempts": 1,
                        "next_attempt_at": started,
                        "created_at": started + timedelta(hours=1),
                        "target": "webhook",
                        "steps_done": 0,
                    }
                )
        with sessions.begin() as session:
            for table, batch in (
                (Call, call_rows),
                (Segment, segment_rows),
                (CallEvent, event_rows),
                (Flag, flag_rows),
                (SuggestionFeedback, feedback_rows),
                (CrmOutbox, outbox_rows),
            ):
                for part in _batched(batch):
                    session.execute(insert(table), part)
        took = time.perf_counter() - started_all
        print(f"  {chunk_start + len(call_rows)} calls written ({took:.0f} s)")
    backfill(sessions)
    engine.dispose()
    print(f"manager key (team 1): {manager_key}")
    print(f"admin key: {admin_key}")
    return manager_key


def backfill(sessions: Any) -> None:
    """The per-call figures and scorecards, computed by the product's own code; then the
    planner's statistics, as a database that has been in use would have them."""
    started = time.perf_counter()
    with sessions.begin() as session:
        call_metrics.backfill(session)
    print(f"  call metrics computed ({time.perf_counter() - started:.0f} s)")
    started = time.perf_counter()
    with sessions.begin() as session:
        scorecards.backfill(session)
    print(f"  scorecards computed ({time.perf_counter() - started:.0f} s)")
    with sessions.begin() as session:
        session.execute(text("ANALYZE"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("url", help="an empty database (sqlite:///… or postgresql+psycopg://…)")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--segments", type=int, default=100)
    args = parser.parse_args()
    seed(args.url, args.calls, args.segments)


if __name__ == "__main__":
    main()
