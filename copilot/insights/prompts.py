"""Versioned prompt templates under ``prompts/``.

A template is Markdown with a YAML header naming its version and the pydantic schema the
answer must fill, then a ``## system`` and a ``## user`` section. Placeholders are
``$name`` (``string.Template``), so JSON braces in the text need no escaping.
"""

from __future__ import annotations

import importlib
import string
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel

from copilot.insights.errors import PromptError

_SECTIONS = ("## system", "## user")


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: int
    schema_path: str  # "module:Class"
    system: str
    user: str

    def schema(self) -> type[BaseModel]:
        module, _, name = self.schema_path.partition(":")
        schema = getattr(importlib.import_module(module), name, None)
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise PromptError(f"prompt {self.name}: schema {self.schema_path} is not a model")
        return schema

    def messages(self, **values: str) -> list[tuple[str, str]]:
        try:
            return [
                ("system", string.Template(self.system).substitute(values)),
                ("user", string.Template(self.user).substitute(values)),
            ]
        except KeyError as exc:
            raise PromptError(f"prompt {self.name}: no value for ${exc.args[0]}") from exc


def load_prompt(directory: Path, name: str) -> PromptTemplate:
    path = directory / f"{name}.md"
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptError(f"{path}: cannot read prompt ({exc.strerror})") from exc
    if not raw.startswith("---\n") or "\n---\n" not in raw[4:]:
        raise PromptError(f"{path}: missing the YAML header between --- lines")
    header_text, body = raw[4:].split("\n---\n", 1)
    header = yaml.safe_load(header_text) or {}
    if not all(section in body for section in _SECTIONS):
        raise PromptError(f"{path}: needs a '## system' and a '## user' section")
    system = body.split(_SECTIONS[0], 1)[1].split(_SECTIONS[1], 1)[0]
    user = body.split(_SECTIONS[1], 1)[1]
    try:
        return PromptTemplate(
            name=str(header["name"]),
            version=int(header["version"]),
            schema_path=str(header["schema"]),
            system=system.strip(),
            user=user.strip(),
        )
    except (KeyError, ValueError) as exc:
        raise PromptError(f"{path}: header needs name, version and schema ({exc})") from exc
