"""Which decoding choices pay for themselves: CER and compute per option (docs/decoding.md).

    .venv/bin/python -m bench.decoding [--variants NAME ...] [--raw] [--json FILE]

Every variant changes one thing against ``baseline`` (the defaults before issue 13: the
sales prompt sentence plus hotwords, beam 3, no recent finals, no temperature fallback) and
is run, one at a time, over

- the 35 real clips of ``../shared/real/speech.jsonl`` (CER per tag; single utterances, so
  recent finals matter little there; no call terms exist for them);
- the synthesized calls ``../shared/devset/audio/*.stereo.wav`` and, when present, the dev
  calls ``bench/data/dev_calls/`` (CER per party; their ``context`` gives the call's terms).

``bench/data/heard_calls/`` is held out and never read here. Compute is CPU seconds (all
threads) per audio second of the whole transcription (VAD, decoding, correction), which a
busy shared machine disturbs less than wall time; on the 2-core target the wall-clock
real-time factor is about half of it at best. Text is corrected as the product does unless
``--raw``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from speech.audio import decode_file
from speech.config import DecodeConfig, EndpointConfig, SpeechConfig
from speech.engine import SpeechEngine
from speech.normalize import edit_distance, normalize_for_scoring
from speech.transcriber import Transcriber, load_transcriber

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"
DEVSET = ROOT.parent / "shared" / "devset"
DEV_CALLS = ROOT / "bench" / "data" / "dev_calls"

GENERIC = "以下是普通话的句子。"
# The defaults before this benchmark: every variant differs from it in one place.
BASELINE: dict[str, Any] = {
    "initial_prompt": "以下是普通话的销售电话对话。",
    "beam_size": 3,
    "context_chars": 0,
    "fallback_temperatures": (),
    "window_padding_s": 1.0,
}
BASELINE_ENDPOINT: dict[str, Any] = {"pre_roll_ms": 300, "post_roll_ms": 300}

NP: dict[str, Any] = {"initial_prompt": ""}


@dataclass(frozen=True)
class Variant:
    name: str
    what: str
    decode: dict[str, Any] = field(default_factory=dict)
    endpoint: dict[str, Any] = field(default_factory=dict)
    terms: bool = True  # the call's hotwords go into the prompt


VARIANTS = {
    v.name: v
    for v in [
        Variant("baseline", "sales sentence + terms, beam 3 (before)"),
        Variant("no-prompt", "no prompt at all", {"initial_prompt": ""}, terms=False),
        Variant("generic", f"「{GENERIC}」 only", {"initial_prompt": GENERIC}, terms=False),
        Variant("sales", "sales sentence only", terms=False),
        Variant("terms", "terms only", {"initial_prompt": ""}),
        Variant("recent", "sales + terms + recent finals ≤100", {"context_chars": 100}),
        Variant("recent-50", "sales + terms + recent finals ≤50", {"context_chars": 50}),
        Variant("beam1", "greedy finals", {"beam_size": 1}),
        Variant("beam5", "beam 5 finals", {"beam_size": 5}),
        Variant(
            "fallback",
            "temperature fallback 0.2…1.0",
            {"fallback_temperatures": (0.2, 0.4, 0.6, 0.8, 1.0)},
        ),
        # Second round, on the winner of the first (no prompt sentence).
        Variant("np-recent", "terms + recent finals ≤100", {**NP, "context_chars": 100}),
        Variant("np-recent-50", "terms + recent finals ≤50", {**NP, "context_chars": 50}),
        Variant("np-beam1", "no sentence, greedy finals", {**NP, "beam_size": 1}),
        Variant("np-beam5", "no sentence, beam 5 finals", {**NP, "beam_size": 5}),
        Variant(
            "np-fallback",
            "no sentence, temperature fallback",
            {**NP, "fallback_temperatures": (0.2, 0.4, 0.6, 0.8, 1.0)},
        ),
        Variant(
            "roll-150",
            "VAD pre/post roll 150 ms",
            endpoint={"pre_roll_ms": 150, "post_roll_ms": 150},
        ),
        Variant(
            "roll-500",
            "VAD pre/post roll 500 ms",
            endpoint={"pre_roll_ms": 500, "post_roll_ms": 500},
        ),
    ]
}


@dataclass
class Item:
    """One recording and what was said: per tag (clips) or per party (calls)."""

    path: Path
    kind: str  # "clip" or "call"
    reference: dict[str, str]  # scoring key (tag or party) -> reference text
    hotwords: list[str]


def real_clips() -> list[Item]:
    rows = [json.loads(line) for line in (REAL / "speech.jsonl").read_text().splitlines() if line]
    return [
        Item(REAL / r["file"], "clip", {t: r["text"] for t in ["all", *r.get("tags", [])]}, [])
        for r in rows
    ]


def calls() -> list[Item]:
    items = []
    for folder, audio in ((DEVSET, DEVSET / "audio"), (DEV_CALLS, DEV_CALLS / "audio")):
        index = folder / "calls.json"
        if not index.exists():
            continue
        for call in json.loads(index.read_text(encoding="utf-8")):
            found = sorted(audio.glob(f"{call['id']}.stereo.*"))
            if not found:
                continue
            context = call.get("context") or {}
            hotwords = [
                *context.get("contacts", []),
                *([context["customer_company"]] if "customer_company" in context else []),
                *([context["rep_company"]] if "rep_company" in context else []),
                *context.get("products", []),
            ]
            reference = {
                party: "".join(text for who, text in call["turns"] if who == party)
                for party in ("rep", "customer")
            }
            items.append(Item(found[0], "call", reference, hotwords))
    return items


def run_variant(
    variant: Variant, transcriber: Transcriber, items: list[Item], correction: bool
) -> dict[str, Any]:
    decode = {**BASELINE, **variant.decode}
    cfg = SpeechConfig(
        decode=DecodeConfig(**decode),
        endpoint=EndpointConfig(**{**BASELINE_ENDPOINT, **variant.endpoint}),
        correction=correction,
    )
    engine = SpeechEngine(cfg, transcriber=transcriber)
    errors: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_item: dict[str, float] = {}
    seconds = {"clip": [0.0, 0.0], "call": [0.0, 0.0]}  # audio s, CPU s
    for n, item in enumerate(items, 1):
        audio = decode_file(item.path)
        cpu = time.process_time()
        transcript = engine.transcribe_audio(audio, hotwords=item.hotwords if variant.terms else ())
        seconds[item.kind][1] += time.process_time() - cpu
        seconds[item.kind][0] += audio.duration
        for key, text in item.reference.items():
            ref = normalize_for_scoring(text)
            parts = transcript.segments
            if item.kind == "call":
                parts = [s for s in parts if s.speaker == key]
            hyp = normalize_for_scoring("".join(s.text for s in parts))
            errors[f"{item.kind}:{key}"][0] += edit_distance(ref, hyp)
            errors[f"{item.kind}:{key}"][1] += len(ref)
            if key in ("all", "rep", "customer"):
                per_item[f"{item.path.name}:{key}"] = edit_distance(ref, hyp) / max(len(ref), 1)
        print(f"  {variant.name}: {n}/{len(items)} {item.path.name}", flush=True)
    return {
        "what": variant.what,
        "cer": {k: e / max(n, 1) for k, (e, n) in errors.items()},
        "chars": {k: n for k, (_, n) in errors.items()},
        "cpu_per_audio_s": {k: c / max(a, 1e-9) for k, (a, c) in seconds.items() if a},
        "per_item": per_item,
    }


def print_table(results: dict[str, dict[str, Any]], console: Console) -> None:
    first = next(iter(results.values()))
    tags = sorted(
        (k for k in first["cer"] if first["chars"][k] >= 60 or k.startswith("call:")),
        key=lambda k: (k.startswith("clip"), k != "clip:all", k),
    )
    table = Table(title="CER and compute per decoding option")
    table.add_column("variant")
    table.add_column("what")
    for key in tags:
        table.add_column(f"{key}\n({first['chars'][key]} ch)", justify="right")
    table.add_column("CPU s/s clips", justify="right")
    table.add_column("CPU s/s calls", justify="right")
    for name, result in results.items():
        table.add_row(
            name,
            result["what"],
            *(f"{result['cer'].get(k, float('nan')):.3f}" for k in tags),
            *(f"{result['cpu_per_audio_s'].get(k, float('nan')):.3f}" for k in ("clip", "call")),
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--raw", action="store_true", help="score the recogniser's own words")
    parser.add_argument("--only", choices=["clips", "calls"], help="one data set")
    parser.add_argument("--json", type=Path, help="write (and extend) the results here")
    args = parser.parse_args()
    items = [
        *(real_clips() if args.only != "calls" else []),
        *(calls() if args.only != "clips" else []),
    ]
    print(f"{len(items)} recordings; loading the model", flush=True)
    transcriber = load_transcriber(SpeechConfig().model)
    results: dict[str, dict[str, Any]] = {}
    if args.json and args.json.exists():
        results = json.loads(args.json.read_text())
    for name in args.variants:
        print(f"{name}: {VARIANTS[name].what}", flush=True)
        fresh = run_variant(VARIANTS[name], transcriber, items, not args.raw)
        kept = results.get(name, {})
        # A run over one data set keeps the other's figures.
        results[name] = {
            key: {**kept.get(key, {}), **value} if isinstance(value, dict) else value
            for key, value in fresh.items()
        }
        if args.json:
            args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print_table({k: results[k] for k in VARIANTS if k in results}, Console(width=250))


if __name__ == "__main__":
    main()
