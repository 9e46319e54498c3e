"""What the product gets right from audio on calls it was never tuned on.

    .venv/bin/python -m bench.heard_calls [--set heard|dev] [--variants text stereo mono
        phone phone-mono] [--calls hc01 hc02 …] [--no-correction] [--misses]

``bench/data/heard_calls/`` holds twelve calls written by someone who saw neither the rules,
the corpus nor the speech-correction lexicon (DATASHEET.md there), synthesized with
``scripts/synth_calls.py``. Each is analysed as ``copilot analyze`` does (recognition, roles on
mono, insights, the spoken compliance check) in four versions: the stereo recording, its mono
mix, and both through a simulated telephone line (bench/telephone.py: 8 kHz G.711 μ-law,
clipping, noise — simulated, not recorded); ``text`` analyses the scripted turns themselves,
what the engines do with perfect hearing. Scored against each call's gold:

- spoken-compliance recall: each gold violation category flagged on the call;
- vendor recall: each named vendor/product found among ``systems`` (same name, or one is
  the other's product line: 用友U8 / 用友);
- decision-maker recall: each gold decision maker matched by a ``decision_chain`` name;
- budget: the call's budget range overlaps the gold range;
- character error rate of everything said, and per party on the stereo version;
- on the mono versions, the share of recognised segments labelled with the right speaker
  (the speaker of the true turn a segment overlaps most, taken from the stereo recording;
  ``unknown`` counts as wrong).

The synthesizer drops Latin letters (SAP, Oracle, U8, CFO are silent in the audio), so gold
strings are scored as heard: Latin letters removed, a gold string with nothing left is not
counted (DATASHEET.md lists them).

``--set dev`` runs the forty development calls of ``bench/data/dev_calls/`` (another writer,
same brief, Chinese vendor names only): what to look at while changing things, so that the
held-out twelve keep judging.

Recognition is nearly all of the time (about 13 s a call and version on two cores). ``--keep
DIR`` writes each recognised transcript to ``DIR/<call>.<variant>.json``; ``--heard DIR``
scores those transcripts again instead of recognising the audio (seconds, not minutes), so a
change to the engines shows at once; with ``--recorrect`` each segment's text is corrected
again from what the recogniser heard (``raw_text``), so a change to correction shows too
(speakers stay as they were labelled); with ``--no-correction`` what was heard is scored as
it was heard. The compute row then times the engines only.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.diarize import Turn, right_speakers, turns_from_stereo
from bench.telephone import LINES, degrade, write_mulaw
from copilot.analysis import CallSummary
from copilot.insights.vendors import builtin, squash
from copilot.settings import Settings, get_settings
from speech.audio import decode_file
from speech.normalize import edit_distance, normalize_for_scoring
from speech.types import Transcript

if TYPE_CHECKING:
    from speech.correction import Corrector

SETS = {
    "heard": Path(__file__).resolve().parent / "data" / "heard_calls",  # held out: never tune
    "dev": Path(__file__).resolve().parent / "data" / "dev_calls",  # forty more: tune here
}
DATA = SETS["heard"]
VARIANTS = ("text", "stereo", "mono", "phone", "phone-mono")
_LATIN = re.compile(r"[A-Za-z]+")
_OWNERS = {squash(s): spec.name for spec in builtin().systems for s in (spec.name, *spec.aliases)}


# What recognition depends on besides the model's weights: a fresh install may bring other
# versions (the ranges in pyproject.toml), and CTranslate2's int8 kernels differ by CPU
# (AVX-512 or not); the same audio is then heard a little differently, so every hearing
# figure is printed with them.
SPEECH_STACK = ("faster-whisper", "ctranslate2", "onnxruntime", "av", "numpy")


def speech_stack() -> str:
    """The installed versions of :data:`SPEECH_STACK` and the CPU, for a table's caption."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in SPEECH_STACK:
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} missing")
    return "recognised with " + ", ".join(found) + f" on {_cpu()}"


def _cpu() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.machine() or "an unknown CPU"
    model = platform.machine()
    for line in info.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            model = value.strip()
            break
    return f"{model}{' (AVX-512)' if 'avx512f' in info else ''}"


def heard(gold: str) -> str:
    """The gold string as the synthesized audio says it (Latin letters are silent)."""
    return _LATIN.sub("", gold).strip()


@dataclass
class Tally:
    found: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.found += hit
        self.total += 1

    def __str__(self) -> str:
        rate = self.found / self.total if self.total else 1.0
        return f"{rate:.2f} ({self.found}/{self.total})"


@dataclass
class Scores:
    compliance: Tally = field(default_factory=Tally)
    vendors: Tally = field(default_factory=Tally)
    decision: Tally = field(default_factory=Tally)
    budget: Tally = field(default_factory=Tally)
    speakers: Tally = field(default_factory=Tally)
    edits: int = 0
    chars: int = 0
    party_edits: dict[str, list[int]] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    compute_s: float = 0.0
    audio_s: float = 0.0


def write_variant(
    call_id: str, variant: str, folder: Path, data: Path = DATA, line: str = "full"
) -> Path | None:
    if variant == "text":
        return None
    source = data / "audio" / f"{call_id}.stereo.flac"
    if variant == "stereo":
        return source
    decoded = decode_file(source)
    samples = decoded.samples.astype(np.float32)
    if variant.endswith("mono"):
        samples = samples.mean(axis=0, keepdims=True)
    path = folder / f"{call_id}.{variant}.wav"
    if variant.startswith("phone"):
        write_mulaw(path, degrade(samples, 16_000, seed=int(call_id[2:]), line=line))
    else:
        import wave

        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16_000)
            out.writeframes((np.clip(samples[0], -1, 1) * 32767).astype("<i2").tobytes())
    return path


def score_call(call: dict, summary: CallSummary, scores: Scores, stereo: bool) -> None:
    gold = call["gold"]
    flagged = {flag.category for flag in summary.compliance_flags}
    for category in gold["compliance"]:
        scores.compliance.add(category in flagged)
        if category not in flagged:
            scores.misses.append(f"{call['id']} compliance {category}")
    names = {s.name for s in summary.systems} | {s.vendor for s in summary.systems if s.vendor}
    for vendor in gold["vendors"]:
        said = heard(vendor)
        if not said:
            continue
        # The gold as written or the catalogue name it is a spelling of (思爱普 is SAP).
        wanted = {said, _OWNERS.get(squash(vendor), said), _OWNERS.get(squash(said), said)}
        hit = any(
            w in heard(n) or w in n or (heard(n) and heard(n) in w) for n in names for w in wanted
        )
        scores.vendors.add(hit)
        if not hit:
            scores.misses.append(f"{call['id']} vendor {vendor}")
    people = [p.name for p in summary.decision_chain]
    for person in gold["decision"]:
        said = heard(person)
        hit = any(same_person(name, said) for name in people if name)
        scores.decision.add(hit)
        if not hit:
            scores.misses.append(f"{call['id']} decision {person}")
    low, high = gold["budget"]
    budget = summary.budget
    hit = budget is not None and budget.estimate_min <= high and budget.estimate_max >= low
    scores.budget.add(hit)
    if not hit:
        scores.misses.append(f"{call['id']} budget {low}-{high}")
    said_all = normalize_for_scoring("".join(s.text for s in summary.transcript))
    reference = normalize_for_scoring("".join(text for _, text in call["turns"]))
    scores.edits += edit_distance(said_all, reference)
    scores.chars += len(reference)
    if stereo:
        for party in ("rep", "customer"):
            said = "".join(s.text for s in summary.transcript if s.speaker == party)
            ref = "".join(text for who, text in call["turns"] if who == party)
            pair = scores.party_edits.setdefault(party, [0, 0])
            pair[0] += edit_distance(normalize_for_scoring(said), normalize_for_scoring(ref))
            pair[1] += len(normalize_for_scoring(ref))


def same_person(name: str, gold: str) -> bool:
    """A reported decision maker is a gold one when either name holds the other (孙总 for
    财务总监孙总, 我们总经理 for 总经理)."""
    return name in gold or gold in name


def settings_with(correction: bool) -> Settings:
    """The service's settings with correction on or off (a copy: the cached ones stay)."""
    settings = get_settings()
    speech = settings.speech.model_copy(update={"correction": correction})
    return settings.model_copy(update={"speech": speech})


class Analyse(Protocol):
    def __call__(
        self, path: Path | None, call: dict, stored: Transcript | None = None
    ) -> tuple[CallSummary, Transcript | None]: ...


def analyser(correction: bool, recorrect: bool = False) -> Analyse:
    from compliance import Scanner
    from copilot.analysis import segments_from_turns, summarize
    from copilot.commands.insights import learned_models
    from copilot.engines import build_speech_engine, correction_lexicon
    from copilot.insights import build_extractor
    from copilot.learning import assisted_extractor, assisted_scanner
    from copilot.roles import TextRoleResolver
    from copilot.summary import build_summary_writer
    from speech.correction import Corrector, call_terms

    settings = settings_with(correction)
    models = learned_models()
    extractor = assisted_extractor(
        build_extractor(settings.insights), models.customer, roles=models.roles
    )
    scanner = assisted_scanner(Scanner(settings.compliance), models.rep)
    writer = build_summary_writer(settings.insights)
    # Built on the first audio call: text-only runs (``--variants text``,
    # ``bench.text_calls``) never need the correction lexicon or the recogniser.
    engine = cache(lambda: build_speech_engine(settings))

    corrector = cache(lambda: Corrector(correction_lexicon(settings)))

    def analyse(
        path: Path | None, call: dict, stored: Transcript | None = None
    ) -> tuple[CallSummary, Transcript | None]:
        """The call's summary and, for audio, its transcript: recognised from ``path``, or
        ``stored`` (corrected again from what was heard with ``recorrect``)."""
        if path is None and stored is None:  # perfect hearing: the script's turns
            segments = segments_from_turns([tuple(turn) for turn in call["turns"]])
            summary = summarize(call["id"], segments, segments[-1].end, extractor, scanner, writer)
            return summary, None
        # What a CRM-linked call knows before it starts (the start message's fields).
        context = call["context"]
        terms = call_terms(
            people=context["contacts"],
            customers=[context["customer_company"]],
            products=[context["rep_company"], *context["products"]],
        )
        hotwords = settings.vocabulary.hotwords()
        if stored is not None:
            transcript = stored
            if not correction:  # what the recogniser heard, before any correction
                transcript = recorrected(stored, None)
            elif recorrect:
                transcript = recorrected(stored, corrector().for_call(terms, hotwords))
        else:
            assert path is not None
            transcript = engine().transcribe_file(
                path, hotwords=hotwords, terms=terms, roles=TextRoleResolver()
            )
        summary = summarize(
            call["id"], transcript.segments, transcript.duration, extractor, scanner, writer
        )
        return summary, transcript

    return analyse


def recorrected(transcript: Transcript, corrector: Corrector | None) -> Transcript:
    """Each segment corrected again from what the recogniser heard (``None``: as heard)."""
    segments = []
    for segment in transcript.segments:
        heard = segment.raw_text or segment.text
        text = heard if corrector is None else corrector.correct(heard).text
        update = {"text": text, "raw_text": heard if text != heard else None}
        segments.append(segment.model_copy(update=update))
    return transcript.model_copy(update={"segments": segments})


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--calls", nargs="*", default=None)
    parser.add_argument("--set", choices=tuple(SETS), default="heard", dest="which")
    parser.add_argument("--no-correction", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list what was missed")
    parser.add_argument("--keep", type=Path, help="write each recognised transcript here")
    parser.add_argument("--heard", type=Path, help="score the transcripts --keep wrote there")
    parser.add_argument(
        "--recorrect", action="store_true", help="with --heard: correct what was heard again"
    )
    parser.add_argument(
        "--line",
        choices=LINES,
        default="full",
        help="the telephone versions' line: all of it, or the narrow band with only some of "
        "what else it does (where the telephone loss comes from)",
    )
    args = parser.parse_args()
    if args.heard and args.line != "full":
        parser.error("--line makes new telephone audio; --heard scores stored transcripts")
    if args.recorrect and not args.heard:
        parser.error("--recorrect needs --heard")
    if args.keep and args.heard:
        parser.error("--keep stores a recognition, --heard scores a stored one: not both")
    stack = stored_stack(args.heard) if args.heard else speech_stack()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        (args.keep / "speech_stack.txt").write_text(stack + "\n", encoding="utf-8")
    console = Console(width=160)
    data = SETS[args.which]
    calls = json.loads((data / "calls.json").read_text(encoding="utf-8"))
    if args.calls:
        calls = [c for c in calls if c["id"] in args.calls]
    analyse = analyser(correction=not args.no_correction, recorrect=args.recorrect)
    results: dict[str, Scores] = {}

    @cache
    def true_turns(call_id: str) -> list[Turn]:
        """Who spoke when, from the stereo recording: decoded once, for both mono versions."""
        return turns_from_stereo(decode_file(data / "audio" / f"{call_id}.stereo.flac"))

    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants:
            scores = results[variant] = Scores()
            for call in calls:
                stored = path = None
                if args.heard and variant != "text":
                    stored = read_transcript(args.heard, call["id"], variant)
                else:
                    path = write_variant(call["id"], variant, Path(tmp), data, args.line)
                started = time.perf_counter()
                summary, transcript = analyse(path, call, stored)
                scores.compute_s += time.perf_counter() - started
                if args.keep and transcript is not None:
                    name = f"{call['id']}.{variant}.json"
                    (args.keep / name).write_text(transcript.model_dump_json(), encoding="utf-8")
                scores.audio_s += summary.duration_s
                score_call(call, summary, scores, stereo=variant in ("text", "stereo", "phone"))
                if variant.endswith("mono"):
                    right, _ = right_speakers(summary.transcript, true_turns(call["id"]))
                    scores.speakers.found += right
                    scores.speakers.total += len(summary.transcript)
            console.log(f"{variant}: {len(calls)} calls, {scores.compute_s:.0f} s")
    table = Table(
        title=f"{len(calls)} {args.which} calls from audio (telephone = simulated"
        + ("" if args.line == "full" else f", line: {args.line} only")
        + ")",
        caption=stack,
    )
    for column in ("measure", *results):
        table.add_column(column, justify="left" if column == "measure" else "right")
    rows: list[tuple[str, Callable[[Scores], str]]] = [
        ("spoken-compliance recall", lambda s: str(s.compliance)),
        ("vendor recall", lambda s: str(s.vendors)),
        ("decision-maker recall", lambda s: str(s.decision)),
        ("budget", lambda s: str(s.budget)),
        ("right speaker (mono)", lambda s: f"{s.speakers}" if s.speakers.total else "–"),
        ("CER, all speech", lambda s: f"{s.edits / max(s.chars, 1):.3f}"),
        ("CER, rep", lambda s: _party(s, "rep")),
        ("CER, customer", lambda s: _party(s, "customer")),
        ("compute / audio", lambda s: f"{s.compute_s / max(s.audio_s, 1e-9):.2f}"),
    ]
    for name, cell in rows:
        table.add_row(name, *(cell(s) for s in results.values()))
    console.print(table)
    if args.misses:
        for variant, scores in results.items():
            console.print(f"[bold]{variant}[/] missed: " + "; ".join(scores.misses))


def stored_stack(folder: Path) -> str:
    """What the transcripts ``--keep`` wrote to ``folder`` were recognised with."""
    path = folder / "speech_stack.txt"
    stack = path.read_text(encoding="utf-8").strip() if path.is_file() else "versions unknown"
    return f"scored again from {folder}, {stack}"


def read_transcript(folder: Path, call_id: str, variant: str) -> Transcript:
    path = folder / f"{call_id}.{variant}.json"
    if not path.is_file():
        raise SystemExit(f"no stored transcript {path}: recognise it first with --keep {folder}")
    return Transcript.model_validate_json(path.read_text(encoding="utf-8"))


def _party(scores: Scores, party: str) -> str:
    if party not in scores.party_edits:
        return "–"
    edits, chars = scores.party_edits[party]
    return f"{edits / max(chars, 1):.3f}"


if __name__ == "__main__":
    main()
