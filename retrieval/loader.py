"""Reading and validating the knowledge base, reporting every problem with file and line.

The YAML is composed to nodes first (not loaded straight to Python objects) so that each
entry, and each field of an entry, keeps the line it was written on: an author fixing the
KB wants ``scripts/price.yaml:42``, not "entry 7 is wrong".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from retrieval.errors import KbValidationError, RetrievalError
from retrieval.schema import (
    ID_PREFIXES,
    KINDS,
    KbEntry,
    KbProblem,
    TagVocabulary,
)

TAGS_FILE = "tags.yaml"
# Files in the KB directory that are not lists of entries.
NOT_ENTRIES = frozenset({TAGS_FILE, "competitors.yaml"})


class _TextDatesLoader(yaml.SafeLoader):
    """SafeLoader that leaves ``2026-01-15`` as text: the schema parses dates, so a bad date
    becomes a problem on its entry instead of an exception that stops the whole file."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class KnowledgeBase:
    """The entries of a KB directory and its tag vocabulary."""

    directory: Path
    entries: list[KbEntry]
    tags: TagVocabulary
    # Where each entry was read from, as ``file:line`` (for messages).
    sources: dict[str, str] = field(default_factory=dict)

    def by_id(self) -> dict[str, KbEntry]:
        return {entry.id: entry for entry in self.entries}


@dataclass
class _Located:
    entry: KbEntry
    file: str
    line: int


def kb_files(directory: Path) -> list[Path]:
    """Every entry file under ``directory``, sorted; tags and competitors are not entries."""
    if not directory.is_dir():
        raise RetrievalError(f"{directory}: no such knowledge-base directory")
    return sorted(
        path
        for path in directory.rglob("*.yaml")
        if not any(part.startswith(".") for part in path.relative_to(directory).parts)
        and path.relative_to(directory).as_posix() not in NOT_ENTRIES
    )


def validate_kb(directory: Path) -> list[KbProblem]:
    """Every problem of the KB in ``directory`` (empty when it is valid)."""
    return _read(directory)[1]


def load_kb(directory: Path) -> KnowledgeBase:
    """The valid KB in ``directory``; raises :class:`KbValidationError` listing every problem."""
    kb, problems = _read(directory)
    if problems:
        raise KbValidationError(problems)
    return kb


def read_entries_file(
    path: Path, tags: TagVocabulary
) -> tuple[list[KbEntry], dict[str, str], list[KbProblem]]:
    """The entries of one YAML file kept outside a KB directory (an organisation's own
    content), checked against ``tags`` like ``validate_kb`` checks a directory: the valid
    entries, where each was read (``file:line``) and every problem."""
    problems: list[KbProblem] = []
    if not path.is_file():
        return [], {}, [KbProblem(file=str(path), message="no such file")]
    located = _read_entries(path, str(path), tags, problems)
    _check_duplicates(located, problems)
    problems.sort(key=lambda p: (p.file, p.line or 0))
    sources = {item.entry.id: f"{item.file}:{item.line}" for item in located}
    return [item.entry for item in located], sources, problems


def _read(directory: Path) -> tuple[KnowledgeBase, list[KbProblem]]:
    problems: list[KbProblem] = []
    tags = _read_tags(directory, problems)
    located: list[_Located] = []
    for path in kb_files(directory):
        located.extend(_read_entries(path, _display(directory, path), tags, problems))
    _check_duplicates(located, problems)
    problems.sort(key=lambda p: (p.file, p.line or 0))
    kb = KnowledgeBase(
        directory=directory,
        entries=[item.entry for item in located],
        tags=tags,
        sources={item.entry.id: f"{item.file}:{item.line}" for item in located},
    )
    return kb, problems


def _display(directory: Path, path: Path) -> str:
    """How a file is named in problems: as the user would type it from here."""
    return str(directory / path.relative_to(directory))


def _compose(path: Path, shown: str, problems: list[KbProblem]) -> tuple[Any, Any] | None:
    """The YAML node tree of ``path`` and its loader, or None after recording why not."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(KbProblem(file=shown, message=f"cannot read file: {exc}"))
        return None
    loader = _TextDatesLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        # "found unexpected end of stream" says little without where the unclosed thing began.
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark is not None:
            reason = f"{reason} ({context} at line {context_mark.line + 1})"
        problems.append(KbProblem(file=shown, line=line, message=f"broken YAML: {reason}"))
        return None
    finally:
        loader.dispose()
    return node, loader


def _read_tags(directory: Path, problems: list[KbProblem]) -> TagVocabulary:
    path = directory / TAGS_FILE
    shown = _display(directory, path)
    if not path.is_file():
        return TagVocabulary()
    composed = _compose(path, shown, problems)
    if composed is None or composed[0] is None:
        return TagVocabulary()
    node, loader = composed
    data = loader.construct_document(node)
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        problems.append(
            KbProblem(file=shown, line=1, message="expected group -> {tag id: label} mappings")
        )
        return TagVocabulary()
    groups = {str(g): {str(t): str(label) for t, label in tags.items()} for g, tags in data.items()}
    seen: dict[str, str] = {}
    for group, tags in groups.items():
        for tag in tags:
            if tag in seen:
                problems.append(
                    KbProblem(
                        file=shown,
                        line=_key_line(node, group),
                        message=f"tag {tag!r} is in both {seen[tag]!r} and {group!r}",
                    )
                )
            seen[tag] = group
    return TagVocabulary(groups=groups)


def _key_line(mapping: Any, key: str) -> int | None:
    for key_node, _ in getattr(mapping, "value", []):
        if getattr(key_node, "value", None) == key:
            return int(key_node.start_mark.line) + 1
    return None


def _read_entries(
    path: Path, shown: str, tags: TagVocabulary, problems: list[KbProblem]
) -> list[_Located]:
    composed = _compose(path, shown, problems)
    if composed is None or composed[0] is None:
        return []  # broken (already reported) or an empty file
    node, loader = composed
    if not isinstance(node, yaml.SequenceNode):
        problems.append(
            KbProblem(file=shown, line=node.start_mark.line + 1, message="expected a list")
        )
        return []
    located = []
    for item in node.value:
        entry = _read_entry(item, loader, shown, tags, problems)
        if entry is not None:
            located.append(_Located(entry, shown, item.start_mark.line + 1))
    return located


def _read_entry(
    node: Any, loader: Any, shown: str, tags: TagVocabulary, problems: list[KbProblem]
) -> KbEntry | None:
    line = node.start_mark.line + 1
    if not isinstance(node, yaml.MappingNode):
        problems.append(KbProblem(file=shown, line=line, message="entry is not a mapping"))
        return None
    field_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in field_lines:
            problems.append(
                KbProblem(
                    file=shown,
                    line=key_node.start_mark.line + 1,
                    message=f"field {key!r} is given twice",
                )
            )
        field_lines[key] = value_node.start_mark.line + 1
    try:
        raw = loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problems.append(KbProblem(file=shown, line=line, message=f"broken YAML: {exc}"))
        return None
    entry_id = raw.get("id") if isinstance(raw.get("id"), str) else None

    def report(message: str, at: str | None = None) -> None:
        problems.append(
            KbProblem(
                file=shown,
                line=field_lines.get(at, line) if at else line,
                entry_id=entry_id,
                message=message,
            )
        )

    try:
        entry = KbEntry.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            where = str(error["loc"][0]) if error["loc"] else None
            report(_explain(error, raw), where)
        entry = None
    _check_tags(raw, tags, report)
    if entry is not None:
        _check_conventions(entry, tags, report)
    return entry


def _explain(error: Any, raw: dict[str, Any]) -> str:
    """A pydantic error in the words of the KB README."""
    name = ".".join(str(part) for part in error["loc"]) or "entry"
    kind = error["type"]
    if kind == "missing":
        return f"missing field {name!r}"
    if kind == "extra_forbidden":
        return f"unknown field {name!r}"
    if name == "kind":
        return f"kind {raw.get('kind')!r} is not one of {', '.join(KINDS)}"
    if name == "updated":
        return f"updated {raw.get('updated')!r} is not an ISO date (YYYY-MM-DD)"
    if name == "id" and kind == "string_pattern_mismatch":
        return f"id {raw.get('id')!r} is not a kebab id like kb-script-price-mfg-01"
    if kind in ("string_too_short", "value_error") and name in ("title", "text"):
        return f"{name} is empty"
    return f"{name}: {error['msg']}"


def _check_tags(raw: dict[str, Any], tags: TagVocabulary, report: Any) -> None:
    values = raw.get("tags")
    if not isinstance(values, list):
        return  # reported by the schema
    if not values:
        report("tags is empty", "tags")
    seen: set[str] = set()
    for tag in values:
        if not isinstance(tag, str):
            continue
        if tag in seen:
            report(f"tag {tag!r} is listed twice", "tags")
        seen.add(tag)
        if tag not in tags:
            report(f"unknown tag {tag!r} (not in {TAGS_FILE})", "tags")


def _check_conventions(entry: KbEntry, tags: TagVocabulary, report: Any) -> None:
    """The README's rules that the schema alone cannot express."""
    prefix = ID_PREFIXES[entry.kind]
    if not entry.id.startswith(prefix):
        report(f"a {entry.kind} id must start with {prefix!r}", "id")
    if entry.kind == "case" and entry.illustrative is not True:
        report("cases are illustrative examples and must set illustrative: true", "illustrative")
    if entry.kind != "case" and entry.illustrative is not None:
        report("only cases carry 'illustrative'", "illustrative")
    if entry.kind == "script" and tags.groups:
        if not any(tags.group_of(tag) == "objection" for tag in entry.tags):
            report("a script must carry its objection type tag", "tags")
        industries = [tag for tag in entry.tags if tags.group_of(tag) == "industry"]
        if len(industries) != 1:
            report(
                f"a script carries exactly one industry tag (general when not specific), "
                f"not {len(industries)}",
                "tags",
            )


def _check_duplicates(located: list[_Located], problems: list[KbProblem]) -> None:
    places: dict[str, list[_Located]] = defaultdict(list)
    for item in located:
        places[item.entry.id].append(item)
    for entry_id, items in places.items():
        if len(items) < 2:
            continue
        for item in items:
            others = ", ".join(f"{o.file}:{o.line}" for o in items if o is not item)
            problems.append(
                KbProblem(
                    file=item.file,
                    line=item.line,
                    entry_id=entry_id,
                    message=f"duplicate id (also at {others})",
                )
            )
    # Entries with duplicate ids are kept in the list so that load_kb's error lists them all;
    # load_kb refuses the KB anyway.
