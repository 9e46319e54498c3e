"""Transcript search and the call library on a seeded database: p50 / p95 per query.

    .venv/bin/python -m bench.seed_calls sqlite:////tmp/calls.db --calls 2000 --segments 100
    .venv/bin/python -m bench.call_search sqlite:////tmp/calls.db [--rounds 20]

Times, as the seeded org's manager (one team) and admin (the whole org): transcript search
(``copilot.store.search.search_segments``, first page of 50) for a rare and a common phrase
of three or more characters (the trigram index) and a two-character one (the LIKE
fallback); and the call library's page (count + one page + chips + hits) unfiltered, with
a text search, and with tag and CRM filters. Never run it on the default database.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.auth import principal_for
from copilot.dashboard import call_queries, queries
from copilot.dashboard.call_filters import parse_call_filter
from copilot.principal import Principal
from copilot.store.db import make_engine, session_factory
from copilot.store.models import Org, User
from copilot.store.search import search_segments

SEARCHES = {
    "rare (4 chars)": "年度预算",
    "common (3 chars)": "我们的",
    "absent (3 chars)": "青龙刀",
    "short (2 chars)": "预算",
    "absent short (2 chars)": "青龙",
}
PAGES = {
    "library": {},
    "library q=系统对接": {"q": "系统对接"},
    "library objection+crm": {"objection": "price", "crm": "delivered", "sort": "duration"},
}


def _timed(run: Callable[[], object], rounds: int) -> tuple[float, float]:
    run()  # warm the caches once
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def _library(db: Session, who: Principal, params: dict[str, str]) -> None:
    users = queries.org_users(db, who.org_id)
    call_filter = parse_call_filter(params)
    call_queries.count_calls(db, who, call_filter)
    call_queries.call_page(db, who, call_filter, 1, users)
    call_queries.search_hits(db, who, call_filter)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    engine = make_engine(args.url)
    with session_factory(engine)() as db:
        org = db.scalars(select(Org).order_by(Org.created_at)).first()
        assert org is not None, "seed the database first (bench.seed_calls)"
        viewers = {
            role: principal_for(
                db.scalars(select(User).where(User.org_id == org.id, User.role == role)).first()  # type: ignore[arg-type]
            )
            for role in ("manager", "admin")
        }
        print(f"{engine.dialect.name}: {'query':32} {'viewer':8} {'p50 ms':>8} {'p95 ms':>8} hits")
        for role, who in viewers.items():
            for name, text in SEARCHES.items():
                hits = len(search_segments(db, who, text))
                p50, p95 = _timed(lambda: search_segments(db, who, text), args.rounds)  # noqa: B023
                print(f"{'search ' + name:40} {role:8} {p50:8.1f} {p95:8.1f} {hits}")
            for name, params in PAGES.items():
                p50, p95 = _timed(lambda: _library(db, who, params), args.rounds)  # noqa: B023
                print(f"{name:40} {role:8} {p50:8.1f} {p95:8.1f}")
    engine.dispose()


if __name__ == "__main__":
    main()
