"""One taxonomy: CONTRACT.md's ids with one set of Chinese labels, in copilot/taxonomy.yaml,
shown alike by the dashboard, the call summary and the extension's side panel."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from copilot import analysis
from copilot.dashboard import present
from copilot.taxonomy import EXTENSION_COPY, TAXONOMY, TAXONOMY_FILE, extension_module, load, main

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT.parent / "shared" / "CONTRACT.md"


def contract_text() -> str:
    if not CONTRACT.exists():
        pytest.skip(f"{CONTRACT} is not beside this checkout")
    return CONTRACT.read_text(encoding="utf-8")


def contract_section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_objection_ids_and_labels_are_the_contract_table() -> None:
    table = contract_section(contract_text(), "Objection types", "Pain-point categories")
    rows = re.findall(r"^\| `(\w+)` \| (\S+) \|", table, re.MULTILINE)
    assert rows and dict(rows) == TAXONOMY.objection
    assert list(dict(rows)) == list(TAXONOMY.objection)


def test_pain_and_compliance_ids_are_the_contract_ids() -> None:
    text = contract_text()
    pains = re.findall(
        r"`(\w+)` \(", contract_section(text, "Pain-point categories", "Compliance categories")
    )
    assert pains == list(TAXONOMY.pain_point)
    table = contract_section(text, "Compliance categories", "Severity:")
    assert re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE) == list(TAXONOMY.compliance)
    severity = re.search(r"^Severity: (.*)$", text, re.MULTILINE)
    assert severity is not None
    assert re.findall(r"`(\w+)`", severity.group(1)) == list(TAXONOMY.severity)


def test_the_extension_copy_is_generated_from_the_yaml(tmp_path: Path) -> None:
    committed = EXTENSION_COPY.read_text(encoding="utf-8")
    assert committed == extension_module(), (
        "browser_extension/lib/taxonomy.js is stale: run .venv/bin/python -m copilot.taxonomy"
    )
    assert main(["--check"]) == 0
    stale = tmp_path / "taxonomy.js"
    stale.write_text(committed.replace("价格异议", "价格问题"), encoding="utf-8")
    assert main(["--check", "--out", str(stale)]) == 1
    assert main(["--out", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == committed


def test_the_side_panel_labels_come_from_the_generated_module() -> None:
    labels = (ROOT / "browser_extension" / "lib" / "labels.js").read_text(encoding="utf-8")
    assert 'import { TAXONOMY } from "./taxonomy.js";' in labels
    for name, group in [
        ("OBJECTIONS", "objection"),
        ("PAIN_POINTS", "pain_point"),
        ("COMPLIANCE", "compliance"),
        ("SEVERITY", "severity"),
        ("SPEAKERS", "speaker"),
        ("PERIODS", "period"),
        ("SUGGESTION_KINDS", "suggestion_kind"),
    ]:
        assert f"export const {name} = TAXONOMY.{group};" in labels


def test_dashboard_and_summary_use_the_taxonomy() -> None:
    assert present.CATEGORY_LABELS == TAXONOMY.compliance
    assert present.SEVERITY_LABELS == TAXONOMY.severity
    assert analysis.OBJECTION_LABELS == TAXONOMY.objection
    assert analysis.PAIN_LABELS == TAXONOMY.pain_point
    assert analysis.COMPLIANCE_LABELS == TAXONOMY.compliance


# An id followed by one of its labels, as a dict or object entry: ``price: "价格异议"``.
def _label_pairs() -> re.Pattern[str]:
    pairs = [
        rf"""["']?\b{re.escape(key)}\b["']?\s*:\s*["']{re.escape(label)}["']"""
        for group in ("objection", "pain_point", "compliance", "severity")
        for key, label in TAXONOMY.groups()[group].items()
    ]
    return re.compile("|".join(pairs))


def test_no_other_label_table_in_the_code() -> None:
    """A second table of these labels is how the dashboard and the side panel drifted apart
    (9 of 21 labels differed)."""
    pattern = _label_pairs()
    generated = {EXTENSION_COPY.resolve()}
    found = []
    for folder, suffixes in [
        ("copilot", {".py", ".html", ".js"}),
        ("browser_extension", {".js", ".html"}),
        ("compliance", {".py"}),
        ("retrieval", {".py"}),
    ]:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in suffixes or path.resolve() in generated:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_kb_tag_vocabulary_repeats_the_same_labels() -> None:
    """knowledge_base/tags.yaml uses the labels as search words for tagged entries."""
    tags = yaml.safe_load((ROOT / "knowledge_base" / "tags.yaml").read_text(encoding="utf-8"))
    assert tags["objection"] == TAXONOMY.objection
    assert tags["pain"] == TAXONOMY.pain_point
    assert tags["compliance"] == TAXONOMY.compliance


def test_a_file_missing_an_id_does_not_load(tmp_path: Path) -> None:
    data = yaml.safe_load(TAXONOMY_FILE.read_text(encoding="utf-8"))
    del data["objection"]["risk"]
    broken = tmp_path / "taxonomy.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ValidationError, match="objection"):
        load(broken)
    data = yaml.safe_load(TAXONOMY_FILE.read_text(encoding="utf-8"))
    data["severity"]["critical"] = "致命"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ValidationError, match="severity"):
        load(broken)


def test_objection_type_is_defined_once() -> None:
    """In the retrieval library, which ranks by it and cannot import the service; the
    insight models import it from there."""
    definitions = []
    for package in ("speech", "retrieval", "compliance", "copilot"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Assign):
                    targets = node.targets
                elif isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                else:
                    continue
                if any(isinstance(t, ast.Name) and t.id == "ObjectionType" for t in targets):
                    definitions.append(str(path.relative_to(ROOT)))
    assert definitions == ["retrieval/schema.py"]
