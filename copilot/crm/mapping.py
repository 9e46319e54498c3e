"""Declarative CRM mappings: a YAML (or JSON) tree that turns a FilingRecord into requests.

A mapping lists requests (method, path template, body). Body leaves are literals or
*directives*, mappings whose keys all start with ``$``::

    Subject: 销售通话                          # a literal
    WhoId: $identity.contact_id                 # a reference: dropped when empty
    ActivityDate: {$from: started_at, $format: date}
    WhatId: {$from: [identity.opportunity_id, identity.account_id]}   # first non-empty
    Description: {$join: [{$from: summary_text}, {$from: decision_chain, $prefix: 决策链：}]}
    url: {$path: /services/data/v60.0/sobjects/Opportunity/{identity.opportunity_id}}
    tasks: {$each: tasks, $as: task, $do: {subject: $task.subject}}
    deal: {$when: identity.opportunity_id, $do: 3, $else: 1}

docs/crm-mappings.md is the reference. The tree is compiled once, when the mapping is
validated: every field path is checked against :class:`FilingRecord`, every format and
lookup against what exists, so a typo fails when an admin saves the mapping, not when a
rep confirms a call. Rendering walks the compiled tree with plain functions; there is no
expression language and nothing to evaluate.
"""

from __future__ import annotations

import functools
import json
import re
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from copilot.crm.acceptance import Acceptance
from copilot.crm.errors import CrmError
from copilot.crm.filing import CrmRequest, FilingRecord
from copilot.crm.mapping_formats import FORMATS, FormatError, to_json

MAPPINGS_DIR = Path(__file__).resolve().with_name("mappings")
JsonScalar = str | int | float | bool | None


class MappingError(CrmError):
    """A mapping is not valid: the message names each problem and where it is."""


class MappingRenderError(MappingError):
    """A valid mapping could not render a record (a value that cannot take its format)."""


# ---------------------------------------------------------------------------- the model


class RequestSpec(BaseModel):
    """One request of a mapping; ``each`` repeats it per list item, ``when`` skips it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    method: Literal["POST", "PUT", "PATCH"]
    path: str = ""  # relative to the org's CRM URL; {record.path} placeholders
    body: dict[str, Any]
    when: str | list[str] | None = None  # record paths that must all be non-empty
    each: str | None = None  # a record list: one request per item
    as_: str = Field(default="item", alias="as", pattern=r"^[a-z_][a-z0-9_]*$")
    note: str = ""  # what the request is for, for people
    # How the CRM's 2xx answer is read (copilot.crm.acceptance).
    accept: Acceptance = "status"


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    title: str
    description: str = ""
    # Calendar days (``$format: date``) and bare due dates as moments are taken here.
    timezone: str = "UTC"
    # Tables for ``$lookup: name``: rep id -> CRM owner id, task owner -> priority…
    lookups: dict[str, dict[str, JsonScalar]] = Field(default_factory=dict)
    # Org-specific values the CRM requires (a business-type id): ``$const.name``.
    constants: dict[str, JsonScalar] = Field(default_factory=dict)
    requests: list[RequestSpec] = Field(min_length=1)

    _compiled: list[_CompiledRequest] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _compile(self) -> Mapping:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from exc
        compiler = _Compiler(self)
        self._compiled = [compiler.request(spec, n) for n, spec in enumerate(self.requests)]
        if compiler.errors:
            raise ValueError("\n".join(compiler.errors))
        return self

    def with_overrides(
        self,
        *,
        constants: dict[str, JsonScalar] | None = None,
        lookups: dict[str, dict[str, JsonScalar]] | None = None,
    ) -> Mapping:
        """This mapping with an org's own constants and lookup rows merged in."""
        data = self.model_dump(by_alias=True)
        data["constants"] = {**self.constants, **(constants or {})}
        merged = {name: dict(rows) for name, rows in self.lookups.items()}
        for name, rows in (lookups or {}).items():
            merged[name] = {**merged.get(name, {}), **rows}
        data["lookups"] = merged
        return load_mapping(data)


# ------------------------------------------------------------------- the compiled tree


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
FieldPath = tuple[str, ...]


def _is_empty(value: Any) -> bool:
    return value is MISSING or value is None or value in ("", [], {}, ())


@dataclass(frozen=True)
class _Finish:
    """What happens to a value once found: lookup, format, cut, affixes, or a default."""

    where: str
    format: str | None = None
    lookup: dict[str, JsonScalar] | None = None
    max_chars: int | None = None
    prefix: str = ""
    suffix: str = ""
    default: Any = MISSING
    missing: str = "drop"  # drop | null | error

    def apply(self, value: Any, ctx: _Context) -> Any:
        if not _is_empty(value) and self.lookup is not None:
            value = self.lookup.get(str(value), MISSING)
        if not _is_empty(value):
            try:
                value = FORMATS[self.format](value, ctx.tz) if self.format else to_json(value)
            except FormatError as exc:
                raise MappingRenderError(f"{self.where}: {exc}") from exc
            if isinstance(value, str):
                if self.max_chars is not None:
                    budget = self.max_chars - len(self.prefix) - len(self.suffix)
                    if len(value) > budget:
                        value = value[: max(budget - 1, 0)] + "…"
                value = f"{self.prefix}{value}{self.suffix}"
        if not _is_empty(value):
            return value
        if self.default is not MISSING:
            return self.default
        if self.missing == "null":
            return None
        if self.missing == "error":
            raise MappingRenderError(f"{self.where}: no value, and the mapping requires one")
        return MISSING


@dataclass(frozen=True)
class _Lit:
    value: Any

    def render(self, ctx: _Context) -> Any:
        return self.value


@dataclass(frozen=True)
class _Ref:
    paths: tuple[FieldPath, ...]  # the first non-empty wins
    finish: _Finish

    def render(self, ctx: _Context) -> Any:
        for path in self.paths:
            value = ctx.lookup(path)
            if not _is_empty(value):
                return self.finish.apply(value, ctx)
        return self.finish.apply(MISSING, ctx)


@dataclass(frozen=True)
class _Template:
    parts: tuple[str | FieldPath, ...]
    url_quote: bool  # $path and request paths: each value is one path segment
    finish: _Finish

    def text(self, ctx: _Context) -> str | None:
        """The filled-in string; None when a placeholder names an empty value."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = ctx.lookup(part)
            if _is_empty(value):
                return None
            text = value if isinstance(value, str) else str(to_json(value))
            out.append(quote(text, safe="") if self.url_quote else text)
        return "".join(out)

    def render(self, ctx: _Context) -> Any:
        text = self.text(ctx)
        return self.finish.apply(MISSING if text is None else text, ctx)


@dataclass(frozen=True)
class _Join:
    items: tuple[_Node, ...]
    sep: str
    finish: _Finish

    def render(self, ctx: _Context) -> Any:
        texts = []
        for item in self.items:
            value = item.render(ctx)
            if not _is_empty(value):
                texts.append(value if isinstance(value, str) else json.dumps(value))
        return self.finish.apply(self.sep.join(texts) if texts else MISSING, ctx)


@dataclass(frozen=True)
class _Each:
    source: FieldPath
    var: str
    body: _Node

    def render(self, ctx: _Context) -> Any:
        items = ctx.lookup(self.source)
        if _is_empty(items):
            return MISSING
        out = []
        for index, item in enumerate(items, 1):
            value = self.body.render(ctx.inside(self.var, item, index))
            if value is not MISSING:
                out.append(value)
        return out or MISSING


@dataclass(frozen=True)
class _When:
    conditions: tuple[FieldPath, ...]
    then: _Node
    otherwise: _Node | None

    def render(self, ctx: _Context) -> Any:
        if ctx.holds(self.conditions):
            return self.then.render(ctx)
        return self.otherwise.render(ctx) if self.otherwise is not None else MISSING


@dataclass(frozen=True)
class _Dict:
    items: tuple[tuple[str, _Node], ...]

    def render(self, ctx: _Context) -> Any:
        out = {}
        for key, node in self.items:
            value = node.render(ctx)
            if value is not MISSING:
                out[key] = value
        return out if out or not self.items else MISSING


@dataclass(frozen=True)
class _List:
    items: tuple[_Node, ...]

    def render(self, ctx: _Context) -> Any:
        out: list[Any] = []
        for node in self.items:
            value = node.render(ctx)
            if value is MISSING:
                continue
            if isinstance(node, _Each):
                out.extend(value)  # an $each inside a list adds its items to the list
            else:
                out.append(value)
        return out if out or not self.items else MISSING


_Node = _Lit | _Ref | _Template | _Join | _Each | _When | _Dict | _List


@dataclass(frozen=True)
class _CompiledRequest:
    spec: RequestSpec
    where: str
    path: _Template
    body: _Dict
    when: tuple[FieldPath, ...]
    each: FieldPath | None


@dataclass(frozen=True)
class _Context:
    record: FilingRecord
    constants: dict[str, JsonScalar]
    tz: ZoneInfo
    scope: tuple[tuple[str, Any], ...] = ()  # loop variables, innermost last

    def inside(self, var: str, item: Any, index: int) -> _Context:
        return _Context(
            self.record, self.constants, self.tz, (*self.scope, (var, item), ("index", index))
        )

    def lookup(self, path: FieldPath) -> Any:
        head, rest = path[0], path[1:]
        value: Any
        for name, bound in reversed(self.scope):
            if name == head:
                value = bound
                break
        else:
            value = self.constants if head == "const" else getattr(self.record, head, MISSING)
        for segment in rest:
            if isinstance(value, BaseModel):
                value = getattr(value, segment, MISSING)
            elif isinstance(value, dict):
                value = value.get(segment, MISSING)
            elif isinstance(value, list | tuple) and segment.isdigit():
                value = value[int(segment)] if int(segment) < len(value) else MISSING
            else:
                return MISSING
            if value is None:
                return MISSING
        return value

    def holds(self, conditions: tuple[FieldPath, ...]) -> bool:
        return all(not _is_empty(self.lookup(path)) for path in conditions)


# ---------------------------------------------------------------------------- compiling

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FINISH_KEYS = {"$format", "$lookup", "$max_chars", "$prefix", "$suffix", "$default", "$missing"}
_DIRECTIVES: dict[str, set[str]] = {
    "$from": _FINISH_KEYS,
    "$template": {"$max_chars", "$default", "$missing"},
    "$path": {"$default", "$missing"},
    "$join": {"$sep", "$max_chars", "$prefix", "$suffix", "$default", "$missing"},
    "$each": {"$as", "$do"},
    "$when": {"$do", "$else"},
    "$literal": set(),
}


def _unwrap(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, …]`` as ``X``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return Any
            annotation = options[0]
        else:
            return annotation


def _child(annotation: Any, segment: str) -> Any:
    """The type of ``segment`` inside ``annotation``; ValueError saying why when none."""
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if annotation is Any:
        return Any
    if origin in (list, tuple):
        if not segment.isdigit():
            raise ValueError(f"{segment!r}: a list takes an item number (tasks.0), or $each")
        return get_args(annotation)[0] if get_args(annotation) else Any
    if origin is dict:
        return get_args(annotation)[1] if get_args(annotation) else Any
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = annotation.model_fields
        if segment not in fields:
            known = ", ".join(fields)
            raise ValueError(f"{annotation.__name__} has no field {segment!r} (it has {known})")
        return fields[segment].annotation
    name = getattr(annotation, "__name__", str(annotation))
    raise ValueError(f"{segment!r}: a {name} has no fields")


def _is_list(annotation: Any) -> bool:
    return get_origin(_unwrap(annotation)) in (list, tuple) or _unwrap(annotation) is Any


class _Compiler:
    """Turns a mapping's YAML trees into nodes, collecting every problem with its place."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.errors: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def request(self, spec: RequestSpec, n: int) -> _CompiledRequest:
        where = f"requests[{n}]"
        scope: dict[str, Any] = {}
        each: FieldPath | None = None
        if spec.each is not None:
            each_type = self.path(spec.each, scope, f"{where}.each")
            if each_type is not None:
                each = tuple(spec.each.split("."))
                if not _is_list(each_type):
                    self.fail(f"{where}.each", f"{spec.each!r} is not a list")
                args = get_args(_unwrap(each_type))
                scope = {spec.as_: args[0] if args else Any, "index": int}
        when = self.conditions(spec.when, scope, f"{where}.when")
        path = self.template(spec.path, scope, f"{where}.path", url_quote=True, finish=None)
        body = self.node(spec.body, scope, f"{where}.body")
        if not isinstance(body, _Dict):
            self.fail(f"{where}.body", "the body is a plain mapping of fields, not a directive")
            body = _Dict(())
        return _CompiledRequest(spec, where, path, body, when, each)

    def path(self, text: Any, scope: dict[str, Any], where: str) -> Any:
        """Check a dotted record path; its type, or None (and an error) when it is wrong."""
        if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z_][\w]*(\.\w+)*", text):
            self.fail(where, f"{text!r} is not a field path like identity.account_id")
            return None
        head, *rest = text.split(".")
        if head in scope:
            annotation: Any = scope[head]
        elif head == "const":
            if not rest or rest[0] not in self.mapping.constants:
                known = ", ".join(self.mapping.constants) or "none"
                self.fail(where, f"unknown constant {text!r} (constants: {known})")
                return None
            return Any
        elif head in FilingRecord.model_fields:
            annotation = FilingRecord.model_fields[head].annotation
        else:
            known = ", ".join([*scope, *FilingRecord.model_fields])
            self.fail(where, f"unknown field path {text!r}: no {head!r} (known: {known})")
            return None
        for segment in rest:
            try:
                annotation = _child(annotation, segment)
            except ValueError as exc:
                self.fail(where, f"unknown field path {text!r}: {exc}")
                return None
        return annotation

    def conditions(self, value: Any, scope: dict[str, Any], where: str) -> tuple[FieldPath, ...]:
        paths = [value] if isinstance(value, str) else list(value or [])
        for text in paths:
            self.path(text, scope, where)
        return tuple(tuple(str(text).split(".")) for text in paths)

    def template(
        self, text: Any, scope: dict[str, Any], where: str, *, url_quote: bool, finish: Any
    ) -> _Template:
        if not isinstance(text, str):
            self.fail(where, f"a template is a string, not {type(text).__name__}")
            text = ""
        parts: list[str | FieldPath] = []
        last = 0
        for match in _PLACEHOLDER.finditer(text):
            parts.append(text[last : match.start()])
            self.path(match.group(1).strip(), scope, where)
            parts.append(tuple(match.group(1).strip().split(".")))
            last = match.end()
        parts.append(text[last:])
        return _Template(tuple(p for p in parts if p != ""), url_quote, finish or _Finish(where))

    def finish(self, raw: dict[str, Any], where: str) -> _Finish:
        fmt = raw.get("$format")
        if fmt is not None and fmt not in FORMATS:
            self.fail(where, f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
            fmt = None
        lookup = raw.get("$lookup")
        table: dict[str, JsonScalar] | None = None
        if isinstance(lookup, str):
            if lookup not in self.mapping.lookups:
                known = ", ".join(self.mapping.lookups) or "none"
                self.fail(where, f"unknown lookup table {lookup!r} (tables: {known})")
            table = self.mapping.lookups.get(lookup, {})
        elif isinstance(lookup, dict):
            table = {str(k): v for k, v in lookup.items()}
        elif lookup is not None:
            self.fail(where, "$lookup is a table name or an inline {value: result} table")
        max_chars = raw.get("$max_chars")
        if max_chars is not None and (not isinstance(max_chars, int) or max_chars < 1):
            self.fail(where, f"$max_chars must be a positive whole number, not {max_chars!r}")
            max_chars = None
        missing = raw.get("$missing", "drop")
        if missing not in ("drop", "null", "error"):
            self.fail(where, f"$missing must be drop, null or error, not {missing!r}")
            missing = "drop"
        for key in ("$prefix", "$suffix"):
            if not isinstance(raw.get(key, ""), str):
                self.fail(where, f"{key} must be a string")
        return _Finish(
            where,
            fmt,
            table,
            max_chars,
            str(raw.get("$prefix", "")),
            str(raw.get("$suffix", "")),
            raw.get("$default", MISSING),
            missing,
        )

    def node(self, raw: Any, scope: dict[str, Any], where: str) -> _Node:
        if isinstance(raw, str):
            if raw.startswith("$$"):
                return _Lit(raw[1:])
            if raw.startswith("$"):
                self.path(raw[1:], scope, where)
                return _Ref((tuple(raw[1:].split(".")),), _Finish(where))
            return _Lit(raw)
        if isinstance(raw, list):
            return _List(tuple(self.node(v, scope, f"{where}[{i}]") for i, v in enumerate(raw)))
        if not isinstance(raw, dict):
            return _Lit(raw)
        keys = [str(k) for k in raw]
        if not any(k.startswith("$") for k in keys):
            return _Dict(
                tuple((str(k), self.node(v, scope, f"{where}.{k}")) for k, v in raw.items())
            )
        return self.directive(raw, keys, scope, where)

    def directive(
        self, raw: dict[str, Any], keys: list[str], scope: dict[str, Any], where: str
    ) -> _Node:
        kinds = [k for k in keys if k in _DIRECTIVES]
        plain = [k for k in keys if not k.startswith("$")]
        if plain:
            self.fail(where, f"mixes directive keys with plain keys {plain} (use $literal)")
            return _Lit(None)
        if len(kinds) != 1:
            self.fail(where, f"needs exactly one of {', '.join(_DIRECTIVES)}, has {keys}")
            return _Lit(None)
        kind = kinds[0]
        for key in keys:
            if key != kind and key not in _DIRECTIVES[kind]:
                allowed = ", ".join(sorted(_DIRECTIVES[kind])) or "nothing else"
                self.fail(where, f"unknown key {key!r} with {kind} (allowed: {allowed})")
        value = raw[kind]
        if kind == "$literal":
            return _Lit(value)
        if kind == "$from":
            paths = [value] if isinstance(value, str) else value
            if not isinstance(paths, list) or not paths:
                self.fail(where, "$from is a field path or a list of them")
                paths = []
            for text in paths:
                self.path(text, scope, where)
            fieldpaths = tuple(tuple(str(p).split(".")) for p in paths)
            return _Ref(fieldpaths, self.finish(raw, where))
        if kind in ("$template", "$path"):
            finish = self.finish(raw, where)
            return self.template(value, scope, where, url_quote=kind == "$path", finish=finish)
        if kind == "$join":
            if not isinstance(value, list):
                self.fail(where, "$join takes a list of values")
                value = []
            sep = raw.get("$sep", "\n")
            items = tuple(self.node(v, scope, f"{where}.$join[{i}]") for i, v in enumerate(value))
            return _Join(items, str(sep), self.finish(raw, where))
        if kind == "$each":
            if "$do" not in raw:
                self.fail(where, "$each needs $do: what to make of each item")
            var = str(raw.get("$as", "item"))
            item_type = self.path(value, scope, where)
            if item_type is not None and not _is_list(item_type):
                self.fail(where, f"$each: {value!r} is not a list")
            args = get_args(_unwrap(item_type)) if item_type is not None else ()
            inner = {**scope, var: args[0] if args else Any, "index": int}
            return _Each(tuple(str(value).split(".")), var, self.node(raw.get("$do"), inner, where))
        # $when
        if "$do" not in raw:
            self.fail(where, "$when needs $do: the value when the condition holds")
        conditions = self.conditions(value, scope, where)
        otherwise = self.node(raw["$else"], scope, f"{where}.$else") if "$else" in raw else None
        return _When(conditions, self.node(raw.get("$do"), scope, f"{where}.$do"), otherwise)


# ---------------------------------------------------------------------- the public face


def _describe_errors(exc: ValidationError, name: str) -> str:
    lines: list[str] = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.extend(f"  {loc + ': ' if loc else ''}{line}" for line in message.splitlines())
    return f"mapping {name!r} is not valid:\n" + "\n".join(lines)


def load_mapping(source: str | Path | dict[str, Any]) -> Mapping:
    """A mapping from YAML or JSON text, a file, or a dict (an org's stored custom mapping)."""
    if isinstance(source, Path):
        source = source.read_text(encoding="utf-8")
    if isinstance(source, str):
        try:
            source = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise MappingError(f"mapping is not valid YAML: {exc}") from exc
    if not isinstance(source, dict):
        raise MappingError("a mapping is a YAML/JSON object with name, title and requests")
    try:
        return Mapping.model_validate(source)
    except ValidationError as exc:
        raise MappingError(_describe_errors(exc, str(source.get("name", "?")))) from exc


def builtin_names() -> list[str]:
    return sorted(path.stem for path in MAPPINGS_DIR.glob("*.yaml"))


@functools.cache
def builtin(name: str) -> Mapping:
    """One of the mappings shipped in ``copilot/crm/mappings/``."""
    path = MAPPINGS_DIR / f"{name}.yaml"
    if name not in builtin_names():
        raise MappingError(f"no built-in mapping {name!r} (there are {', '.join(builtin_names())})")
    return load_mapping(path)


def render(mapping: Mapping, record: FilingRecord) -> list[CrmRequest]:
    """The requests ``mapping`` makes of ``record``, in the order they are to be sent."""
    root = _Context(record, mapping.constants, ZoneInfo(mapping.timezone))
    requests: list[CrmRequest] = []
    for compiled in mapping._compiled:
        contexts: Sequence[_Context] = [root]
        if compiled.each is not None:
            items = root.lookup(compiled.each)
            items = [] if _is_empty(items) else items
            contexts = [root.inside(compiled.spec.as_, it, i) for i, it in enumerate(items, 1)]
        for ctx in contexts:
            if not ctx.holds(compiled.when):
                continue
            path = compiled.path.text(ctx)
            if path is None:
                raise MappingRenderError(
                    f"{compiled.where}.path: {compiled.spec.path!r} names an empty value; "
                    "guard the request with `when:`"
                )
            body = compiled.body.render(ctx)
            requests.append(
                CrmRequest(
                    method=compiled.spec.method,
                    path=path,
                    body={} if body is MISSING else body,
                    accept=compiled.spec.accept,
                )
            )
    return requests


__all__ = [
    "Mapping",
    "MappingError",
    "MappingRenderError",
    "RequestSpec",
    "builtin",
    "builtin_names",
    "load_mapping",
    "render",
]
