"""Retrieval benchmark: suggestion latency, ingest throughput, and embedder quality.

    .venv/bin/python -m bench.retrieval [--entries 10000] [--rounds 10] [--no-minilm]

Latency: ``Suggester.suggest`` as the live pipeline calls it (rule extractor, BM25, Chroma
vector search, fusion, boosts, diversity) for every labelled objection utterance, in a
shuffled order, ``rounds`` times, one at a time, in a process pinned to one CPU. Measured
over the real KB and over a synthetic KB of ``--entries`` entries made by recombining the
real KB's sentences under varied tags; both indexed in a temporary directory with the
persistent (local) Chroma. Ingest: a fresh index of each KB, entries per second (embedding
and Chroma writes). Quality: objection-tag hit@3 and MRR@10 of each embedder (hashed, and
the packaged English MiniLM when the ``embeddings`` extra is installed) on the devset and
tests/retrieval/data/objections_extra.jsonl — once as live suggestions (hybrid + boosts),
once from the vector search alone, which is where the embedders differ — and the accuracy
of the objection type the suggester reports (the insight extractor's).
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.timing import percentile, pin_to_one_core
from copilot.insights import RuleExtractor
from knowledge_base import CONTENT_DIR
from retrieval import Filters, HybridRanker, RetrievalConfig, Suggester
from retrieval.config import ChromaConfig, EmbedderConfig, SentenceTransformerOptions
from retrieval.embedders import Embedder, build_embedder
from retrieval.ingest import ingest
from retrieval.loader import KnowledgeBase, load_kb
from retrieval.schema import OBJECTION_TYPES, KbEntry
from retrieval.store import ChromaStore
from retrieval.text import warm_up

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset" / "utterances.jsonl"
EXTRA = ROOT / "tests" / "retrieval" / "data" / "objections_extra.jsonl"
P95_TARGET_MS = 20.0
_SENTENCES = re.compile(r"[^。！？]+[。！？]?")


def labelled(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [row for row in rows if row.get("objection")]


def synthetic_kb(real: KnowledgeBase, total: int, seed: int = 7) -> KnowledgeBase:
    """The real entries plus recombinations up to ``total``: each new entry takes 2–5
    sentences of real entries sharing one objection (or topic) tag, that tag, a random
    industry and tier, and the kind of a real entry — so filters, boosts and BM25 statistics
    behave as on a large real KB."""
    rng = random.Random(seed)
    by_tag: dict[str, list[str]] = {}
    for entry in real.entries:
        sentences = [s.strip() for s in _SENTENCES.findall(entry.text) if len(s.strip()) > 6]
        for tag in entry.tags:
            by_tag.setdefault(tag, []).extend(sentences)
    pools = [tag for tag in (*OBJECTION_TYPES, "budget", "decision_chain") if by_tag.get(tag)]
    industries = list(real.tags.ids("industry"))
    tiers = list(real.tags.ids("tier"))
    kinds = [entry.kind for entry in real.entries]
    entries = list(real.entries)
    for number in range(total - len(entries)):
        tag = rng.choice(pools)
        kind = rng.choice(kinds)
        picked = rng.sample(by_tag[tag], k=min(len(by_tag[tag]), rng.randint(2, 5)))
        tags = [tag, rng.choice(industries), rng.choice(tiers)]
        entries.append(
            KbEntry(
                id=f"kb-synth-{kind}-{number:05d}",
                kind=kind,
                title=picked[0][:24],
                text="".join(picked),
                tags=tuple(dict.fromkeys(tags)),
                updated=datetime.date(2026, 1, 15),
                illustrative=True if kind == "case" else None,
            )
        )
    return KnowledgeBase(directory=real.directory, entries=entries, tags=real.tags)


def build(kb: KnowledgeBase, where: Path, embedder: Embedder) -> tuple[Suggester, float, float]:
    """A suggester over ``kb`` indexed from scratch under ``where``. Returns it, the ingest
    rate (entries/s: embedding and Chroma writes) and its start-up time in s (checking the
    index against the entries, which are all unchanged then, and building BM25)."""
    config = RetrievalConfig(chroma=ChromaConfig(path=where))
    started = time.perf_counter()
    store = ChromaStore(config.chroma, embedder_name=embedder.name, dim=embedder.dim)
    report = ingest(kb.entries, kb.tags, store, embedder)
    ingest_s = time.perf_counter() - started
    assert report.added == len(kb.entries)
    # The rule extractor, injected as the service does (alone, the library uses its lexicon).
    suggester = Suggester(config, embedder=embedder, kb=kb, extractor=RuleExtractor())
    started = time.perf_counter()
    suggester.ensure_ready()
    ready_s = time.perf_counter() - started
    store.close()
    return suggester, len(kb.entries) / ingest_s, ready_s


def time_suggestions(suggester: Suggester, texts: list[str], rounds: int) -> list[float]:
    queries = texts * rounds
    random.Random(7).shuffle(queries)
    for text in texts:  # warm: extractor caches, jieba, Chroma's index pages
        suggester.suggest(text)
    timings = []
    for text in queries:
        started = time.perf_counter_ns()
        suggester.suggest(text)
        timings.append((time.perf_counter_ns() - started) / 1e6)
    return timings


def score_ranking(
    rows: list[dict[str, str]], rank: Callable[[str], list[list[str]]]
) -> tuple[float, float]:
    """hit@3 and MRR@10 of the first result tagged with the utterance's objection."""
    hits = reciprocal = 0.0
    for row in rows:
        tag_lists = rank(row["text"])
        first = next((i for i, tags in enumerate(tag_lists[:10], 1) if row["objection"] in tags), 0)
        hits += 0 < first <= 3
        reciprocal += 1 / first if first else 0.0
    return hits / len(rows), reciprocal / len(rows)


def quality_rows(
    name: str, suggester: Suggester, sets: dict[str, list[dict[str, str]]]
) -> list[list[str]]:
    ranker = suggester.ensure_ready()
    # The same index ranked by the vector search alone: no BM25, no boosts.
    vector_only = HybridRanker(
        ranker.entries,
        ranker.tags,
        ranker.store,
        ranker.embedder,
        ranker.config.model_copy(update={"bm25_weight": 0.0}),
    )
    live = Filters(kind=tuple(ranker.config.suggest_kinds))

    def hybrid(text: str) -> list[list[str]]:
        return [s.tags for s in suggester.suggest(text, k=10).suggestions]

    def vectors(text: str) -> list[list[str]]:
        return [list(r.entry.tags) for r in vector_only.rank(text, None, k=10, filters=live)]

    rows = []
    for set_name, data in sets.items():
        # The objection type is the insight extractor's, the same whatever the embedder.
        right = sum(suggester.suggest(row["text"]).objection == row["objection"] for row in data)
        hit, mrr = score_ranking(data, hybrid)
        vhit, vmrr = score_ranking(data, vectors)
        rows.append(
            [
                name,
                f"{set_name} (n={len(data)})",
                f"{right / len(data):.3f}",
                f"{hit:.3f}",
                f"{mrr:.3f}",
                f"{vhit:.3f}",
                f"{vmrr:.3f}",
            ]
        )
    return rows


def minilm() -> Embedder | None:
    try:
        from retrieval.embedders.sentence_transformer import bundled_minilm_path
    except ImportError:
        return None
    path = bundled_minilm_path()
    if path is None:
        return None
    try:
        options = SentenceTransformerOptions(model=str(path))
        return build_embedder(
            EmbedderConfig(backend="sentence_transformers", sentence_transformers=options)
        )
    except Exception:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-minilm", action="store_true", help="skip the MiniLM comparison")
    args = parser.parse_args()
    console = Console(width=120)
    pinned = pin_to_one_core()
    sets = {"devset": labelled(DEVSET), "extra": labelled(EXTRA)}
    sets = {name: rows for name, rows in sets.items() if rows}
    texts = [row["text"] for rows in sets.values() for row in rows]
    if not texts:
        raise SystemExit("no labelled utterances found")

    real = load_kb(CONTENT_DIR)
    hashed = build_embedder()
    warm_up()  # jieba's dictionary: loaded once per process, not per ingest
    speed = Table(title=f"live suggestion latency, hashed embedder, local Chroma ({pinned})")
    columns = ("KB", "entries", "ingest/s", "start s", "queries", "p50 ms", "p95 ms", "p99 ms")
    for column in (*columns, "target"):
        speed.add_column(column, justify="left" if column == "KB" else "right")
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        started = time.perf_counter()
        big = synthetic_kb(real, args.entries)
        made_s = time.perf_counter() - started
        suggesters = {}
        for name, kb in (("real", real), (f"synthetic {len(big.entries) // 1000}k", big)):
            suggester, per_second, ready_s = build(kb, Path(tmp) / name.replace(" ", "-"), hashed)
            suggesters[name] = suggester
            timings = time_suggestions(suggester, texts, args.rounds)
            p95 = percentile(timings, 95)
            verdict = (
                ("ok" if p95 <= P95_TARGET_MS else "MISSED") if len(kb.entries) >= 10_000 else ""
            )
            speed.add_row(
                name,
                f"{len(kb.entries):,}",
                f"{per_second:,.0f}",
                f"{ready_s:.2f}",
                str(len(timings)),
                f"{percentile(timings, 50):.2f}",
                f"{p95:.2f}",
                f"{percentile(timings, 99):.2f}",
                verdict,
            )
        console.print(speed)
        largest = suggesters[list(suggesters)[-1]]
        ending = "最后说一句，你们太贵了。"
        long_text = ("我们这边的情况是这样的，各个部门都有自己的想法。" * 500)[
            : 10_000 - len(ending)
        ]
        long_text += ending
        long_ms = percentile(time_suggestions(largest, [long_text], 5), 50)
        console.print(
            f"synthetic KB generated in {made_s:.1f} s; a {len(long_text):,}-character query on "
            f"{len(largest.kb.entries):,} entries: {long_ms:.1f} ms median (cut to its last "
            f"{largest.config.query_window_chars} characters); target p95 ≤ "
            f"{P95_TARGET_MS:g} ms at 10k entries"
        )

        quality = Table(title="objection-tag hit@3 and MRR@10 on the real KB")
        columns = ("objection acc.", "live hit@3", "live MRR", "vector hit@3", "vector MRR")
        for column in ("embedder", "set", *columns):
            quality.add_column(column, justify="left" if column in ("embedder", "set") else "right")
        for row in quality_rows("hashed (512)", suggesters["real"], sets):
            quality.add_row(*row)
        other = None if args.no_minilm else minilm()
        if other is not None:
            suggester, per_second, _ = build(real, Path(tmp) / "minilm", other)
            for row in quality_rows(f"MiniLM ({other.dim}, English)", suggester, sets):
                quality.add_row(*row)
            quality.caption = f"MiniLM ingest of the real KB: {per_second:,.0f} entries/s"
        else:
            quality.caption = "MiniLM not measured (install the 'embeddings' extra)"
        console.print(quality)
        for suggester in suggesters.values():
            suggester.close()


if __name__ == "__main__":
    main()
