"""``copilot transcribe`` and ``copilot demo``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from copilot.commands.common import err, out, user_errors
from copilot.engines import speech_engine
from copilot.events import TranscriptFinal
from copilot.replay import TimedEvent, replay
from copilot.roles import TextRoleResolver
from copilot.settings import get_settings
from speech.audio import DecodedAudio, decode_file
from speech.engine import SpeechEngine
from speech.errors import SpeechError
from speech.types import Transcript

AudioArg = Annotated[Path, typer.Argument(help="Audio file: wav, flac, mp3, m4a, ogg…")]
HotwordOpt = Annotated[
    list[str] | None,
    typer.Option("--hotword", "-w", help="Name to spell right (repeatable); adds to settings."),
]


def _hotwords(extra: list[str] | None) -> list[str]:
    return [*get_settings().vocabulary.hotwords(), *(extra or [])]


def transcribe(
    audio: AudioArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print the CONTRACT JSON.")] = False,
    stream: Annotated[
        bool, typer.Option("--stream", help="Replay through the live path, printing events.")
    ] = False,
    speed: Annotated[float, typer.Option(help="Replay speed with --stream (1 = real time).")] = 1.0,
    hotword: HotwordOpt = None,
) -> None:
    """Transcribe a recording (stereo: rep left, customer right)."""
    with user_errors(SpeechError):
        decoded = decode_file(audio)
        engine = speech_engine()
        if stream:
            _stream(decoded, speed, _hotwords(hotword), as_json)
            return
        if sys.stderr.isatty():  # the bar goes to stderr, so it never mixes with --json
            transcript = _with_progress(engine, decoded, _hotwords(hotword))
        else:
            transcript = engine.transcribe_audio(
                decoded, hotwords=_hotwords(hotword), roles=TextRoleResolver()
            )
    if as_json:
        print(transcript.model_dump_json())
    else:
        for segment in transcript.segments:
            out.print(str(segment))


def _with_progress(engine: SpeechEngine, decoded: DecodedAudio, hotwords: list[str]) -> Transcript:
    columns = (
        TextColumn("转写中"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("transcribe", total=decoded.duration)
        return engine.transcribe_audio(
            decoded,
            hotwords=hotwords,
            progress=lambda done, _: bar.update(task, completed=done),
            roles=TextRoleResolver(),
        )


def _stream(decoded: DecodedAudio, speed: float, hotwords: list[str], as_json: bool) -> None:
    def show(timed: TimedEvent) -> None:
        if as_json:
            record = timed.event.model_dump(mode="json")
            record["latency_s"] = None if timed.latency_s is None else round(timed.latency_s, 3)
            print(json.dumps(record, ensure_ascii=False), flush=True)
        elif isinstance(timed.event, TranscriptFinal):
            out.print(f"[bold]{timed.event}[/bold]  [green](+{timed.latency_s:.2f} s)[/green]")
        elif timed.event.segment.text:
            out.print(f"[dim]{timed.event}[/dim]")

    report = replay(speech_engine(), decoded, speed=speed, hotwords=hotwords, on_event=show)
    if not as_json:
        latencies = sorted(e.latency_s for e in report.finals if e.latency_s is not None)
        if latencies:
            median = latencies[len(latencies) // 2]
            err.print(
                f"{len(report.finals)} finals, median latency after the speaker stopped "
                f"{median:.2f} s, {report.audio_s:.1f} s of audio in {report.wall_s:.1f} s"
            )


def register(app: typer.Typer) -> None:
    app.command()(transcribe)
