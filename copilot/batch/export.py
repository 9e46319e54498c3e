"""A batch run as a table: one row per recording, to CSV or Parquet.

The columns are fixed (:data:`COLUMNS`), lists are joined with ``; `` so both formats hold
the same values, and every compliance category has its own count column, zero included,
so a spreadsheet sums them without guessing which exist.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.analysis import COMPLIANCE_LABELS
from copilot.dashboard.csv_export import safe_cell
from copilot.store.models import BatchItem, Call

PARQUET_MISSING = "Parquet export needs pyarrow — run: pip install 'sales-copilot[batch]'"
FLAG_COLUMNS = [f"flags_{category}" for category in COMPLIANCE_LABELS]

# name -> Arrow type name; the order is the file's column order.
COLUMNS: dict[str, str] = {
    "run_id": "string",
    "path": "string",
    "status": "string",
    "error": "string",
    "call_id": "string",
    "call_status": "string",
    "duration_s": "float64",
    "customer_name": "string",
    "org_id": "string",
    "rep_id": "string",
    "content_hash": "string",
    "objections": "string",
    "vendors": "string",
    "pain_points": "string",
    "decision_makers": "string",
    "budget_min": "int64",
    "budget_max": "int64",
    "budget_text": "string",
    "commitments": "string",
    "flags_total": "int64",
    **dict.fromkeys(FLAG_COLUMNS, "int64"),
    "summary_text": "string",
}

Row = dict[str, Any]


def export_rows(session: Session, run_id: str) -> list[Row]:
    query = (
        select(BatchItem, Call)
        .outerjoin(Call, Call.id == BatchItem.call_id)
        .where(BatchItem.run_id == run_id)
        .order_by(BatchItem.id)
    )
    return [_row(item, call) for item, call in session.execute(query).all()]


def _row(item: BatchItem, call: Call | None) -> Row:
    summary: dict[str, Any] = (call.summary if call is not None else None) or {}
    budget = summary.get("budget") or {}
    flags = Counter(f.get("category", "") for f in summary.get("compliance_flags", []))
    duration = call.duration_s if call is not None and call.duration_s else item.duration_s
    row: Row = {
        "run_id": item.run_id,
        "path": item.path,
        "status": item.status,
        "error": item.error or "",
        "call_id": item.call_id or "",
        "call_status": call.status if call is not None else "",
        "duration_s": round(duration, 2) if duration is not None else None,
        "customer_name": item.customer_name,
        "org_id": item.org_id,
        "rep_id": item.rep_id,
        "content_hash": item.content_hash,
        "objections": _joined(o.get("type") for o in summary.get("objections", [])),
        "vendors": _joined(c.get("name") for c in summary.get("competitors", [])),
        "pain_points": _joined(p.get("category") for p in summary.get("pain_points", [])),
        "decision_makers": _joined(
            f"{p.get('name')}（{p.get('role')}）" if p.get("role") else p.get("name")
            for p in summary.get("decision_chain", [])
        ),
        "budget_min": budget.get("amount_min"),
        "budget_max": budget.get("amount_max"),
        "budget_text": (budget.get("evidence") or {}).get("text", ""),
        "commitments": _joined(c.get("what") for c in summary.get("commitments", [])),
        "flags_total": sum(flags.values()),
        **{f"flags_{c}": flags.get(c, 0) for c in COMPLIANCE_LABELS},
        "summary_text": summary.get("summary_text", ""),
    }
    return row


def _joined(values: Any) -> str:
    return "; ".join(dict.fromkeys(str(v) for v in values if v))


def write_export(rows: list[Row], path: Path) -> None:
    """CSV (UTF-8 with a BOM, so Excel shows the Chinese) or Parquet, by the suffix."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        write_csv(rows, path)
    elif suffix == ".parquet":
        write_parquet(rows, path)
    else:
        raise ValueError(f"{path}: export to .csv or .parquet")


def write_csv(rows: list[Row], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS))
        writer.writeheader()
        for row in rows:
            # Text from calls (summaries, names, errors) is shown, never evaluated.
            writer.writerow({k: safe_cell(v) if isinstance(v, str) else v for k, v in row.items()})


def write_parquet(rows: list[Row], path: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(PARQUET_MISSING) from exc
    schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in COLUMNS.items()])
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
