"""``copilot batch DIR|MANIFEST``: analyse many recordings into the store; ``copilot batch
export`` and ``copilot batch status`` for what a run holds (docs/batch.md)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from typer.core import TyperGroup

from copilot.commands.common import UserError, err, user_errors
from copilot.settings import get_settings
from copilot.store.errors import StoreError


class _RunByDefault(TyperGroup):
    """``copilot batch DIR`` reads as ``copilot batch run DIR``: a source is not a command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


batch_app = typer.Typer(
    help="Bulk analysis: `copilot batch DIR|MANIFEST` runs `run` on it (docs/batch.md).",
    no_args_is_help=True,
    cls=_RunByDefault,
)

Workers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="Local worker processes (default: one per core; 0: in this process).",
        show_default=False,
    ),
]
RayAddress = Annotated[
    str | None,
    typer.Option(
        "--ray",
        help="Recognise on a Ray cluster: auto, HOST:PORT, ray://HOST:10001, or local.",
        show_default=False,
    ),
]


@contextmanager
def _database() -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    from copilot.store.db import make_engine, require_current, session_factory

    engine = make_engine(config=get_settings().database)
    try:
        require_current(engine)
        yield engine, session_factory(engine)
    finally:
        engine.dispose()


@batch_app.command("run")
def run(
    source: Annotated[
        Path, typer.Argument(help="A folder of recordings, or a CSV/JSONL manifest.")
    ],
    org: Annotated[
        str | None, typer.Option("--org", help="Org id or name (rows may name their own).")
    ] = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="Rep id or email (rows may name their own).")
    ] = None,
    workers: Workers = None,
    ray: RayAddress = None,
    cpus_per_task: Annotated[
        int, typer.Option("--ray-cpus", help="CPUs (model threads) per Ray task.")
    ] = 1,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Try the run's failed recordings again.")
    ] = False,
    export: Annotated[
        Path | None, typer.Option("--export", help="Then write the run to out.csv / out.parquet.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run's counts as JSON.")
    ] = False,
) -> None:
    """Analyse every recording of SOURCE once into the store; run again to resume."""
    from copilot.batch import runner
    from copilot.batch.pools import ClusterUnreachable
    from copilot.batch.sources import SourceError, read_source

    settings = get_settings()
    with user_errors(
        SourceError,
        StoreError,
        SQLAlchemyError,
        ModuleNotFoundError,
        ValueError,
        ClusterUnreachable,
    ):
        if export is not None and export.suffix.lower() not in (".csv", ".parquet"):
            raise UserError(f"{export}: export to .csv or .parquet")
        recordings = read_source(source)
        with _database() as (_, sessions):
            pool = _pool(settings, workers, ray, cpus_per_task)
            run_id = runner.prepare(sessions, source, recordings, runner.Owner(org, rep), pool.name)
            state = runner.batch_state(settings, sessions)
            view = _ProgressView()
            try:
                with view:
                    counts = runner.run_batch(
                        state, run_id, pool, retry_failed=retry_failed, on_progress=view.update
                    )
            except KeyboardInterrupt:
                raise UserError(
                    f"stopped; run the same command again to resume (run {run_id})"
                ) from None
            finally:
                runner.close_state(state)
            if export is not None:
                _export(sessions, run_id, export)
    done = counts["done"] + counts["duplicate"]
    if as_json:
        print(json.dumps({"run_id": run_id, **counts.by_status, "audio_s": counts.audio_s}))
    err.print(
        f"run {run_id}: {done} analysed ({counts['duplicate']} already stored), "
        f"{counts['failed']} failed, {counts.audio_s / 3600:.2f} h of audio"
    )
    if counts["failed"]:
        err.print(f"the reasons: copilot batch export {run_id} failed.csv (column error)")


def _pool(settings: Any, workers: int | None, ray: str | None, cpus_per_task: int) -> Any:
    from copilot.batch.pools import InlinePool, LocalPool, RayPool

    if ray is not None:
        return RayPool(settings, ray, cpus_per_task=cpus_per_task)
    count = (os.cpu_count() or 1) if workers is None else workers
    if count == 0:
        from copilot.engines import speech_engine

        return InlinePool(speech_engine())
    return LocalPool(settings, count)


@batch_app.command("export")
def export_run(
    run_id: Annotated[str, typer.Argument(help="The run id, or the source it ran on.")],
    out: Annotated[Path, typer.Argument(help="out.csv or out.parquet.")],
) -> None:
    """One row per recording of a run: call, duration, status, insights, flags, summary."""
    with user_errors(StoreError, SQLAlchemyError, ModuleNotFoundError, ValueError):
        with _database() as (_, sessions):
            _export(sessions, _run_id(sessions, run_id), out)


def _export(sessions: sessionmaker[Session], run_id: str, out: Path) -> None:
    from copilot.batch.export import export_rows, write_export

    with sessions() as session:
        rows = export_rows(session, run_id)
    write_export(rows, out)
    err.print(f"{len(rows)} row(s) → {out}")


def _run_id(sessions: sessionmaker[Session], name: str) -> str:
    from copilot.store.models import BatchRun

    with sessions() as session:
        if session.get(BatchRun, name) is not None:
            return name
        found = session.scalar(
            select(BatchRun.id)
            .where(BatchRun.source == str(Path(name).resolve()))
            .order_by(BatchRun.created_at.desc())
        )
    if found is None:
        raise UserError(f"no batch run {name!r} (copilot batch status lists them)")
    return found


@batch_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per run.")] = False,
) -> None:
    """The batch runs, newest first, with their counts."""
    from copilot.batch.runs import counts
    from copilot.store.models import BatchRun

    with user_errors(StoreError, SQLAlchemyError), _database() as (_, sessions):
        with sessions() as session:
            found = session.scalars(select(BatchRun).order_by(BatchRun.created_at.desc())).all()
            for batch in found:
                tally = counts(session, batch.id)
                record = {
                    "run_id": batch.id,
                    "source": batch.source,
                    "status": batch.status,
                    **tally.by_status,
                    "audio_h": round(tally.audio_s / 3600, 3),
                }
                if as_json:
                    print(json.dumps(record, ensure_ascii=False))
                else:
                    print("  ".join(f"{k}={v}" for k, v in record.items()))


class _ProgressView:
    """The progress bar: finished of total, then done / failed / remaining, audio hours, ETA."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[tally]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> _ProgressView:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def update(self, counts: Any) -> None:
        finished = counts["done"] + counts["duplicate"] + counts["failed"]
        tally = (
            f"[green]{counts['done'] + counts['duplicate']} done[/] "
            f"[red]{counts['failed']} failed[/] {counts.remaining} left "
            f"· {counts.audio_s / 3600:.2f} h audio"
        )
        if self._task is None:
            # Started at what an earlier run already finished, so the ETA is this run's pace.
            self._task = self._progress.add_task(
                "batch", total=counts.total, completed=finished, tally=tally
            )
        else:
            self._progress.update(self._task, total=counts.total, completed=finished, tally=tally)


def register(app: typer.Typer) -> None:
    app.add_typer(batch_app, name="batch")
