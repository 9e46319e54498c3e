"""The fixed ids of CONTRACT.md's taxonomies and their Chinese labels, from ``taxonomy.yaml``.

One source for every place that shows them: the dashboard and the call summary read
:data:`TAXONOMY`; the extension's side panel reads ``browser_extension/lib/taxonomy.js``,
generated from the same file (MV3 pages load no remote data, and a JSON import needs a newer
Chrome than the manifest's minimum, so the copy is a plain ES module). Regenerate it with

    .venv/bin/python -m copilot.taxonomy          # write the copy
    .venv/bin/python -m copilot.taxonomy --check  # exit 1 when it is stale

The ids are checked against the code's ``Literal`` types when the file loads, so a label
table can never name an id the code does not know, or miss one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Annotated, Any, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from compliance.models import CATEGORIES, Severity
from copilot.insights.models import PAIN_CATEGORIES, Period, Speaker
from retrieval.schema import KINDS, OBJECTION_TYPES

TAXONOMY_FILE = Path(__file__).resolve().with_name("taxonomy.yaml")
# Only in a source checkout: the extension is not part of the Python package.
EXTENSION_COPY = Path(__file__).resolve().parents[1] / "browser_extension" / "lib" / "taxonomy.js"

Labels = dict[str, Annotated[str, Field(min_length=1)]]

# The ids each group must hold, in this order (the order of filters and legends).
EXPECTED_IDS: dict[str, tuple[str, ...]] = {
    "objection": OBJECTION_TYPES,
    "pain_point": PAIN_CATEGORIES,
    "compliance": CATEGORIES,
    "severity": get_args(Severity),
    "speaker": get_args(Speaker),
    "period": get_args(Period),
    "suggestion_kind": KINDS,
}


class TaxonomyError(ValueError):
    """taxonomy.yaml does not match the ids the code knows."""


class Taxonomy(BaseModel):
    """Group → {id: Chinese label}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    objection: Labels
    pain_point: Labels
    compliance: Labels
    severity: Labels
    speaker: Labels
    period: Labels
    suggestion_kind: Labels

    @model_validator(mode="after")
    def _ids_are_the_contract_ids(self) -> Taxonomy:
        for group, expected in EXPECTED_IDS.items():
            found = tuple(getattr(self, group))
            if found != expected:
                raise TaxonomyError(
                    f"taxonomy group {group!r} has ids {list(found)}; the code expects "
                    f"{list(expected)} (CONTRACT.md), in that order"
                )
        return self

    def groups(self) -> dict[str, dict[str, str]]:
        return {group: dict(getattr(self, group)) for group in EXPECTED_IDS}

    def label(self, group: str, value: str | None) -> str:
        """The label of ``value`` in ``group``; an unknown value reads as itself."""
        if value is None:
            return ""
        table: dict[str, str] = getattr(self, group)
        return table.get(value, value)


def load(path: Path = TAXONOMY_FILE) -> Taxonomy:
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Taxonomy.model_validate(data)


TAXONOMY = load()


def extension_module(taxonomy: Taxonomy = TAXONOMY) -> str:
    """The text of ``browser_extension/lib/taxonomy.js``."""
    body = json.dumps(taxonomy.groups(), ensure_ascii=False, indent=2)
    return (
        "// Generated from copilot/taxonomy.yaml by `python -m copilot.taxonomy`: do not edit.\n"
        "// The ids of shared/CONTRACT.md and their Chinese labels, as the dashboard shows them.\n"
        f"export const TAXONOMY = {body};\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m copilot.taxonomy",
        description="Write the extension's copy of copilot/taxonomy.yaml.",
    )
    parser.add_argument("--check", action="store_true", help="only report whether it is stale")
    parser.add_argument("--out", type=Path, default=EXTENSION_COPY, help="where the copy goes")
    args = parser.parse_args(argv)
    wanted = extension_module()
    current = args.out.read_text(encoding="utf-8") if args.out.exists() else None
    if args.check:
        if current != wanted:
            print(f"{args.out} is stale: run python -m copilot.taxonomy", file=sys.stderr)
            return 1
        return 0
    if current != wanted:
        args.out.write_text(wanted, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
