"""``copilot serve``, ``copilot replay``, ``copilot analyze`` and ``copilot demo``."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from copilot.commands.common import UserError, err, require_file, user_errors
from copilot.commands.insights import RulesOnlyOpt, learned_models
from copilot.settings import Settings, get_settings

DEMO_CALL = Path(__file__).resolve().parents[2] / "samples" / "demo_call.stereo.wav"


def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the live service (HTTP + WebSockets; API docs at /docs, dashboard at /dashboard)."""
    import uvicorn

    from copilot.service.app import create_app
    from copilot.service.logs import log_config

    settings = get_settings()
    _preflight(settings)
    uvicorn.run(
        create_app(settings),
        host=host or settings.service.host,
        port=port or settings.service.port,
        ws_max_size=4 * 1024 * 1024,
        log_level="info",
        # Socket tokens ride in URLs (?token=): the access log must not keep them, nor any
        # line a transcript (copilot/service/logs.py).
        log_config=log_config(settings.service.log_format),
    )


def _preflight(settings: Settings) -> None:
    """What the service cannot start without, checked before it serves: a database that is
    down, or a knowledge-base folder that is not there, is one ``error:`` line here (the
    command line's handler), not a startup traceback of a hundred lines or a service that
    answers every suggestion with a 500."""
    from copilot.store.db import make_engine
    from retrieval.errors import RetrievalError
    from retrieval.loader import kb_files

    try:
        kb_files(settings.retrieval.kb_dir)
    except RetrievalError as exc:
        raise UserError(f"COPILOT_RETRIEVAL__KB_DIR: {exc}") from None
    engine = make_engine(config=settings.database)
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()


def replay(
    audio: Annotated[Path, typer.Argument(help="Recording to stream as a live call.")],
    url: Annotated[str, typer.Option(help="Service base URL.")] = "http://127.0.0.1:8765",
    api_key: Annotated[
        str | None, typer.Option(help="API key (default: $COPILOT_API_KEY).", show_default=False)
    ] = None,
    speed: Annotated[float, typer.Option(help="Replay speed (1 = real time).")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print events as JSON lines.")] = False,
) -> None:
    """Stream a recording to a running service in real time and print its live events."""
    from copilot.client import ClientError
    from speech.audio import decode_file
    from speech.errors import SpeechError

    key = api_key or os.environ.get("COPILOT_API_KEY")
    with user_errors(SpeechError, ClientError, OSError):
        if not key:
            raise UserError("give --api-key or set COPILOT_API_KEY (copilot keys create)")
        decoded = decode_file(audio)
        _replay(url, key, decoded, speed, as_json)


def _replay(url: str, key: str, decoded: Any, speed: float, as_json: bool) -> dict[str, Any]:
    from copilot.client import replay_call

    def show(event: dict[str, Any]) -> None:
        if as_json:
            print(json.dumps(event, ensure_ascii=False), flush=True)
        else:
            print_event(event)

    result = asyncio.run(replay_call(url, key, decoded, speed=speed, on_event=show))
    for warning in result.warnings:
        err.print(f"[yellow]service warning[/]: {warning.get('message')}")
    return result.summary or {}


def print_event(event: dict[str, Any]) -> None:
    """One event as a line a person can follow live."""
    kind = event["type"]
    at = f"[dim]{event['seq']:>4}[/]"
    if kind == "transcript.partial":
        segment = event["segment"]
        if segment["text"]:
            err.print(f"{at} [dim]… {segment['speaker']:>8}: {segment['text']}[/]")
    elif kind == "transcript.final":
        s = event["segment"]
        span = f"{s['start']:.1f}–{s['end']:.1f}s"
        err.print(f"{at} [bold]✔ {s['speaker']:>8}: {s['text']}[/]  [dim]{span}[/]")
    elif kind == "transcript.relabelled":
        for s in event["segments"]:
            err.print(f"{at} [dim]↺ {s['speaker']:>8}: {s['text']}[/]")
        if event.get("withdrawn_flags"):
            err.print(f"{at} [dim]↺ 撤回合规提示 {len(event['withdrawn_flags'])} 条[/]")
    elif kind == "insight":
        err.print(f"{at} [cyan]◆ 洞察[/] {_insight_line(event['insights'])}")
    elif kind == "suggestion":
        result = event["result"]
        early = "（提前）" if event.get("provisional") else ""
        titles = " | ".join(s["title"] for s in result["suggestions"])
        err.print(f"{at} [green]💡 建议{early}[{result['objection']}][/] {titles}")
    elif kind == "compliance.flag":
        flag = event["flag"]
        label = f"[red]⚠ 合规[{flag['severity']}] {flag['category']}[/]"
        err.print(f"{at} {label} 「{flag['match']}」→ {flag['suggestion']}")
    elif kind == "call.status":
        err.print(f"{at} [dim]· 通话状态 {event['status']}[/]")
    elif kind == "call.summary":
        err.print(f"{at} [bold magenta]■ 通话小结[/]\n{event['summary']['summary_text']}")
    elif kind == "error":
        err.print(f"{at} [red]! {event['code']}: {event['message']}[/]")


def _insight_line(insights: dict[str, Any]) -> str:
    parts = []
    if insights.get("budget"):
        b = insights["budget"]
        parts.append(f"预算 {b['amount_min']}–{b['amount_max']}")
    parts += [f"决策人 {p['name']}" for p in insights.get("decision_chain", [])]
    parts += [f"痛点 {p['category']}" for p in insights.get("pain_points", [])]
    parts += [f"异议 {o['type']}" for o in insights.get("objections", [])]
    parts += [f"竞品 {c['name']}" for c in insights.get("competitors", [])]
    parts += [f"承诺 {c['what']}" for c in insights.get("commitments", [])]
    return "；".join(parts)


def analyze(
    source: Annotated[
        Path, typer.Argument(help='A recording, or JSON {"turns": [[speaker, text], …]}.')
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the CONTRACT CallSummary.")
    ] = False,
    rules_only: RulesOnlyOpt = False,
) -> None:
    """Whole-call analysis offline: transcript, insights, compliance flags and a summary."""
    from compliance import Scanner
    from copilot.analysis import segments_from_turns, summarize
    from copilot.engines import speech_engine
    from copilot.insights import build_extractor
    from copilot.learning import assisted_extractor, assisted_scanner
    from copilot.roles import TextRoleResolver
    from copilot.summary import build_summary_writer
    from speech.errors import SpeechError

    settings = get_settings()
    with user_errors(SpeechError, OSError):
        require_file(source)
        extractor = build_extractor(settings.insights)
        scanner = Scanner(settings.compliance)
        if not rules_only:  # the learned models beside the rules, as the service runs them
            models = learned_models()
            extractor = assisted_extractor(extractor, models.customer, roles=models.roles)
            scanner = assisted_scanner(scanner, models.rep)
        if source.suffix.lower() == ".json":
            turns = _read_turns(source)
            segments = segments_from_turns(turns)
            duration = segments[-1].end if segments else 0.0
        else:
            transcript = speech_engine().transcribe_file(
                source, hotwords=settings.vocabulary.hotwords(), roles=TextRoleResolver()
            )
            segments, duration = transcript.segments, transcript.duration
        writer = build_summary_writer(settings.insights)
        summary = summarize(source.stem, segments, duration, extractor, scanner, writer)
    if as_json:
        print(summary.model_dump_json())
    else:
        for segment in summary.transcript:
            err.print(str(segment))
        err.print()
        print(summary.summary_text)


def _read_turns(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not a JSON file: {exc}") from exc
    turns = data.get("turns") if isinstance(data, dict) else None
    if not isinstance(turns, list) or not turns:
        raise UserError(f'{path}: expected {{"turns": [["rep"|"customer", text], …]}}')
    checked = []
    for n, turn in enumerate(turns, 1):
        if (
            not isinstance(turn, list)
            or len(turn) != 2
            or turn[0] not in ("rep", "customer", "unknown")
            or not isinstance(turn[1], str)
        ):
            raise UserError(f'{path}: turn {n} is not ["rep"|"customer", text]')
        checked.append((turn[0], turn[1]))
    return checked


def demo(
    audio: Annotated[Path | None, typer.Argument(help="Call to replay (default: sample).")] = None,
    speed: Annotated[float, typer.Option(help="Replay speed (1 = real time).")] = 1.0,
) -> None:
    """Start the service, replay a sample call through it live, print events and summary."""
    from speech.audio import decode_file
    from speech.errors import SpeechError

    path = audio or DEMO_CALL
    with (
        user_errors(SpeechError, OSError),
        tempfile.TemporaryDirectory(prefix="copilot-demo-") as tmp,
    ):
        decoded = decode_file(path)
        settings = demo_settings(Path(tmp))
        with running_service(settings) as (url, key):
            err.print(
                f"服务已启动 {url}（API 文档 {url}/docs）。实时回放 {path.name}（×{speed:g}）…\n"
            )
            _replay(url, key, decoded, speed, as_json=False)
        err.print("\n演示结束，服务已关闭。")


def demo_settings(data_dir: Path) -> Settings:
    settings = get_settings()
    return settings.model_copy(
        update={
            "database": settings.database.model_copy(
                update={"url": f"sqlite:///{data_dir / 'copilot.db'}"}
            )
        }
    )


class running_service:  # noqa: N801 - used as a context manager, reads like one
    """The service on a free loopback port in a background thread, with a demo tenant."""

    def __init__(
        self, settings: Settings, *, log_level: str = "warning", **app_options: Any
    ) -> None:
        self.settings = settings
        self._log_level = log_level
        self._app_options = app_options
        self._thread: threading.Thread | None = None

    def __enter__(self) -> tuple[str, str]:
        import socket

        import uvicorn

        from copilot.service.app import create_app
        from copilot.service.logs import log_config
        from copilot.store.db import make_engine, migrate, session_factory
        from copilot.store.repo import ensure_demo_tenant

        engine = make_engine(config=self.settings.database)
        migrate(engine)
        with session_factory(engine).begin() as session:
            tenant = ensure_demo_tenant(session)
        engine.dispose()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.settings, **self._app_options),
            host="127.0.0.1",
            port=port,
            log_level=self._log_level,
            # The same redaction and format as ``copilot serve``.
            log_config=log_config(self.settings.service.log_format, self._log_level),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise UserError("the service did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}", tenant.rep_key

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(replay)
    app.command()(analyze)
    app.command()(demo)
