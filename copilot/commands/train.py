"""``copilot train``: the learned models from the labelled corpus, written as artefacts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, cast

import typer

from copilot.commands.common import UserError, out, user_errors
from copilot.learning.corpus import SIDES, CorpusError, Side
from copilot.learning.roles import systems_files
from copilot.learning.runtime import MODELS_DIR
from copilot.learning.train import TrainingUnavailable, train_corpus


def train(
    corpus: Annotated[
        Path, typer.Option("--corpus", help="Folder with customer/*.jsonl and rep/*.jsonl.")
    ] = Path("corpus"),
    out_dir: Annotated[
        Path, typer.Option("--out", help="Where the artefacts go (<side>.json + .npz).")
    ] = MODELS_DIR,
    side: Annotated[
        str | None,
        typer.Option(help="Train one model only: customer, rep or roles (named systems' roles)."),
    ] = None,
    org: Annotated[
        str | None,
        typer.Option(
            "--org",
            help="Train this organisation's own model: the corpus plus its labelled examples "
            "(database of the settings), written under COPILOT_SERVICE__LEARNING__ORG_MODELS_DIR.",
        ),
    ] = None,
) -> None:
    """Train the customer-insight, rep-compliance and system-role models (deterministic:
    the same corpus gives the same bytes). A file with any bad line is refused whole."""
    if org is not None:
        train_org_command(org, corpus)
        return
    with user_errors(CorpusError, OSError, TrainingUnavailable):
        if side is not None and side not in (*SIDES, "roles"):
            raise UserError(f"--side must be one of {', '.join(SIDES)}, roles; not {side!r}")
        sides = SIDES if side is None else () if side == "roles" else (cast(Side, side),)
        roles = side in (None, "roles")
        if side == "roles" and not systems_files(corpus):
            raise UserError(f"no systems files: expected {corpus / 'systems'}/*.jsonl")
        started = time.perf_counter()
        written = train_corpus(corpus, out_dir, sides, roles=roles)
    for name, files in written.items():
        size = sum(path.stat().st_size for path in files)
        out.print(f"{name}: {', '.join(str(p) for p in files)} ({size / 1024:.0f} KiB)")
    out.print(f"trained in {time.perf_counter() - started:.1f} s")


def train_org_command(org_id: str, corpus: Path) -> None:
    from copilot.service.org_learning import org_models_dir, train_org_now
    from copilot.settings import get_settings
    from copilot.store.db import make_engine, require_current, session_factory
    from copilot.store.models import Org

    settings = get_settings()
    root = org_models_dir(settings.service.learning)
    engine = make_engine(config=settings.database)
    try:
        with user_errors(CorpusError, OSError, ValueError, TrainingUnavailable):
            require_current(engine)
            sessions = session_factory(engine)
            with sessions() as session:
                if session.get(Org, org_id) is None:
                    raise UserError(f"no organisation {org_id!r}")
            started = time.perf_counter()
            version = train_org_now(sessions, org_id, root, corpus)
            if version is None:
                raise UserError(f"organisation {org_id} has no labelled examples yet")
    finally:
        engine.dispose()
    out.print(f"org {org_id}: model {version} in {root / org_id}")
    out.print(f"trained in {time.perf_counter() - started:.1f} s")


def register(app: typer.Typer) -> None:
    app.command()(train)
