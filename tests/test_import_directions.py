"""The allowed directions between the four packages, read from the source with ``ast``.

Every import counts, at module level and inside function bodies (a lazy import is still a
dependency): ``speech``, ``retrieval`` and ``compliance`` are libraries that never import
``copilot``, and ``retrieval`` and ``compliance`` never import ``speech``. Inside each
package, modules do not import each other in a cycle at module level. Imports guarded by
``if TYPE_CHECKING:`` are left out of the cycle check (they never run), and so are imports
inside functions (they run after every module involved has finished loading).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("speech", "retrieval", "compliance", "copilot")
FORBIDDEN = {
    "speech": {"copilot"},
    "retrieval": {"copilot", "speech"},
    "compliance": {"copilot", "speech"},
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted (an imported name resolved to its module)
    line: int
    top_level: bool  # runs when the module loads
    type_checking: bool  # under ``if TYPE_CHECKING:``

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


MODULES = {module_name(path) for path in source_files()}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _is_dynamic_import(node: ast.AST) -> bool:
    """``importlib.import_module("x.y")`` or ``__import__("x")`` with a literal name."""
    if not isinstance(node, ast.Call) or not node.args:
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    first = node.args[0]
    return (
        name in ("import_module", "__import__")
        and isinstance(first, ast.Constant)
        and isinstance(first.value, str)
        and not first.value.startswith(".")
    )


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path) -> Iterator[Import]:
    module = module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def walk(node: ast.AST, top_level: bool, type_checking: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(module, alias.name, child.lineno, top_level, type_checking)
            elif isinstance(child, ast.ImportFrom):
                base = _resolve(module, is_package, child)
                for alias in child.names:
                    # ``from a.b import c`` imports the module a.b.c when there is one.
                    named = f"{base}.{alias.name}"
                    target = named if named in MODULES else base
                    yield Import(module, target, child.lineno, top_level, type_checking)
            elif _is_dynamic_import(child):
                assert isinstance(child, ast.Call) and isinstance(child.args[0], ast.Constant)
                target = str(child.args[0].value)
                yield Import(module, target, child.lineno, top_level, type_checking)
                yield from walk(child, top_level, type_checking)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from walk(child, False, type_checking)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), top_level, True)
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), top_level, False)
            else:
                yield from walk(child, top_level, type_checking)

    yield from walk(tree, True, False)


ALL_IMPORTS = [imp for path in source_files() for imp in imports_of(path)]


def top_package(name: str) -> str:
    return name.split(".", 1)[0]


def test_the_walk_sees_every_package_and_lazy_imports() -> None:
    assert {top_package(m) for m in MODULES} == set(PACKAGES)
    assert len(MODULES) > 100
    # A function-level import is seen: the scanner's guarded optional dependency, say.
    assert any(not imp.top_level for imp in ALL_IMPORTS)


@pytest.mark.parametrize("library", sorted(FORBIDDEN))
def test_libraries_import_only_downwards(library: str) -> None:
    wrong = [
        str(imp)
        for imp in ALL_IMPORTS
        if top_package(imp.source) == library and top_package(imp.target) in FORBIDDEN[library]
    ]
    assert not wrong, "\n".join(wrong)


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module, or of one module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def load_time_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for imp in ALL_IMPORTS:
        if imp.top_level and not imp.type_checking and imp.target in MODULES:
            graph[imp.source].add(imp.target)
    return graph


def test_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [["a", "b", "c"]]


def test_no_import_cycles_at_module_level() -> None:
    cycles = strongly_connected(load_time_graph())
    assert not cycles, "\n".join(" ↔ ".join(c) for c in cycles)


def test_no_cycle_through_lazy_imports_in_insights() -> None:
    """The insight backends: the rule extractor, the LLM refinement and the registry that
    picks one import in one direction even counting imports inside functions."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES if m.startswith("copilot.insights")}
    for imp in ALL_IMPORTS:
        if imp.source in graph and imp.target in graph and not imp.type_checking:
            graph[imp.source].add(imp.target)
    assert not strongly_connected(graph)
